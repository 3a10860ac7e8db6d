"""kill -9 of the parent at random points of a batch, then a re-run.

After each kill: every worker process is gone within seconds (they watch their parent).
After the re-run: every output exists exactly once under its final name and opens with
the operation's effect, and nothing temporary is left in the output folder.

The default suite runs a few trials; `-m slow` runs many (KILL_TRIALS_SLOW). Each trial
prints its seed and kill point, so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import psutil
import pytest

from batchproc.batch.journal import JOURNAL_NAME
from tests.factories_batch import pdf_batch

REPO = Path(__file__).resolve().parents[1]
FILES = 40
KILL_TRIALS_DEFAULT = 3
KILL_TRIALS_SLOW = 30
WORKERS_GONE_WITHIN_S = 5.0

BATCH_SCRIPT = """
import sys
from pathlib import Path
from batchproc import Client
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
inputs = sorted(folder.glob("*.pdf"))
operations = [
    {"method": "fault_hang", "params": {"name_contains": "", "seconds": 0.05}},
    {"method": "rotate_pages", "params": {"degrees": 90}},
]
result = Client().batch_process(inputs, operations, output_dir=out, parallel="process", max_workers=2)
print("done", len(result.successful), len(result.failed), flush=True)
"""


def start_batch(folder: Path, out: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), BATCHPROC_EXTRA_OPERATIONS="tests.fault_ops")
    return subprocess.Popen(
        [sys.executable, "-c", BATCH_SCRIPT, str(folder), str(out)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def expected_names(paths: list[Path]) -> set[str]:
    return {f"{p.stem}_{n}.pdf" for n, p in enumerate(sorted(paths))}


@dataclass
class KilledBatch:
    folder: Path
    out: Path
    inputs: list[Path]
    where: str
    """Seed and kill point, for messages: a failing trial can be replayed."""
    orphans: list[int]
    """Pids of the batch's processes still alive WORKERS_GONE_WITHIN_S after the kill
    (the test kills them, so a failure leaves nothing running)."""


def kill_batch(tmp_path: Path, seed: int) -> KilledBatch:
    """Start a batch and SIGKILL it once `target` outputs exist, plus a random few
    milliseconds: the kill lands at a random point of the work whatever the machine's speed."""
    rng = random.Random(seed)
    target = rng.randrange(0, FILES - 4)
    jitter_s = rng.uniform(0.0, 0.08)
    where = f"seed {seed} (kill after {target} outputs + {jitter_s * 1000:.0f} ms)"
    folder, out = tmp_path / f"in-{seed}", tmp_path / f"out-{seed}"
    inputs = pdf_batch(folder, FILES, pages=2, prefix="doc ")  # names with spaces
    batch = start_batch(folder, out)
    # Sample the process tree until the kill: workers may be replaced while it runs.
    seen: dict[int, psutil.Process] = {}
    while batch.poll() is None and len(list(out.glob("*.pdf"))) < target:
        for proc in descendants(batch.pid):
            seen.setdefault(proc.pid, proc)
        time.sleep(0.01)
    time.sleep(jitter_s)
    for proc in descendants(batch.pid):
        seen.setdefault(proc.pid, proc)
    assert batch.poll() is None, f"{where}: the batch ended before the kill"
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    batch.stdout.close()
    batch.stderr.close()
    _, alive = psutil.wait_procs(list(seen.values()), timeout=WORKERS_GONE_WITHIN_S)
    for proc in alive:
        proc.kill()
    return KilledBatch(folder, out, inputs, where, [p.pid for p in alive])


def rerun_and_check(killed: KilledBatch) -> None:
    """Re-run the killed batch to the end: each output exactly once, complete, nothing else."""
    rerun = start_batch(killed.folder, killed.out)
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert stdout.split()[:1] == ["done"] and stdout.split()[2] == "0", stdout
    names = {p.name for p in killed.out.iterdir()}
    assert names == expected_names(killed.inputs) | {JOURNAL_NAME}, killed.where
    for name in names - {JOURNAL_NAME}:
        with pikepdf.open(killed.out / name) as pdf:
            assert [int(p.obj.get("/Rotate", 0)) for p in pdf.pages] == [90, 90], name


@pytest.mark.parametrize("seed", range(KILL_TRIALS_DEFAULT))
def test_kill_parent_then_rerun_leaves_each_output_once(tmp_path, seed):
    rerun_and_check(kill_batch(tmp_path, seed))


@pytest.mark.parametrize("seed", [7])
def test_workers_exit_within_seconds_of_a_killed_parent(tmp_path, seed):
    killed = kill_batch(tmp_path, seed)
    assert killed.orphans == [], f"{killed.where}: still running after {WORKERS_GONE_WITHIN_S:g} s"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 100 + KILL_TRIALS_SLOW))
def test_kill_parent_then_rerun_many_times(tmp_path, seed):
    killed = kill_batch(tmp_path, seed)
    rerun_and_check(killed)
    assert killed.orphans == [], f"{killed.where}: still running after {WORKERS_GONE_WITHIN_S:g} s"
