"""The batch runner's behaviour, one suite run on every executor (STYLE 4): in this
process, threads, our process pool, and a real Dask LocalCluster's executor."""

from __future__ import annotations

import io
import itertools

import pytest

from batchproc import Client, errors
from batchproc.batch.runner import MAX_ORDER_SIZE
from tests import fault_ops
from tests.factories import text_pdf
from tests.factories_batch import ROTATE_90, bad_inputs, pdf_batch, rotations


@pytest.fixture(autouse=True)
def fault_operations():
    """The fault-injection operations (tests/fault_ops.py), for these tests only."""
    with fault_ops.enabled():
        yield


@pytest.fixture(scope="session")
def dask_executor():
    import distributed
    with fault_ops.enabled():  # the worker processes inherit BATCHPROC_EXTRA_OPERATIONS
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        )
    client = distributed.Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


@pytest.fixture(
    params=[
        "serial",
        "thread",
        "process",
        pytest.param("dask", marks=pytest.mark.dask),
    ]
)
def run_on(request):
    """Keyword arguments choosing the executor, for batch_process/iter_batch."""
    if request.param == "dask":
        return {"executor": request.getfixturevalue("dask_executor")}
    return {"parallel": {"serial": False}.get(request.param, request.param), "max_workers": 2}


def test_every_file_is_processed_once_with_its_effect(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 12, pages=2)
    out = tmp_path / "out"
    result = Client().batch_process(files, ROTATE_90, out, **run_on)
    assert result.failed == [] and len(result.successful) == 12
    assert result.success_rate == 100.0 and result.total_processed == 12 and result.processing_time > 0
    produced = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert produced == sorted(f"doc{n}_{n}.pdf" for n in range(12))
    for source, output in result.successful:
        assert output == out / f"{source.stem}_{source.stem[3:]}.pdf"
        assert rotations(output) == [90, 90]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".batchproc-journal.jsonl"]


def test_bad_inputs_fail_alone_with_typed_errors_naming_them(tmp_path, run_on):
    good = pdf_batch(tmp_path / "in", 4)
    bad = bad_inputs(tmp_path / "bad")
    inputs = [good[0], bad["corrupt"], good[1], bad["empty"], bad["html"], good[2], bad["locked"], good[3]]
    inputs.append(tmp_path / "missing.pdf")
    result = Client().batch_process(inputs, ROTATE_90, tmp_path / "out", **run_on)
    failed = {str(source): error for source, error in result.failed}
    assert {k: type(v) for k, v in failed.items()} == {
        str(bad["corrupt"]): errors.CorruptDocumentError,
        str(bad["empty"]): errors.NotAPDFError,
        str(bad["html"]): errors.NotAPDFError,
        str(bad["locked"]): errors.PasswordRequiredError,
        str(tmp_path / "missing.pdf"): errors.InputNotFoundError,
    }
    assert all(error.source == source for source, error in failed.items())
    assert sorted(str(s) for s, _ in result.successful) == sorted(str(g) for g in good)
    assert all(rotations(output) == [90] for _, output in result.successful)


def test_progress_callback_is_called_once_per_file_in_order(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 5)
    calls = []
    Client().batch_process(files, ROTATE_90, tmp_path / "out", progress_callback=lambda *a: calls.append(a), **run_on)
    assert calls == [(n, 5) for n in range(1, 6)]
    calls.clear()
    Client().batch_process(
        (f for f in files), ROTATE_90, tmp_path / "out2", progress_callback=lambda *a: calls.append(a), **run_on
    )
    assert calls == [(n, None) for n in range(1, 6)]


def test_bytes_and_file_objects_come_back_as_bytes_without_output_dir(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 3, pages=3)
    inputs = [files[0].read_bytes(), io.BytesIO(files[1].read_bytes()), files[2]]
    result = Client().batch_process(inputs, ROTATE_90, **run_on)
    assert len(result.successful) == 3 and not result.failed
    for _, output in result.successful:
        assert isinstance(output, bytes) and rotations(output) == [90, 90, 90]


