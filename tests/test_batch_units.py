"""Unit tests of the batch runner's small parts: naming, journal, retry policy, options,
and errors crossing process boundaries."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from batchproc import Client, errors
from batchproc.batch.journal import JOURNAL_NAME, Journal, journal_key
from batchproc.batch.naming import EXT_MARK, OutputNamer, check_format, final_name
from batchproc.batch.options import BatchOptions, default_memory_limit_bytes
from batchproc.batch.retry import BACKOFF_BASE_S, backoff_delay_s, should_retry
from batchproc.batch.worker import portable_error
from batchproc.engines.base import Artifact
from tests.factories_batch import ROTATE_90, pdf_batch, rotations


@pytest.mark.parametrize(
    "output_format, message",
    [
        ("{name}_{page}{ext}", "unknown field {page}"),
        ("{}{ext}", "positional"),
        ("{0}{ext}", "positional"),
        ("{name", "expected '}'"),
        ("{name.upper}{ext}", "unknown field"),
        ("{name[0]}{ext}", "unknown field"),
        ("{name!r}{ext}", "conversion !r"),
        ("{index:zz}{ext}", "format code"),
        ("../{name}{ext}", "would leave output_dir"),
        ("/abs/{name}{ext}", "would leave output_dir"),
        ("sub/{name}{ext}", "would leave output_dir"),
        (".batchproc-{name}", "reserved"),
        ("", "non-empty"),
    ],
)
def test_bad_output_formats_are_refused_up_front(output_format, message):
    with pytest.raises(errors.OutputNameError, match=re.escape(message)):
        check_format(output_format)


def test_bad_output_format_fails_the_batch_before_any_work(tmp_path):
    files = pdf_batch(tmp_path / "in", 2)
    with pytest.raises(errors.OutputNameError):
        Client().batch_process(files, ROTATE_90, tmp_path / "out", output_format="{nme}{ext}")
    assert not (tmp_path / "out").exists()


def test_expansion_with_ext_placeholder_and_suffixes():
    namer = OutputNamer("{name}_{index:04d}{ext}")
    expansion = namer.claim(name="report", index=7)
    assert expansion == f"report_0007{EXT_MARK}"
    assert final_name(expansion, Artifact(Path("x"), ".pdf")) == "report_0007.pdf"
    assert final_name(expansion, Artifact(Path("x"), ".png", "_page2")) == "report_0007_page2.png"
    assert final_name("fixed.pdf", Artifact(Path("x"), ".pdf", "_1")) == "fixed_1.pdf"
    assert final_name("noext", Artifact(Path("x"), ".pdf", "_1")) == "noext_1"


def test_collisions_are_caught_as_inputs_arrive():
    namer = OutputNamer("{name}{ext}")
    namer.claim(name="a", index=0)
    namer.claim(name="b", index=1)
    with pytest.raises(errors.OutputNameError, match="already used"):
        namer.claim(name="a", index=2)


def test_a_name_that_would_leave_output_dir_is_refused_per_input():
    namer = OutputNamer("{name}")
    with pytest.raises(errors.OutputNameError, match="would leave"):
        namer.claim(name="..", index=0)


def test_a_symlink_planted_in_output_dir_is_replaced_not_followed(tmp_path):
    src = pdf_batch(tmp_path / "in", 1)[0]
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "doc0_0.pdf").symlink_to(outside)
    result = Client().batch_process([src], ROTATE_90, out, parallel=False)
    assert result.failed == []
    assert outside.read_text() == "keep me"
    assert not (out / "doc0_0.pdf").is_symlink() and rotations(out / "doc0_0.pdf") == [90]


def test_journal_ignores_a_torn_last_line_and_appends_cleanly(tmp_path):
    journal = Journal.open(tmp_path, load=True)
    journal.record("k1", ["a.pdf"])
    journal.close()
    with (tmp_path / JOURNAL_NAME).open("ab") as fh:
        fh.write(b'{"k":"k2","o":["b.p')  # the parent was killed mid-write
    journal = Journal.open(tmp_path, load=True)
    assert journal.finished_outputs("k1") == ("a.pdf",) and journal.finished_outputs("k2") is None
    journal.record("k3", ["c.pdf"])
    journal.close()
    lines = (tmp_path / JOURNAL_NAME).read_text().splitlines()
    assert [json.loads(line)["k"] for line in lines] == ["k1", "k3"]


def test_journal_allows_one_batch_per_output_dir(tmp_path):
    first = Journal.open(tmp_path, load=True)
    try:
        with pytest.raises(errors.ValidationError, match="another batch"):
            Journal.open(tmp_path, load=True)
    finally:
        first.close()
    Journal.open(tmp_path, load=True).close()


def test_journal_key_changes_with_input_pipeline_and_name():
    base = journal_key("path:/a:1:2", "fp", "a_0\x00")
    assert len({base, journal_key("path:/a:1:3", "fp", "a_0\x00"), journal_key("path:/a:1:2", "fp2", "a_0\x00"),
                journal_key("path:/a:1:2", "fp", "b_0\x00")}) == 4


def test_retry_policy():
    transient = errors.ServerError("busy", status=503)
    assert should_retry(transient, attempts=1, max_retries=3)
    assert should_retry(transient, attempts=3, max_retries=3)
    assert not should_retry(transient, attempts=4, max_retries=3)
    assert not should_retry(errors.ServerError("bug", status=500), attempts=1, max_retries=3)
    assert not should_retry(errors.CorruptDocumentError("bad"), attempts=1, max_retries=3)
    assert backoff_delay_s(errors.RateLimitedError("slow", retry_after_s=7.0), 1) == 7.0
    delays = [backoff_delay_s(transient, 3) for _ in range(200)]
    assert all(0 <= d <= BACKOFF_BASE_S * 4 for d in delays) and max(delays) > BACKOFF_BASE_S  # full jitter


def test_options_resolution():
    resolve = lambda **kw: BatchOptions.resolve(**{  # noqa: E731
        "engine_name": "local", "parallel": True, "max_workers": 4, "continue_on_error": True, "executor": None,
        "resume": True, "max_retries": 3, "file_timeout": None, "memory_limit": None, **kw,
    })
    assert resolve().mode == "process" and resolve(engine_name="dws").mode == "thread"
    assert resolve(parallel=False).mode == "serial" and resolve(parallel=False).max_workers == 1
    assert resolve(parallel="thread").memory_limit_bytes is None
    assert resolve(memory_limit=1 << 30).memory_limit_bytes == 1 << 30
    assert 512 << 20 <= default_memory_limit_bytes(4) <= 4 << 30
    for bad in ({"parallel": "gpu"}, {"max_workers": 0}, {"max_retries": -1}, {"file_timeout": 0},
                {"memory_limit": "1G"}, {"memory_limit": 1 << 20}):
        with pytest.raises(errors.ValidationError):
            resolve(**bad)


def test_foreign_errors_become_picklable_batchproc_errors():
    class Weird(Exception):
        def __reduce__(self):
            raise TypeError("no pickling")

    error = portable_error(Weird("odd"), "a.pdf")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is errors.BatchprocError and back.error_type == "Weird" and str(back) == "a.pdf: unexpected Weird: odd"
    memory = portable_error(MemoryError(), "a.pdf")
    assert isinstance(memory, errors.MemoryLimitError) and memory.source == "a.pdf"
    own = errors.PageRangeError("page 9")
    assert portable_error(own, "a.pdf") is own and own.source == "a.pdf"


def test_iter_batch_refuses_a_single_input_instead_of_a_list(tmp_path):
    src = pdf_batch(tmp_path / "in", 1)[0]
    with pytest.raises(errors.ValidationError, match="iterable of inputs"):
        Client().iter_batch(str(src), ROTATE_90)


def test_empty_batch(tmp_path):
    result = Client().batch_process([], ROTATE_90, tmp_path / "out")
    assert result.total_processed == 0 and result.success_rate == 0.0 and not result.interrupted


def test_death_attribution():
    from batchproc.batch.attribution import attribute_deaths
    from batchproc.batch.memory import MEMORY_EXIT_CODE, RECYCLE_EXIT_CODE

    # worker 11 segfaulted on input 3; worker 12 (on input 4) was only SIGTERMed by the executor
    deaths = attribute_deaths({11: -11}, {11: 3, 12: 4})
    assert deaths.culprits == {3: -11} and deaths.suspects == frozenset() and not deaths.startless
    assert attribute_deaths({11: MEMORY_EXIT_CODE, 12: -9}, {11: 3, 12: 4}).culprits == {3: MEMORY_EXIT_CODE, 4: -9}
    # a worker recycled between files blames nobody and is not a start-up failure
    recycled = attribute_deaths({11: RECYCLE_EXIT_CODE}, {12: 4})
    assert recycled.culprits == {} and recycled.suspects == frozenset() and not recycled.startless
    # a death nobody can explain: every running input is a suspect
    unknown = attribute_deaths({}, {11: 3, 12: 4})
    assert unknown.culprits == {} and unknown.suspects == {3, 4}
    # workers dying before any file started
    assert attribute_deaths({11: 1}, {}).startless


def test_death_errors_name_the_cause():
    from batchproc.batch.attribution import death_error
    from batchproc.batch.memory import MEMORY_EXIT_CODE

    assert isinstance(death_error(-9, timed_out=True, file_timeout_s=2.5, memory_limit_bytes=None), errors.FileTimeoutError)
    memory = death_error(MEMORY_EXIT_CODE, timed_out=False, file_timeout_s=None, memory_limit_bytes=256 << 20)
    assert isinstance(memory, errors.MemoryLimitError) and "256 MiB" in str(memory)
    assert "SIGSEGV" in str(death_error(-11, timed_out=False, file_timeout_s=None, memory_limit_bytes=None))
    assert "exit code 3" in str(death_error(3, timed_out=False, file_timeout_s=None, memory_limit_bytes=None))


def test_progress_counts_skipped_files(tmp_path):
    files = pdf_batch(tmp_path / "in", 4)
    Client().batch_process(files, ROTATE_90, tmp_path / "out", parallel=False)
    calls = []
    result = Client().batch_process(files, ROTATE_90, tmp_path / "out", progress_callback=lambda *a: calls.append(a))
    assert result.skipped == 4 and calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert all(output == tmp_path / "out" / f"doc{n}_{n}.pdf" for n, (_, output) in enumerate(result.successful))
