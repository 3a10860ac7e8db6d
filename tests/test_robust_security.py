"""Security of the local batch path: nothing is written outside output_dir (by output
names, input names, or symlinks planted in output_dir), and temporary files live in a
private folder that is removed on success, failure and interruption."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batchproc import Client, errors
from batchproc.batch.journal import JOURNAL_NAME
from batchproc.batch.runner import WORK_DIR_NAME
from tests import factories_bad as bad
from tests.factories import text_pdf

REPO = Path(__file__).resolve().parents[1]
ROTATE = [{"method": "rotate_pages", "params": {"degrees": 90}}]


def good_pdf(path: Path, pages: int = 1) -> Path:
    text_pdf(path, pages=pages)
    return path


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    "output_format",
    ["../{name}{ext}", "/tmp/{name}{ext}", "{name}/../../{index}{ext}", "sub/{name}{ext}", "..", "{name.__class__}"],
)
def test_output_format_that_escapes_output_dir_is_refused_before_any_work(tmp_path, output_format):
    src = good_pdf(tmp_path / "a.pdf")
    before = tree(tmp_path)
    with pytest.raises(errors.OutputNameError):
        Client().batch_process([src], ROTATE, output_dir=tmp_path / "out" / "deep", output_format=output_format)
    assert tree(tmp_path) - before <= {"out", "out/deep"}  # nothing written anywhere else


def test_input_names_cannot_steer_outputs_out_of_output_dir(tmp_path):
    out = tmp_path / "out"
    data = text_pdf(pages=1)
    sneaky = io.BytesIO(data)
    sneaky.name = "../../escaped.pdf"
    absolute = io.BytesIO(data)
    absolute.name = "/etc/cron.d/evil.pdf"
    result = Client().batch_process([sneaky, absolute], ROTATE, output_dir=out, output_format="{name}{ext}")
    assert sorted(Path(o).name for _, o in result.successful) == ["escaped.pdf", "evil.pdf"]
    assert all(Path(o).parent == out for _, o in result.successful)
    assert not (tmp_path / "escaped.pdf").exists()


def test_symlink_planted_at_an_output_name_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a_0.pdf").symlink_to(victim)
    result = Client().batch_process([good_pdf(tmp_path / "a.pdf")], ROTATE, output_dir=out)
    assert len(result.successful) == 1
    assert victim.read_text() == "precious"
    assert not (out / "a_0.pdf").is_symlink() and (out / "a_0.pdf").read_bytes().startswith(b"%PDF")


def test_symlink_planted_at_the_journal_name_is_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / JOURNAL_NAME).symlink_to(victim)
    try:
        Client().batch_process([good_pdf(tmp_path / "a.pdf")], ROTATE, output_dir=out)
    except errors.BatchprocError:
        pass  # refusing the planted link is fine too
    assert victim.read_text() == "precious"


def test_symlink_planted_at_the_work_folder_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / WORK_DIR_NAME).symlink_to(elsewhere, target_is_directory=True)
    try:
        result = Client().batch_process([good_pdf(tmp_path / "a.pdf")], ROTATE, output_dir=out)
        assert len(result.successful) == 1
    except errors.BatchprocError:
        pass  # refusing the planted link is fine too
    assert tree(elsewhere) == {"keep.txt"}


# -- temporary files ------------------------------------------------------------------------------


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A TMPDIR of our own, so leftovers are ours to see (tempfile caches its choice)."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def test_client_temp_files_are_removed_on_success_and_failure(tmp_path, private_tmp):
    Client().rotate_pages(good_pdf(tmp_path / "a.pdf"), degrees=90)
    with pytest.raises(errors.CorruptDocumentError):
        Client().rotate_pages(bad.truncated(tmp_path / "t.pdf"), degrees=90)
    with pytest.raises(errors.CorruptDocumentError):
        Client().rotate_pages(bad.bomb_pdf(tmp_path / "b.pdf", inflated_bytes=512 << 20), degrees=90)
    assert list(private_tmp.iterdir()) == []


def test_batch_temp_files_are_removed_with_and_without_output_dir(tmp_path, private_tmp):
    inputs = [good_pdf(tmp_path / "a.pdf"), bad.truncated(tmp_path / "t.pdf")]
    for output_dir in (None, tmp_path / "out"):
        result = Client().batch_process(inputs, ROTATE, output_dir=output_dir, parallel="process", max_workers=2)
        assert len(result.successful) == 1 and len(result.failed) == 1
    assert list(private_tmp.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(["a_0.pdf", JOURNAL_NAME])


INTERRUPTED_BATCH = """
import signal, sys
from pathlib import Path
from batchproc import Client
signal.signal(signal.SIGINT, signal.default_int_handler)  # background jobs start with SIGINT ignored
folder = Path(sys.argv[1])
out = Path(sys.argv[2]) if sys.argv[2] != "-" else None
ops = [{"method": "fault_hang", "params": {"name_contains": "", "seconds": 0.2}},
       {"method": "rotate_pages", "params": {"degrees": 90}}]
result = Client().batch_process(sorted(folder.glob("*.pdf")), ops, output_dir=out, parallel="process", max_workers=2)
print("interrupted" if result.interrupted else "finished", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("with_output_dir", [True, False])
def test_interrupted_batch_leaves_no_temporary_files(tmp_path, private_tmp, signum, with_output_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(30):
        good_pdf(folder / f"d{n:02d}.pdf")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(REPO), BATCHPROC_EXTRA_OPERATIONS="tests.fault_ops")
    batch = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_BATCH, str(folder), str(out) if with_output_dir else "-"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Interrupt once work is under way: the work folder exists (in TMPDIR or output_dir).
    work_parent = out if with_output_dir else private_tmp
    deadline = time.monotonic() + 60
    while not any(work_parent.glob(f"{WORK_DIR_NAME}*" if with_output_dir else "batchproc-*")):
        assert time.monotonic() < deadline and batch.poll() is None, batch.communicate()
        time.sleep(0.02)
    work = next(work_parent.glob(f"{WORK_DIR_NAME}*" if with_output_dir else "batchproc-*"))
    assert stat.S_IMODE(work.stat().st_mode) == 0o700  # private while it exists
    time.sleep(0.8)
    batch.send_signal(signum)
    stdout, stderr = batch.communicate(timeout=60)
    assert stdout.strip() == "interrupted", stderr
    assert list(private_tmp.iterdir()) == []
    if with_output_dir:
        leftover = {p.name for p in out.iterdir()} - {JOURNAL_NAME}
        assert all(name.endswith(".pdf") and not name.startswith(".") for name in leftover), leftover
