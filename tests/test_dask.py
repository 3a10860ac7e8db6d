"""Batches on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on
127.0.0.1 (tests/dask_cluster.py), driven through `cluster=` and `executor=`.

Each test checks the outputs themselves (pages rotated, the watermark's text), that every
input ends exactly once, and what the parent keeps (progress, the resume journal).
"""

from __future__ import annotations

import io
from collections import Counter

import distributed
import pytest

from batchproc import Client, errors
from batchproc.batch.cluster import MAX_SHIPPED_INPUT_BYTES
from batchproc.batch.journal import JOURNAL_NAME
from tests import fault_ops
from tests.dask_cluster import DaskProcesses
from tests.factories import page_texts
from tests.factories_batch import ROTATE_90, pdf_batch, rotations

pytestmark = pytest.mark.dask

ROTATE_AND_MARK = [*ROTATE_90, {"method": "watermark_pdf", "params": {"text": "DRAFT", "opacity": 0.5}}]
WORKERS = 2


@pytest.fixture(autouse=True)
def fault_operations():
    """The fault-injection operations (tests/fault_ops.py), for these tests only; the
    batch runner hands them on to the Dask workers."""
    with fault_ops.enabled():
        yield


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    processes = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        processes.start(workers=WORKERS)
        yield processes
    finally:
        processes.close()


@pytest.fixture
def dask_client(cluster):
    """A client on the cluster, with every worker up (a worker killed by an earlier test's
    poison file is restarted by its nanny)."""
    client = distributed.Client(cluster.address, set_as_default=False)
    try:
        client.wait_for_workers(WORKERS, timeout=90)
        yield client
    finally:
        client.close()


def outputs_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_batch_runs_on_the_cluster_and_resumes_from_the_parents_journal(tmp_path, cluster, dask_client):
    files = pdf_batch(tmp_path / "in", 10, pages=2)
    out = tmp_path / "out"
    calls = []
    result = Client().batch_process(
        files, ROTATE_AND_MARK, out, cluster=cluster.address, progress_callback=lambda *a: calls.append(a)
    )
    assert result.failed == [] and len(result.successful) == 10 and result.success_rate == 100.0
    assert calls == [(n, 10) for n in range(1, 11)]
    assert outputs_in(out) == sorted([JOURNAL_NAME] + [f"doc{n}_{n}.pdf" for n in range(10)])
    for source, output in result.successful:
        assert output == out / f"{source.stem}_{source.stem[3:]}.pdf"
        assert rotations(output) == [90, 90]
        assert all("DRAFT" in text and "Quarterly report" in text for text in page_texts(output))
    again = Client().batch_process(files, ROTATE_AND_MARK, out, cluster=cluster.address)
    assert again.skipped == 10 and again.failed == []


def test_a_dask_executor_takes_bytes_file_objects_and_relative_paths(tmp_path, dask_client, monkeypatch):
    files = pdf_batch(tmp_path / "in", 3, pages=3)
    monkeypatch.chdir(tmp_path)  # the workers' working folder is elsewhere
    too_big = b"%PDF-1.7\n" + b"0" * MAX_SHIPPED_INPUT_BYTES
    inputs = [files[0].read_bytes(), io.BytesIO(files[1].read_bytes()), files[2].relative_to(tmp_path), too_big]
    result = Client().batch_process(inputs, ROTATE_90, executor=dask_client.get_executor())
    assert len(result.successful) == 3
    for _, output in result.successful:
        assert isinstance(output, bytes) and rotations(output) == [90, 90, 90]
    [(source, error)] = result.failed
    assert source is too_big and isinstance(error, errors.ValidationError)
    assert "too large to send to a Dask cluster" in str(error) and "pass a path" in str(error)


def test_a_file_that_kills_its_workers_fails_alone_as_worker_crashed(tmp_path, cluster, dask_client):
    files = pdf_batch(tmp_path / "in", 10)
    poison = pdf_batch(tmp_path / "in", 1, prefix="poison")[0]
    files.insert(3, poison)
    out = tmp_path / "out"
    operations = [{"method": "fault_crash", "params": {"name_contains": "poison", "how": "kill"}}, *ROTATE_90]
    records = list(Client().iter_batch(files, operations, out, executor=dask_client.get_executor()))
    assert sorted(Counter(r.index for r in records).items()) == [(i, 1) for i in range(len(files))]
    [bad] = [r for r in records if not r.ok]
    assert bad.input == poison and type(bad.error) is errors.WorkerCrashedError
    assert bad.error.source == str(poison) and "KilledWorker" in str(bad.error) and bad.attempts == 1
    good = [r for r in records if r.ok]
    assert all(rotations(r.output) == [90] for r in good)
    assert outputs_in(out) == sorted([JOURNAL_NAME] + [r.output.name for r in good])


def test_a_worker_lost_mid_batch_has_its_files_run_elsewhere(tmp_path, cluster, dask_client):
    cluster.add_worker("doomed")
    dask_client.wait_for_workers(WORKERS + 1, timeout=90)
    [doomed] = [a for a, w in dask_client.scheduler_info()["workers"].items() if w["name"] == "doomed"]
    files = pdf_batch(tmp_path / "in", 12, pages=2)
    operations = [{"method": "fault_hang", "params": {"name_contains": "doc", "seconds": 1.0}}, *ROTATE_90]
    out = tmp_path / "out"
    lost_tasks = []

    def lose_a_worker(done, total):
        if done == 2:
            lost_tasks.extend(dask_client.processing(workers=[doomed])[doomed])
            cluster.kill_worker("doomed")

    result = Client().batch_process(
        files, operations, out, cluster=dask_client, max_workers=3, progress_callback=lose_a_worker
    )
    assert lost_tasks  # the lost worker had files, and they ran again elsewhere:
    assert result.failed == [] and len(result.successful) == 12
    assert outputs_in(out) == sorted([JOURNAL_NAME] + [f"doc{n}_{n}.pdf" for n in range(12)])
    assert all(rotations(output) == [90, 90] for _, output in result.successful)


def test_file_timeout_on_dask_is_reported_and_late_outputs_discarded(tmp_path, dask_client):
    files = pdf_batch(tmp_path / "in", 4)
    slow = pdf_batch(tmp_path / "in", 1, prefix="slow")[0]
    out = tmp_path / "out"
    operations = [{"method": "fault_hang", "params": {"name_contains": "slow", "seconds": 3}}, *ROTATE_90]
    result = Client().batch_process([slow, *files], operations, out, cluster=dask_client, file_timeout=1)
    [(source, error)] = result.failed
    assert source == slow and isinstance(error, errors.FileTimeoutError)
    assert len(result.successful) == 4 and all(rotations(o) == [90] for _, o in result.successful)
    assert not (out / "slow0_0.pdf").exists()


def test_cluster_and_executor_together_are_refused_before_any_work(tmp_path, dask_client):
    files = pdf_batch(tmp_path / "in", 1)
    with pytest.raises(errors.ValidationError, match="not both"):
        Client().batch_process(
            files, ROTATE_90, tmp_path / "out", cluster=dask_client, executor=dask_client.get_executor()
        )
    with pytest.raises(errors.ValidationError, match="scheduler address"):
        Client().batch_process(files, ROTATE_90, tmp_path / "out", cluster=8786)
    assert not (tmp_path / "out").exists()


