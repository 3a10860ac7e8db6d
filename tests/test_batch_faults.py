"""Isolation: a file that kills, hangs or bloats its worker fails alone, with the right
typed error, and every other file is processed exactly once. Fault-injection operations
come from tests/fault_ops.py."""

from __future__ import annotations

import pickle
from collections import Counter

import pytest

from batchproc import Client, errors
from tests import fault_ops
from tests.factories_batch import ROTATE_90, pdf_batch, rotations


@pytest.fixture(autouse=True)
def fault_operations():
    """The fault-injection operations (tests/fault_ops.py), for these tests only."""
    with fault_ops.enabled():
        yield


def poisoned_batch(tmp_path, good: int = 10, where: int = 4):
    files = pdf_batch(tmp_path / "in", good)
    poison = pdf_batch(tmp_path / "in", 1, prefix="poison")[0]
    files.insert(where, poison)
    return files, poison


def assert_only_poison_failed(result_records, files, poison, error_type, out):
    counts = Counter(r.index for r in result_records)
    assert sorted(counts) == list(range(len(files))) and set(counts.values()) == {1}  # each once
    [bad] = [r for r in result_records if not r.ok]
    assert bad.input == poison and type(bad.error) is error_type and bad.error.source == str(poison)
    good = [r for r in result_records if r.ok]
    assert len(good) == len(files) - 1 and all(r.attempts == 1 for r in good)
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert written == sorted(r.output.name for r in good)
    assert all(rotations(r.output) == [90] for r in good)
    return bad


@pytest.mark.parametrize("how", ["exit", "segv", "kill"])
def test_a_worker_killing_file_fails_alone_with_worker_crashed(tmp_path, how):
    files, poison = poisoned_batch(tmp_path)
    out = tmp_path / "out"
    operations = [{"method": "fault_crash", "params": {"name_contains": "poison", "how": how}}, *ROTATE_90]
    records = list(Client().iter_batch(files, operations, out, parallel="process", max_workers=2))
    bad = assert_only_poison_failed(records, files, poison, errors.WorkerCrashedError, out)
    assert bad.attempts == 1
    assert {"exit": "exit code 3", "segv": "SIGSEGV", "kill": "SIGKILL"}[how] in str(bad.error)


def test_two_poison_files_each_fail_alone(tmp_path):
    files, poison = poisoned_batch(tmp_path, good=8, where=2)
    second = pdf_batch(tmp_path / "in", 1, prefix="poison-b")[0]
    files.insert(6, second)
    operations = [{"method": "fault_crash", "params": {"name_contains": "poison"}}, *ROTATE_90]
    result = Client().batch_process(files, operations, tmp_path / "out", parallel="process", max_workers=2)
    assert sorted(str(s) for s, _ in result.failed) == sorted([str(poison), str(second)]), result.failed
    assert all(isinstance(e, errors.WorkerCrashedError) for _, e in result.failed)
    assert len(result.successful) == 8


def test_a_file_past_file_timeout_is_stopped_and_fails_alone(tmp_path):
    files, poison = poisoned_batch(tmp_path)
    out = tmp_path / "out"
    operations = [{"method": "fault_hang", "params": {"name_contains": "poison", "seconds": 120}}, *ROTATE_90]
    records = list(Client().iter_batch(files, operations, out, parallel="process", max_workers=2, file_timeout=1.5))
    bad = assert_only_poison_failed(records, files, poison, errors.FileTimeoutError, out)
    assert "file_timeout (1.5 s)" in str(bad.error)


def test_thread_timeout_is_best_effort_but_reported(tmp_path):
    files, poison = poisoned_batch(tmp_path, good=4, where=1)
    out = tmp_path / "out"
    operations = [{"method": "fault_hang", "params": {"name_contains": "poison", "seconds": 3}}, *ROTATE_90]
    records = list(Client().iter_batch(files, operations, out, parallel="thread", max_workers=2, file_timeout=0.5))
    assert_only_poison_failed(records, files, poison, errors.FileTimeoutError, out)


def test_a_worker_past_memory_limit_fails_its_file_and_is_replaced(tmp_path):
    files, poison = poisoned_batch(tmp_path, good=6, where=3)
    out = tmp_path / "out"
    operations = [{"method": "fault_eat_memory", "params": {"name_contains": "poison", "megabytes": 700}}, *ROTATE_90]
    records = list(
        Client().iter_batch(files, operations, out, parallel="process", max_workers=2, memory_limit=400 << 20)
    )
    bad = assert_only_poison_failed(records, files, poison, errors.MemoryLimitError, out)
    assert "400 MiB" in str(bad.error)


def test_unpicklable_foreign_errors_cross_processes_as_batchproc_errors(tmp_path):
    files, poison = poisoned_batch(tmp_path, good=2, where=1)
    operations = [{"method": "fault_foreign_error", "params": {"name_contains": "poison"}}]
    result = Client().batch_process(files, operations, tmp_path / "out", parallel="process", max_workers=2)
    [(source, error)] = result.failed
    assert source == poison and type(error) is errors.BatchprocError
    assert error.error_type == "_Unpicklable" and "a lock cannot cross processes" in str(error)
    assert pickle.loads(pickle.dumps(error)).error_type == "_Unpicklable"


def test_a_worker_recycled_between_files_blames_no_file(tmp_path):
    files, poison = poisoned_batch(tmp_path, good=8, where=3)
    state = tmp_path / "state"
    state.mkdir()
    out = tmp_path / "out"
    operations = [{"method": "fault_recycle", "params": {"name_contains": "poison", "state_dir": str(state)}}, *ROTATE_90]
    records = list(Client().iter_batch(files, operations, out, parallel="process", max_workers=2))
    assert (state / "poison0.pdf.recycled").exists()
    assert sorted(r.index for r in records) == list(range(len(files)))
    assert all(r.ok and r.attempts == 1 for r in records)
    assert len(list(out.glob("*.pdf"))) == len(files)
