"""A mixed batch of good and bad files on the local engine with a process pool: every good
file succeeds and carries every operation's effect, every bad one fails alone with a typed
error naming it, and the output folder holds exactly the outputs (nothing temporary)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf
import pytest

from batchproc import Client, errors
from batchproc.batch.journal import JOURNAL_NAME
from tests import factories_bad as bad
from tests.factories import page_texts, text_pdf

STAMP_AND_TURN = [
    {"method": "rotate_pages", "params": {"degrees": 90}},
    {"method": "watermark_pdf", "params": {"text": "CHECKED", "font_size": 24}},
]


def good_pdf(path: Path, pages: int = 1) -> Path:
    text_pdf(path, pages=pages)
    return path


def rotations(path: Path) -> list[int]:
    with pikepdf.open(path) as pdf:
        return [int(p.obj.get("/Rotate", 0)) for p in pdf.pages]


def assert_stamped_and_turned(path: Path, pages: int) -> None:
    assert rotations(path) == [90] * pages
    texts = page_texts(path)
    assert len(texts) == pages and all("CHECKED" in t for t in texts), path


def leftovers(folder: Path, outputs: set[Path]) -> list[str]:
    """Everything in `folder` (recursively) that is neither an output nor the journal."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            if path not in outputs and name != JOURNAL_NAME:
                found.append(str(path.relative_to(folder)))
    return found


def test_mixed_batch_reports_every_bad_file_and_finishes_every_good_one(tmp_path):
    inputs_dir, out = tmp_path / "in", tmp_path / "out"
    inputs_dir.mkdir()
    bad_files = {}
    for name, (build, error, phrase) in bad.BAD_INPUTS.items():
        bad_files[build(inputs_dir / f"{name}.pdf")] = (error, phrase)
    bad_files[inputs_dir / "missing.pdf"] = (errors.InputNotFoundError, "does not exist")
    bad_files[inputs_dir / "nul\x00byte.pdf"] = (errors.InputNotFoundError, "NUL byte")
    (inputs_dir / "a-folder.pdf").mkdir()
    bad_files[inputs_dir / "a-folder.pdf"] = (errors.InputNotFoundError, "folder")
    good_files = {build(inputs_dir / f"{name}.pdf"): 1 for name, build in bad.GOOD_ODDITIES.items()
                  if name != "many-pages"}
    good_files[bad.many_pages_pdf(inputs_dir / "many-pages.pdf", pages=600)] = 600
    for name in bad.ODD_NAMES:
        good_files[good_pdf(inputs_dir / name, pages=2)] = 2
    for n in range(6):
        good_files[good_pdf(inputs_dir / f"plain{n}.pdf", pages=3)] = 3
    inputs = sorted([*bad_files, *good_files], key=lambda p: p.name)

    result = Client().batch_process(
        inputs, STAMP_AND_TURN, output_dir=out, parallel="process", max_workers=2,
        file_timeout=120, memory_limit=700 << 20,
    )

    assert result.total_processed == len(inputs)
    failed = {Path(i): e for i, e in result.failed}
    assert set(failed) == set(bad_files), {str(k): str(v) for k, v in failed.items()}
    for path, (error, phrase) in bad_files.items():
        exc = failed[path]
        assert isinstance(exc, error), f"{path.name}: {exc!r}"
        assert phrase in exc.message and exc.source == str(path)
    successful = {Path(i): Path(o) for i, o in result.successful}
    assert set(successful) == set(good_files)
    for path, pages in good_files.items():
        assert_stamped_and_turned(successful[path], pages)
    assert leftovers(out, set(successful.values())) == []


def test_wrong_password_fails_only_the_encrypted_file(tmp_path):
    locked = bad.encrypted(tmp_path / "locked.pdf", password="right")
    plain = good_pdf(tmp_path / "plain.pdf")
    result = Client().batch_process(
        [locked, plain], [{"method": "rotate_pages", "params": {"degrees": 90}}],
        output_dir=tmp_path / "out", parallel="process", max_workers=2, password="wrong",
    )
    [(failed_input, error)] = result.failed
    assert failed_input == locked and isinstance(error, errors.PasswordRequiredError)
    assert "wrong password" in error.message
    [(ok_input, output)] = result.successful
    assert ok_input == plain and rotations(output) == [90]


def test_bytes_and_file_objects_fail_and_succeed_like_paths():
    good = text_pdf(pages=1)
    result = Client().batch_process(
        [b"", io.BytesIO(b"%PDF-1.7\n garbage"), good, io.BytesIO(good)],
        [{"method": "rotate_pages", "params": {"degrees": 180}}],
        parallel="process", max_workers=2,
    )
    kinds = sorted(type(e).__name__ for _, e in result.failed)
    assert kinds == ["CorruptDocumentError", "NotAPDFError"]
    assert len(result.successful) == 2
    for _, data in result.successful:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert int(pdf.pages[0].obj.Rotate) == 180


@pytest.mark.parametrize("parallel", [False, "thread"])
def test_bad_inputs_fail_alike_in_serial_and_thread_modes(tmp_path, parallel):
    paths = [build(tmp_path / f"{name}.pdf") for name, (build, _, _) in bad.BAD_INPUTS.items() if name != "bomb"]
    paths.append(good_pdf(tmp_path / "good.pdf"))
    result = Client().batch_process(paths, [{"method": "rotate_pages", "params": {"degrees": 90}}],
                                    output_dir=tmp_path / "out", parallel=parallel)
    assert [Path(i).name for i, _ in result.successful] == ["good.pdf"]
    for path, exc in result.failed:
        expected = bad.BAD_INPUTS[Path(path).stem][1]
        assert isinstance(exc, expected), f"{path}: {exc!r}"
