"""Bad, damaged, hostile and huge inputs, one file at a time through the Client (local engine).

Every bad file must end in a typed error that names the file and the cause in plain words;
every damaged-but-readable file must either be repaired (and then carry every operation's
effect) or fail; nothing hangs, and nothing touches the caller's input file.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pikepdf
import pytest

from batchproc import Client, errors
from batchproc.engines.local import guards
from tests import factories_bad as bad
from tests.factories import page_texts, text_pdf

REPO = Path(__file__).resolve().parents[1]


PEAK_RSS_KIB = (
    "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))"
)
"""Code printing the process's peak RSS in KiB. Not ru_maxrss: Linux carries that over
exec from the forked parent, so a child of a big pytest process would report its size."""


def rotations(data: bytes) -> list[int]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [int(p.obj.get("/Rotate", 0)) for p in pdf.pages]


FIRST_STEPS = {
    "in-memory": [{"method": "rotate_pages", "params": {"degrees": 90}}],
    "renderer": [{"method": "convert_to_images", "params": {"dpi": 10}}],
    "pass-through": [{"method": "convert_to_pdf"}],
}
"""Pipelines whose first step works on the open PDF, hands the file to a renderer, or does
nothing at all: the input is inspected before any of them sees it."""


@pytest.mark.parametrize("first", sorted(FIRST_STEPS))
@pytest.mark.parametrize("name", sorted(bad.BAD_INPUTS))
def test_bad_input_fails_with_a_typed_error_naming_file_and_cause(tmp_path, name, first):
    build, error, phrase = bad.BAD_INPUTS[name]
    path = build(tmp_path / f"{name}.pdf")
    with pytest.raises(error) as info:
        Client().process(path, FIRST_STEPS[first])
    assert info.value.source == str(path)
    assert phrase in info.value.message
    assert str(tmp_path) not in info.value.message  # qpdf's own "<file>: " prefix is stripped


def test_wrong_password_is_named_as_such(tmp_path):
    path = bad.encrypted(tmp_path / "locked.pdf", password="right")
    with pytest.raises(errors.PasswordRequiredError, match="a wrong password was given"):
        Client().rotate_pages(path, degrees=90, password="wrong")


def test_broken_xref_is_repaired_and_keeps_its_text(tmp_path):
    path = bad.broken_xref_pdf(tmp_path / "xref.pdf", pages=2)
    with pytest.raises(pikepdf.PdfError):  # a strict reader refuses it: the repair is real
        pikepdf.open(path, attempt_recovery=False)
    out = Client().rotate_pages(path, degrees=90)
    assert rotations(out) == [90, 90]
    texts = page_texts(out)
    assert "Repaired page 1" in texts[0] and "Repaired page 2" in texts[1]


def test_pdf_cut_after_its_page_tree_gives_an_output_that_opens_strictly(tmp_path):
    path = bad.trailerless_pdf(tmp_path / "cut.pdf")
    out = Client().watermark_pdf(path, text="STAMPED")
    with pikepdf.open(io.BytesIO(out), attempt_recovery=False) as pdf:
        assert len(pdf.pages) == 1
    assert "STAMPED" in page_texts(out)[0]


def test_an_output_no_reader_opens_is_caught_by_the_read_back(tmp_path):
    """What the read-back is for: without guards' /Size repair, this is what was written."""
    from batchproc.engines.local.document import verify_output

    with pikepdf.open(bad.trailerless_pdf(tmp_path / "cut.pdf")) as pdf:
        pdf.save(tmp_path / "written.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
    with pytest.raises(errors.CorruptDocumentError, match="could not be read back"):
        verify_output(tmp_path / "written.pdf", pages=1, password="", label="cut.pdf")


def test_watermark_on_content_ending_inside_an_array_is_visible(tmp_path):
    """The damaged stream would swallow the overlay drawn after it; sealing prevents that."""
    path = bad.unterminated_array_pdf(tmp_path / "dangling.pdf")
    out = Client().watermark_pdf(path, text="STAMPED")
    (text,) = page_texts(out)
    assert "STAMPED" in text and "Damaged page 1" in text


def test_sealing_closes_an_open_text_object_and_keeps_every_instruction(tmp_path):
    path = bad.unterminated_array_pdf(tmp_path / "dangling.pdf")
    with pikepdf.open(path) as pdf:
        before = [str(i.operator) for i in pikepdf.parse_content_stream(pdf.pages[0])]
        assert guards.inspect_input(pdf) is True
        after = [str(i.operator) for i in pikepdf.parse_content_stream(pdf.pages[0])]
        assert pdf.get_warnings() == []
    assert after == before + ["ET"]


def test_sealing_counts_operators_not_operands_that_look_like_them():
    """Two q and one Q left open, and a text object: strings and arrays holding "Q", "ET"
    or a newline are operands, not operators."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_stream(b"q (a\nQ ET) Tj q [(Q) 2] TJ Q q BT /F1 9 Tf (Q) Tj")
    body = guards.sealed_contents(pdf, pdf.pages[0])
    assert body is not None and body.endswith(b"\nET\nQ\nQ\n")


def test_clean_input_is_not_rewritten(tmp_path):
    with pikepdf.open(io.BytesIO(text_pdf(pages=3))) as pdf:
        assert guards.inspect_input(pdf) is False


def test_decompression_bomb_is_refused_in_constant_memory(tmp_path):
    """Detecting the 2 GiB bomb must not inflate it: the child's peak RSS stays small."""
    path = bad.bomb_pdf(tmp_path / "bomb.pdf")
    code = (
        "from batchproc import Client, errors\n"
        "try:\n"
        f"    Client().rotate_pages({str(path)!r}, degrees=90)\n"
        "except errors.CorruptDocumentError as exc:\n"
        "    print(exc.message)\n"
        f"{PEAK_RSS_KIB}\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    message, peak_kib = done.stdout.strip().splitlines()
    assert "decompression bomb" in message
    assert int(peak_kib) < 200 * 1024, f"peak RSS {int(peak_kib) // 1024} MB"


def test_doubly_compressed_bomb_is_refused_too(tmp_path):
    path = bad.bomb_pdf(tmp_path / "bomb2.pdf", inflated_bytes=512 << 20, double=True)
    assert path.stat().st_size < 100_000
    with pytest.raises(errors.CorruptDocumentError, match="decompression bomb"):
        Client().rotate_pages(path, degrees=90)


def test_sniffing_a_zip_bomb_office_file_reads_only_its_first_bytes(tmp_path):
    path = bad.zip_bomb_odt(tmp_path / "bomb.odt", inflated_bytes=320 << 20)
    code = (
        "from pathlib import Path\n"
        "from batchproc import formats\n"
        f"path = Path({str(path)!r})\n"
        "print(formats.sniff(path.read_bytes()[:2048], path.name, path=path).kind)\n"
        f"{PEAK_RSS_KIB}\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    kind, peak_kib = done.stdout.split()
    assert kind == "office" and int(peak_kib) < 200 * 1024, f"peak RSS {int(peak_kib) // 1024} MB"


def test_qpdf_decode_cap_turns_a_bomb_read_into_a_typed_error(tmp_path):
    """The process-wide cap also guards steps that decode (here: coalescing content)."""
    path = bad.bomb_pdf(tmp_path / "bomb.pdf", inflated_bytes=guards.MAX_STREAM_BYTES * 2)
    guards.set_decode_limits()
    with pikepdf.open(path) as pdf:
        with pytest.raises(pikepdf.PdfError) as info:
            pdf.pages[0].obj.Contents[1].read_bytes()
    assert guards.is_limit_error(info.value)


def test_five_thousand_pages_are_all_rotated(tmp_path):
    path = bad.many_pages_pdf(tmp_path / "long.pdf", pages=5000)
    out = Client().rotate_pages(path, degrees=270)
    assert rotations(out) == [270] * 5000


def test_huge_image_page_is_edited_without_rendering(tmp_path):
    path = bad.huge_image_pdf(tmp_path / "poster.pdf")
    out = Client().rotate_pages(path, degrees=90)
    assert rotations(out) == [90]


def test_huge_scanned_image_is_refused_by_ocr_before_any_render(tmp_path):
    """OCR reads a scan at its own resolution: 400 Mpx would be a 400 MB+ bitmap."""
    path = bad.huge_image_pdf(tmp_path / "scan.pdf", text=False)
    with pytest.raises(errors.ResourceError, match="20000 x 20000 pixels") as info:
        Client().ocr_pdf(path)
    assert info.value.source == str(path)


def test_huge_image_page_renders_at_page_resolution(tmp_path):
    """pdfium downsamples the 400 Mpx image to the page's bitmap; it does not fail."""
    path = bad.huge_image_pdf(tmp_path / "poster.pdf")
    (png,) = [Client().process(path, [{"method": "convert_to_images", "params": {"dpi": 36}}])]
    from PIL import Image

    assert Image.open(io.BytesIO(png)).size == (306, 396)


def test_self_drawing_form_renders_and_watermarks(tmp_path):
    path = bad.self_drawing_form_pdf(tmp_path / "loop.pdf")
    out = Client().watermark_pdf(path, text="LOOPED")
    assert "LOOPED" in page_texts(out)[0]
    png = Client().process(out, [{"method": "convert_to_images", "params": {"dpi": 36}}])
    assert png.startswith(b"\x89PNG")


def test_pass_through_step_never_moves_or_changes_the_callers_file(tmp_path):
    path = tmp_path / "mine.pdf"
    text_pdf(path, pages=2)
    before = path.read_bytes()
    out = Client().process(path, [{"method": "convert_to_pdf"}])
    assert path.read_bytes() == before
    assert page_texts(out)[0].startswith("Quarterly report page 1")


# -- paths --------------------------------------------------------------------------------------


def test_missing_path_folder_fifo_and_nul_byte_are_input_not_found(tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)  # opening it would block for ever
    cases = {
        str(tmp_path / "nope.pdf"): "does not exist",
        str(tmp_path): "is a folder",
        str(fifo): "not a regular file",
        str(tmp_path / "nul\x00byte.pdf"): "NUL byte",
    }
    for path, phrase in cases.items():
        with pytest.raises(errors.InputNotFoundError, match=phrase) as info:
            Client().rotate_pages(path, degrees=90)
        assert info.value.source == path


def test_unreadable_file_is_input_not_found_for_an_unprivileged_user():
    """Root reads any file, so a child process drops to `nobody` (after its imports:
    the interpreter lives under /root) and then asks for the file."""
    folder = Path(tempfile.mkdtemp(prefix="batchproc-perm-"))
    try:
        folder.chmod(0o755)
        path = bad.unreadable_file(folder / "locked-away.pdf")
        code = (
            "import os\n"
            "from batchproc import Client, errors\n"
            "client = Client()\n"
            "if os.geteuid() == 0:\n"
            "    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "try:\n"
            f"    client.rotate_pages({str(path)!r}, degrees=90)\n"
            "except errors.BatchprocError as exc:\n"
            "    print(type(exc).__name__, exc.message)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.stdout.strip() == "InputNotFoundError permission denied: the file cannot be read", done.stderr
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


@pytest.mark.parametrize("name", bad.ODD_NAMES)
def test_odd_names_work_as_relative_paths_through_an_external_program(tmp_path, monkeypatch, name):
    """Names a shell or an argv parser would misread (spaces, non-ASCII, leading dashes)
    work as relative paths, through pikepdf and through a renderer."""
    monkeypatch.chdir(tmp_path)
    text_pdf(tmp_path / name, pages=1, text="Odd")
    out = Client().process(
        name,
        [{"method": "rotate_pages", "params": {"degrees": 90}}, {"method": "convert_to_images", "params": {"dpi": 20}}],
    )
    assert out.startswith(b"\x89PNG")
    rotated = Client().rotate_pages(name, degrees=90)
    assert rotations(rotated) == [90]
