"""Faults during a batch (local engine, process pool): a worker killed by SIGKILL or a
segfault, a worker that hangs, the output disk filling up. The batch reports the affected
files with typed errors and keeps the rest; no partial or temporary file is left."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest

from batchproc import Client, errors
from batchproc.batch.journal import JOURNAL_NAME
from tests import factories_bad as bad
from tests import fault_ops
from tests.factories import text_pdf


@pytest.fixture(autouse=True)
def _fault_ops():
    """Workers started by these tests import tests.fault_ops."""
    with fault_ops.enabled():
        yield


def rotations(path: Path) -> list[int]:
    with pikepdf.open(path) as pdf:
        return [int(p.obj.get("/Rotate", 0)) for p in pdf.pages]


def test_crashing_and_hanging_workers_fail_their_file_and_spare_the_rest(tmp_path):
    names = ["segv", "sigkill", "hang"] + [f"good{n}" for n in range(8)]
    inputs = []
    for name in names:
        text_pdf(tmp_path / f"{name}.pdf", pages=1)
        inputs.append(tmp_path / f"{name}.pdf")
    operations = [
        {"method": "fault_crash", "params": {"name_contains": "segv", "how": "segv"}},
        {"method": "fault_crash", "params": {"name_contains": "sigkill", "how": "kill"}},
        {"method": "fault_hang", "params": {"name_contains": "hang", "seconds": 600}},
        {"method": "rotate_pages", "params": {"degrees": 90}},
    ]
    out = tmp_path / "out"
    result = Client().batch_process(inputs, operations, output_dir=out, parallel="process",
                                    max_workers=2, file_timeout=6)
    failed = {Path(i).stem: e for i, e in result.failed}
    assert set(failed) == {"segv", "sigkill", "hang"}, failed
    assert isinstance(failed["segv"], errors.WorkerCrashedError) and "SIGSEGV" in failed["segv"].message
    assert isinstance(failed["sigkill"], errors.WorkerCrashedError) and "SIGKILL" in failed["sigkill"].message
    assert isinstance(failed["hang"], errors.FileTimeoutError)
    assert sorted(Path(i).stem for i, _ in result.successful) == [f"good{n}" for n in range(8)]
    for _, output in result.successful:
        assert rotations(output) == [90]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"good{n}_{names.index(f'good{n}')}.pdf" for n in range(8)] + [JOURNAL_NAME]
    )


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs (root only): the real ENOSPC, not a simulated failing write."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_output_disk_fails_the_files_that_do_not_fit_and_keeps_the_rest(tmp_path, tiny_disk):
    inputs = [bad.bulky_pdf(tmp_path / f"bulky{n}.pdf", kib=300, seed=n) for n in range(12)]
    result = Client().batch_process(
        inputs, [{"method": "rotate_pages", "params": {"degrees": 90}}],
        output_dir=tiny_disk, parallel="process", max_workers=2,
    )
    assert result.total_processed == 12
    assert 1 <= len(result.successful) < 12
    for _, exc in result.failed:
        assert isinstance(exc, errors.OutputWriteError), repr(exc)
        assert "No space left on device" in exc.message
    for _, output in result.successful:
        assert rotations(output) == [90]  # complete: it opens, with the effect
    written = {p.name for p in tiny_disk.iterdir()} - {JOURNAL_NAME}
    assert written == {Path(o).name for _, o in result.successful}  # no partial or temporary file
