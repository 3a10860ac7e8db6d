"""The warm Ghostscript behind convert_to_pdfa: one process per thread serves document
after document, and each output is that document's alone; a failure, a timeout or a dead
process costs one document, never the next."""

import gc
import io
import os
import signal
import threading

import pikepdf
import pikepdf.pdfa
import psutil
import pytest

from batchproc import Client, errors
from batchproc.external import ghostscript
from tests.factories import page_texts, text_pdf


def server_pid() -> int:
    return ghostscript._local.server._process.pid


def convert(source, folder, name: str, **options):
    target = folder / name
    ghostscript.convert_to_pdfa(input_path=source, output_path=target, part=2, **options)
    with pikepdf.open(target) as pdf:
        assert pikepdf.pdfa.check(pdf, "2b").violations == ()
        return len(pdf.pages), page_texts(target.read_bytes())


@pytest.fixture
def work(tmp_path):
    """A work folder, and no server left over from another test in this thread."""
    folder = tmp_path / "work"
    folder.mkdir()
    yield folder
    server = getattr(ghostscript._local, "server", None)
    if server is not None:
        server.close()
        ghostscript._local.server = None


def test_one_server_converts_document_after_document_each_on_its_own(tmp_path, work):
    alpha = text_pdf(tmp_path / "alpha.pdf", pages=2, text="Alpha")
    beta = text_pdf(tmp_path / "beta.pdf", pages=3, text="Beta")
    assert alpha and beta
    pages, texts = convert(tmp_path / "alpha.pdf", work, "a.pdf")
    first = server_pid()
    assert pages == 2 and all("Alpha" in t and "Beta" not in t for t in texts)
    pages, texts = convert(tmp_path / "beta.pdf", work, "b.pdf")
    assert pages == 3 and all("Beta" in t and "Alpha" not in t for t in texts)
    assert server_pid() == first, "the second document was not served by the warm process"


def test_a_failed_document_fails_alone_and_the_next_gets_a_fresh_server(tmp_path, work):
    good = tmp_path / "good.pdf"
    good.write_bytes(text_pdf(pages=1, text="Good"))
    convert(good, work, "first.pdf")
    before = server_pid()
    garbage = work / "garbage.pdf"
    garbage.write_bytes(b"%!PS\n(a program, not a PDF) nosuchoperator\n")  # `run` raises /undefined
    with pytest.raises(errors.ExternalToolError, match="Ghostscript PDF/A conversion failed"):
        convert(garbage, work, "bad.pdf")
    assert not psutil.pid_exists(before) or psutil.Process(before).status() == psutil.STATUS_ZOMBIE
    pages, texts = convert(good, work, "after.pdf")
    assert pages == 1 and "Good" in texts[0] and server_pid() != before


def test_a_timeout_kills_the_server_and_the_next_document_converts(tmp_path, work):
    source = tmp_path / "long.pdf"
    source.write_bytes(text_pdf(pages=40))
    with pytest.raises(errors.ExternalToolError, match="ran longer than"):
        convert(source, work, "late.pdf", timeout_s=0.001)
    assert getattr(ghostscript._local, "server", None) is None
    pages, _ = convert(source, work, "on-time.pdf")
    assert pages == 40


def test_a_server_killed_between_documents_is_replaced(tmp_path, work):
    source = tmp_path / "doc.pdf"
    source.write_bytes(text_pdf(pages=1))
    convert(source, work, "one.pdf")
    killed = server_pid()
    os.kill(killed, signal.SIGKILL)
    os.waitpid(killed, 0)
    pages, _ = convert(source, work, "two.pdf")
    assert pages == 1 and server_pid() != killed


def test_paths_with_postscript_specials_are_read_and_written(tmp_path):
    odd = tmp_path / "in (draft) 100% \\ %d"
    odd.mkdir()
    source = odd / "report (v2) %s.pdf"
    source.write_bytes(text_pdf(pages=2, text="Odd"))
    folder = tmp_path / "work (1) 50%d"
    folder.mkdir()
    try:
        pages, texts = convert(source, folder, "out %d (final).pdf")
    finally:
        ghostscript._local.server.close()
        ghostscript._local.server = None
    assert pages == 2 and "Odd" in texts[0]
    assert sorted(p.name for p in folder.iterdir() if p.name != "gs-idle.pdf") == ["out %d (final).pdf"]


def test_a_thread_that_ends_takes_its_server_with_it(tmp_path):
    source = tmp_path / "doc.pdf"
    source.write_bytes(text_pdf(pages=1))
    folder = tmp_path / "work"
    folder.mkdir()
    pids = []

    def work_in_thread():
        ghostscript.convert_to_pdfa(input_path=source, output_path=folder / "out.pdf", part=2)
        pids.append(server_pid())

    thread = threading.Thread(target=work_in_thread)
    thread.start()
    thread.join()
    gc.collect()
    assert pids and not psutil.pid_exists(pids[0])


def test_a_serial_batch_keeps_each_documents_own_text_and_title(tmp_path):
    inputs = []
    for name in ("north", "south", "east"):
        buf = io.BytesIO(text_pdf(pages=2, text=name.title()))
        with pikepdf.open(buf) as pdf:
            pdf.docinfo["/Title"] = f"The {name} report"
            pdf.save(tmp_path / f"{name}.pdf")
        inputs.append(tmp_path / f"{name}.pdf")
    result = Client().batch_process(
        inputs, [{"method": "convert_to_pdfa", "params": {"conformance": "pdfa-2b"}}], tmp_path / "out",
        output_format="{name}{ext}", parallel=False,
    )
    assert len(result.successful) == 3
    for name in ("north", "south", "east"):
        out = tmp_path / "out" / f"{name}.pdf"
        with pikepdf.open(out) as pdf:
            assert str(pdf.docinfo["/Title"]) == f"The {name} report"
            assert pikepdf.pdfa.check(pdf, "2b").violations == ()
        texts = page_texts(out.read_bytes())
        assert len(texts) == 2 and all(name.title() in t for t in texts)
