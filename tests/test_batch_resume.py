"""Interruption and resume: a batch in a subprocess is stopped with SIGINT, or killed
with SIGKILL, mid-run; the re-run does only what is left, every output exists exactly
once and is valid, and nothing temporary is left behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from batchproc import Client
from batchproc.batch.journal import JOURNAL_NAME
from tests import fault_ops
from tests.factories_batch import ROTATE_90, pdf_batch, rotations


@pytest.fixture(autouse=True)
def fault_operations():
    """The fault-injection operations (tests/fault_ops.py), for these tests only."""
    with fault_ops.enabled():
        yield

ROOT = Path(__file__).resolve().parent.parent
COUNT = 40
SLOW_ROTATE = [{"method": "fault_hang", "params": {"name_contains": "doc", "seconds": 0.1}}, *ROTATE_90]

CHILD = """
import json, signal, sys
from pathlib import Path
signal.signal(signal.SIGINT, signal.default_int_handler)  # background jobs start with SIGINT ignored
from tests import fault_ops
fault_ops.enable()
from batchproc import Client
files = sorted(Path(sys.argv[1]).glob("*.pdf"))
operations = json.loads(sys.argv[3])
result = Client().batch_process(files, operations, sys.argv[2], parallel="process", max_workers=2)
print(json.dumps({"interrupted": result.interrupted, "successful": len(result.successful)}))
"""


def start_batch(inputs: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(inputs), str(out), json.dumps(SLOW_ROTATE)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_for_outputs(out: Path, at_least: int, child: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if out.is_dir() and len(list(out.glob("doc*.pdf"))) >= at_least:
            return
        time.sleep(0.02)
    pytest.fail("the batch did not get going")


def journal_entries(out: Path) -> int:
    keys = set()
    for line in (out / JOURNAL_NAME).read_bytes().splitlines(keepends=True):
        if line.endswith(b"\n"):
            keys.add(json.loads(line)["k"])
    return len(keys)


def finish_and_check(inputs: Path, out: Path) -> None:
    files = sorted(inputs.glob("*.pdf"))
    expected_skips = journal_entries(out)
    assert 0 < expected_skips < COUNT
    result = Client().batch_process(files, SLOW_ROTATE, out, parallel="process", max_workers=2)
    assert result.failed == [] and result.skipped == expected_skips
    assert len(result.successful) == COUNT
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [JOURNAL_NAME] + [f"{f.stem}_{n}.pdf" for n, f in enumerate(files)]
    )
    assert all(rotations(out / f"{f.stem}_{n}.pdf") == [90] for n, f in enumerate(files))


def test_sigint_stops_cleanly_and_the_rerun_finishes_the_rest(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    pdf_batch(inputs, COUNT)
    child = start_batch(inputs, out)
    wait_for_outputs(out, 6, child)
    child.send_signal(signal.SIGINT)
    stdout, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["interrupted"] and report["successful"] < COUNT
    leftovers = [p.name for p in out.iterdir() if p.name != JOURNAL_NAME and not p.name.endswith(".pdf")]
    assert leftovers == []  # no work folder, no temporary names
    assert all(rotations(p) == [90] for p in out.glob("*.pdf"))
    finish_and_check(inputs, out)


def test_sigkill_of_the_parent_takes_the_workers_down_and_the_rerun_finishes(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    pdf_batch(inputs, COUNT)
    child = start_batch(inputs, out)
    wait_for_outputs(out, 6, child)
    descendants = psutil.Process(child.pid).children(recursive=True)
    assert descendants
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    gone, alive = psutil.wait_procs(descendants, timeout=15)
    assert alive == []
    assert all(rotations(p) == [90] for p in out.glob("*.pdf"))
    finish_and_check(inputs, out)


def test_sigterm_stops_like_ctrl_c(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    pdf_batch(inputs, COUNT)
    child = start_batch(inputs, out)
    wait_for_outputs(out, 4, child)
    child.send_signal(signal.SIGTERM)
    stdout, _ = child.communicate(timeout=60)
    assert json.loads(stdout.strip().splitlines()[-1])["interrupted"]
    assert not (out / ".batchproc-work").exists()
    finish_and_check(inputs, out)


def test_iter_batch_closed_early_cleans_up_and_a_second_run_may_start(tmp_path):
    files = pdf_batch(tmp_path / "in", 20)
    out = tmp_path / "out"
    results = Client().iter_batch(files, ROTATE_90, out, parallel="process", max_workers=2)
    assert next(results).ok
    results.close()
    assert not (out / ".batchproc-work").exists()
    result = Client().batch_process(files, ROTATE_90, out, parallel="process", max_workers=2)
    assert result.failed == [] and result.skipped >= 1 and len(result.successful) == 20


def test_keyboard_interrupt_in_iter_batch_cleans_up_then_raises(tmp_path):
    files = pdf_batch(tmp_path / "in", 30)
    out = tmp_path / "out"
    results = Client().iter_batch(files, SLOW_ROTATE, out, parallel="process", max_workers=2)
    assert next(results).ok
    with pytest.raises(KeyboardInterrupt):
        results.throw(KeyboardInterrupt)
    assert not (out / ".batchproc-work").exists()
    assert journal_entries(out) >= 1 and all(rotations(p) == [90] for p in out.glob("*.pdf"))


def test_batch_process_returns_the_partial_result_on_keyboard_interrupt(tmp_path):
    files = pdf_batch(tmp_path / "in", 30)

    def interrupt_at_three(done, total):
        if done == 3:
            raise KeyboardInterrupt

    result = Client().batch_process(
        files, SLOW_ROTATE, tmp_path / "out", parallel="thread", max_workers=2, progress_callback=interrupt_at_three
    )
    assert result.interrupted and result.total_processed == 3 and result.failed == []
    assert not (tmp_path / "out" / ".batchproc-work").exists()


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    files = pdf_batch(tmp_path / "in", 3)
    Client().batch_process(files, ROTATE_90, tmp_path / "out", parallel=False, progress=True)
    captured = capsys.readouterr()
    assert "3/3" in captured.err and captured.out == ""