def test_transient_errors_are_retried_and_counted_permanent_ones_are_not(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 2, prefix="flaky") + pdf_batch(tmp_path / "in", 1, prefix="broken")
    state = tmp_path / "state"
    state.mkdir()
    operations = [
        {"method": "fault_server_error", "params": {"name_contains": "flaky", "state_dir": str(state), "failures": 2}},
        {"method": "fault_server_error", "params": {"name_contains": "broken", "state_dir": str(state), "status": 500}},
        *ROTATE_90,
    ]
    records = list(Client().iter_batch(files, operations, tmp_path / "out", **run_on))
    by_name = {r.label.rsplit("/", 1)[-1]: r for r in records}
    assert by_name["flaky0.pdf"].ok and by_name["flaky0.pdf"].attempts == 3
    assert by_name["flaky1.pdf"].ok and by_name["flaky1.pdf"].attempts == 3
    assert rotations(by_name["flaky0.pdf"].output) == [90]
    broken = by_name["broken0.pdf"]
    assert isinstance(broken.error, errors.ServerError) and broken.error.status == 500 and broken.attempts == 1
    assert (state / "broken0.pdf.tries").read_text() == "1"


def test_retries_stop_after_max_retries(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 1, prefix="flaky")
    state = tmp_path / "state"
    state.mkdir()
    operations = [{"method": "fault_server_error", "params": {"name_contains": "flaky", "state_dir": str(state), "failures": 9}}]
    [record] = Client().iter_batch(files, operations, tmp_path / "out", max_retries=1, **run_on)
    assert isinstance(record.error, errors.ServerError) and record.error.transient and record.attempts == 2


def test_continue_on_error_false_stops_at_the_first_failure_and_returns(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 300)
    bad = bad_inputs(tmp_path / "bad")["corrupt"]
    inputs = itertools.chain(files[:3], [bad], files[3:])
    out = tmp_path / "out"
    result = Client().batch_process(inputs, ROTATE_90, out, continue_on_error=False, **run_on)
    assert [type(e) for _, e in result.failed] == [errors.CorruptDocumentError]
    assert result.total_processed < 301  # orders already running (a few files each) are reported
    written = {p for p in out.iterdir() if not p.name.startswith(".")}
    assert written == {output for _, output in result.successful}
    if run_on.get("parallel") is False:
        assert [s for s, _ in result.successful] == files[:3]


def test_inputs_are_consumed_lazily(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 1)
    consumed = 0

    def endless():
        nonlocal consumed
        while True:
            consumed += 1
            yield files[0]

    results = Client().iter_batch(endless(), ROTATE_90, output_format="{index}{ext}", **run_on)
    first = next(results)
    # At most the in-flight window (two orders per worker, 4 workers at most here) of
    # orders that grow to MAX_ORDER_SIZE inputs once files are known to be quick.
    assert first.ok and consumed <= 2 * 4 * MAX_ORDER_SIZE
    results.close()


def test_output_format_placeholders_and_specs(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 3)
    out = tmp_path / "out"
    result = Client().batch_process(files, ROTATE_90, out, output_format="{index:03d}-{name}{ext}", **run_on)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "000-doc0.pdf", "001-doc1.pdf", "002-doc2.pdf",
    ]
    assert len(result.successful) == 3


def test_colliding_output_name_fails_before_its_work_and_overwrites_nothing(tmp_path, run_on):
    first = pdf_batch(tmp_path / "a", 1, pages=1)[0]
    second = pdf_batch(tmp_path / "b", 1, pages=3)[0]  # same name, doc0.pdf
    out = tmp_path / "out"
    result = Client().batch_process([first, second], ROTATE_90, out, output_format="{name}{ext}", **run_on)
    [(source, error)] = result.failed
    assert source == second and isinstance(error, errors.OutputNameError) and error.source == str(second)
    assert rotations(out / "doc0.pdf") == [90]  # the first input's output, one page


