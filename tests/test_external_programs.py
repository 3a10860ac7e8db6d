"""Programs the local engine runs die with the worker that started them: a worker
SIGKILLed for a timeout must not leave Ghostscript or Tesseract running on its file."""

import subprocess
import sys
import time

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


@pytest.mark.parametrize(("program", "job"), [("gs", ghostscript_job), ("tesseract", tesseract_job)])
def test_a_killed_worker_takes_its_busy_program_with_it(tmp_path, program, job):
    worker = subprocess.Popen([sys.executable, "-c", job(tmp_path)])
    deadline = time.monotonic() + 60
    busy = []
    while not busy and time.monotonic() < deadline:
        busy = [p for p in psutil.Process(worker.pid).children(recursive=True) if p.name() == program]
        time.sleep(0.05)
    assert busy, f"{program} never started"
    time.sleep(0.3)  # well inside the run
    assert worker.poll() is None, "the run ended before the kill: make the job longer"
    worker.kill()
    worker.wait()
    gone, alive = psutil.wait_procs(busy, timeout=2)
    assert not alive, f"{program} outlived its worker: {alive}"
