"""Programs the local engine runs die with the worker that started them: a worker
SIGKILLed for a timeout must not leave Ghostscript, Tesseract or LibreOffice (and the
helpers it forks) running on its file."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.factories import text_pdf


def ghostscript_job(tmp_path) -> str:
    source = tmp_path / "long.pdf"
    source.write_bytes(text_pdf(pages=3000))  # about 8 s of Ghostscript
    return (
        "from pathlib import Path\n"
        "from batchproc.external import ghostscript\n"
        f"ghostscript.convert_to_pdfa(input_path=Path({str(source)!r}), "
        f"output_path=Path({str(tmp_path / 'out.pdf')!r}), part=2)\n"
    )


def tesseract_job(tmp_path) -> str:
    """One dense page (about 8 s of Tesseract): a single image keeps Tesseract silent until
    it ends, so nothing but the parent-death signal can stop it early."""
    from PIL import Image, ImageDraw, ImageFont

    from tests.factories_core import DEJAVU

    font = ImageFont.truetype(DEJAVU, 28)
    image = Image.new("L", (5100, 6600), 255)
    draw = ImageDraw.Draw(image)
    for line in range(60):
        draw.text((100, 60 + line * 42), "The quarterly report of the northern region shows growth " * 3, font=font, fill=0)
    page = tmp_path / "page.png"
    image.save(page, dpi=(300, 300))
    return (
        "from pathlib import Path\n"
        "from batchproc.external import tesseract\n"
        f"tesseract.text_layer_pdf(images=[Path({str(page)!r})], "
        f"output_base=Path({str(tmp_path / 'layer')!r}), languages=['eng'], dpi=300)\n"
    )


def long_docx(tmp_path) -> Path:
    """A Word document LibreOffice takes several seconds to convert."""
    from tests.factories_core import docx_bytes

    source = tmp_path / "long.docx"
    source.write_bytes(docx_bytes([f"Paragraph {n} of the annual report, with a sentence." for n in range(20000)]))
    return source


def libreoffice_job(tmp_path) -> str:
    """soffice.bin runs under oosplash, which the script `soffice` became: the worker's
    death must reach a grandchild."""
    source = long_docx(tmp_path)
    return (
        "from pathlib import Path\n"
        "from batchproc.external import libreoffice\n"
        f"libreoffice.convert_to_pdf(input_path=Path({str(source)!r}), outdir=Path({str(tmp_path)!r}))\n"
    )


@pytest.mark.parametrize(
    ("program", "job"), [("gs", ghostscript_job), ("tesseract", tesseract_job), ("soffice.bin", libreoffice_job)]
)
def test_a_killed_worker_takes_its_busy_program_with_it(tmp_path, program, job):
    worker = subprocess.Popen([sys.executable, "-c", job(tmp_path)])
    deadline = time.monotonic() + 60
    started = False
    while not started and time.monotonic() < deadline:
        started = any(p.name() == program for p in psutil.Process(worker.pid).children(recursive=True))
        time.sleep(0.05)
    assert started, f"{program} never started"
    time.sleep(0.3)  # well inside the run
    descendants = psutil.Process(worker.pid).children(recursive=True)
    assert worker.poll() is None, "the run ended before the kill: make the job longer"
    worker.kill()
    worker.wait()
    gone, alive = psutil.wait_procs(descendants, timeout=2)
    assert not [p for p in alive if not ended(p)], f"{program} or its helpers outlived their worker: {alive}"


def ended(process: psutil.Process) -> bool:
    """Gone, or a zombie nobody reaps (its parent, the worker, is dead)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_libreoffice_timeout_stops_it_and_its_helpers(tmp_path):
    from batchproc.errors import ExternalToolError
    from batchproc.external import libreoffice

    profile = libreoffice._profile_dir(os.getpid()).as_uri()
    with pytest.raises(ExternalToolError, match="longer than 1 s"):
        libreoffice.convert_to_pdf(input_path=long_docx(tmp_path), outdir=tmp_path / "out", timeout_s=1)
    time.sleep(0.2)
    ours = [p for p in psutil.process_iter() if not ended(p) and profile in " ".join(_cmdline(p))]
    assert not ours, f"LibreOffice left running after its timeout: {ours}"
    assert not (tmp_path / "out" / "long.pdf").exists()


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