def test_no_work_files_are_left_behind(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 4) + [bad_inputs(tmp_path / "bad")["corrupt"]]
    out = tmp_path / "out"
    Client().batch_process(files, ROTATE_90, out, **run_on)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".batchproc-journal.jsonl"] + [f"doc{n}_{n}.pdf" for n in range(4)]
    )


def test_resume_skips_finished_files_and_redoes_changed_or_vanished_ones(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 5)
    out = tmp_path / "out"
    client = Client()
    assert client.batch_process(files, ROTATE_90, out, **run_on).skipped == 0
    (out / "doc1_1.pdf").unlink()  # an output that vanished
    files[2].write_bytes(files[2].read_bytes() + b"\n% changed\n")  # an input that changed
    records = {r.index: r for r in client.iter_batch(files, ROTATE_90, out, **run_on)}
    assert {i for i, r in records.items() if r.skipped} == {0, 3, 4}
    assert all(records[i].attempts == 1 and not records[i].skipped for i in (1, 2))
    assert rotations(out / "doc1_1.pdf") == [90]
    result = client.batch_process(files, [{"method": "rotate_pages", "params": {"degrees": 180}}], out, **run_on)
    assert result.skipped == 0 and rotations(out / "doc0_0.pdf") == [180]  # a changed pipeline


def test_resume_redoes_files_when_a_file_the_pipeline_names_was_replaced(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 3)
    appendix = tmp_path / "appendix.pdf"
    appendix.write_bytes(text_pdf(pages=1))
    merge = [{"method": "merge_pdfs", "params": {"input_files": [str(appendix)]}}]
    out = tmp_path / "out"
    client = Client()
    client.batch_process(files, merge, out, **run_on)
    assert len(rotations(out / "doc0_0.pdf")) == 2
    assert client.batch_process(files, merge, out, **run_on).skipped == 3  # the same file: nothing to redo
    appendix.write_bytes(text_pdf(pages=3))
    result = client.batch_process(files, merge, out, **run_on)
    assert result.skipped == 0 and [len(rotations(out / f"doc{n}_{n}.pdf")) for n in range(3)] == [4, 4, 4]


def test_operation_errors_are_raised_before_any_work(tmp_path, run_on):
    files = pdf_batch(tmp_path / "in", 2)
    with pytest.raises(errors.OperationError, match="step 1"):
        Client().batch_process(files, [*ROTATE_90, {"method": "rotate_pages", "params": {"degrees": 45}}], tmp_path / "out", **run_on)
    assert not any((tmp_path / "out").glob("*.pdf"))


@pytest.mark.parametrize("host_memory_low", [False, True])
def test_the_parent_holds_back_work_while_host_memory_is_low(tmp_path, monkeypatch, host_memory_low):
    from batchproc.batch.memory import HostMemory

    monkeypatch.setattr(HostMemory, "low", lambda self: host_memory_low)
    files = pdf_batch(tmp_path / "in", 6)
    state = tmp_path / "state"
    state.mkdir()
    operations = [{"method": "fault_count_concurrency", "params": {"state_dir": str(state)}}, *ROTATE_90]
    result = Client().batch_process(files, operations, tmp_path / "out", parallel="thread", max_workers=3)
    assert len(result.successful) == 6
    peak = int((state / "max").read_text())
    assert peak == 1 if host_memory_low else peak > 1


def test_continue_on_error_false_stops_at_a_failure_before_work(tmp_path, run_on):
    files = pdf_batch(tmp_path / "a", 3) + pdf_batch(tmp_path / "b", 3)  # b/doc0.pdf collides with a/doc0.pdf
    result = Client().batch_process(
        files, ROTATE_90, tmp_path / "out", output_format="{name}{ext}", continue_on_error=False, **run_on
    )
    assert [(s, type(e)) for s, e in result.failed] == [(files[3], errors.OutputNameError)]
    assert sorted(s for s, _ in result.successful) <= sorted(files[:3])
    assert files[4] not in [s for s, _ in result.successful]
