"""The contenders that are not batchproc's batch runner: what users would run instead.

Each function takes the input files and an output folder, writes one output per input
(same file name) and raises on any failure, so a broken baseline can never look fast.

    naive_thread_pool_chain    the original feature request's design: ThreadPoolExecutor(4),
                               one batchproc direct method per operation, bytes in and out
    naive_thread_pool_noop     the same design with one no-op-like call (rotate by 0)
    pypdf_loop_chain           a sequential pypdf + reportlab loop
    ocrmypdf_parallel          OCRmyPDF's documented batch recipe under GNU parallel
    tesseract_floor            the bare tesseract CLI, PDF renderer, two at a time
    ghostscript_pdfa_parallel  GNU parallel over a direct Ghostscript PDF/A-2b command
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

WATERMARK_TEXT = "CONFIDENTIAL"
OCR_LANGUAGES = "eng+spa"
ICC_PROFILE = Path("/usr/share/color/icc/ghostscript/srgb.icc")


# -- rotate 90 + text watermark + flatten ------------------------------------------------------
def naive_thread_pool_chain(files: list[Path], output_dir: Path, *, workers: int = 4) -> None:
    """ThreadPoolExecutor(4); per file: rotate → watermark → flatten, bytes between calls."""
    from batchproc import Client

    client = Client()

    def one(path: Path) -> None:
        data = path.read_bytes()
        data = client.rotate_pages(data, degrees=90)
        data = client.watermark_pdf(data, text=WATERMARK_TEXT)
        data = client.flatten_annotations(data)
        (output_dir / path.name).write_bytes(data)

    _run_all(one, files, workers)


def naive_thread_pool_noop(files: list[Path], output_dir: Path, *, workers: int = 4) -> None:
    """ThreadPoolExecutor(4) calling `client.rotate_pages(data, degrees=0)` per file."""
    from batchproc import Client

    client = Client()

    def one(path: Path) -> None:
        (output_dir / path.name).write_bytes(client.rotate_pages(path.read_bytes(), degrees=0))

    _run_all(one, files, workers)


def pypdf_loop_chain(files: list[Path], output_dir: Path) -> None:
    """What a typical user writes with pypdf: a reportlab stamp page made once, then per
    page merge it, rotate, and flatten each annotation's appearance into the content."""
    from pypdf import PdfReader, PdfWriter

    stamp = PdfReader(io.BytesIO(_reportlab_watermark_page(WATERMARK_TEXT))).pages[0]
    for path in files:
        writer = PdfWriter(clone_from=path)
        for page in writer.pages:
            page.merge_page(stamp)
            page.rotate(90)
            _pypdf_flatten_annotations(page)
        writer.write(output_dir / path.name)


@functools.cache
def _reportlab_watermark_page(text: str) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    c.setFillColorRGB(0.6, 0.6, 0.6, alpha=0.4)
    c.setFont("Helvetica-Bold", 60)
    c.translate(letter[0] / 2, letter[1] / 2)
    c.rotate(45)
    c.drawCentredString(0, 0, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def _pypdf_flatten_annotations(page) -> None:
    """Draw each annotation's normal appearance into the page content, then drop them."""
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    annotations = page.get("/Annots")
    if not annotations:
        return
    resources = page["/Resources"]
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    xobjects = resources["/XObject"]
    drawing = b""
    for number, ref in enumerate(annotations.get_object()):
        annotation = ref.get_object()
        appearance = annotation.get("/AP")
        if appearance is None or "/N" not in appearance:
            continue
        name = NameObject(f"/Flat{number}")
        xobjects[name] = appearance.raw_get("/N")
        x, y = (float(v) for v in annotation["/Rect"][:2])
        drawing += f"\nq 1 0 0 1 {x:g} {y:g} cm {name} Do Q".encode()
    contents = DecodedStreamObject()
    contents.set_data(page.get_contents().get_data() + drawing)
    page.replace_contents(contents)
    del page["/Annots"]


# -- OCR ---------------------------------------------------------------------------------------
def ocrmypdf_parallel(files: list[Path], output_dir: Path, *, jobs: int = 2, languages: str = OCR_LANGUAGES) -> None:
    """`parallel -j2 ocrmypdf --jobs 1 -l eng+spa {} out/{/}` (OCRmyPDF's batch recipe)."""
    ocrmypdf = Path(sys.executable).parent / "ocrmypdf"
    command = [str(ocrmypdf), "--jobs", "1", "-l", languages, "{}", f"{output_dir}/{{/}}"]
    _gnu_parallel(command, files, jobs)


def tesseract_floor(images: list[Path], output_dir: Path, *, concurrent: int = 2, languages: str = OCR_LANGUAGES) -> None:
    """`tesseract IMAGE OUT -l eng+spa pdf` with OMP_THREAD_LIMIT=1, `concurrent` at a time.

    Outputs are named after the images' stems (`scan-0001-spa.pdf`)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(image: Path) -> None:
        command = ["tesseract", str(image), str(output_dir / image.stem), "-l", languages, "pdf"]
        subprocess.run(command, env=env, check=True, capture_output=True)

    _run_all(one, images, concurrent)


# -- PDF/A -------------------------------------------------------------------------------------
def ghostscript_pdfa_parallel(files: list[Path], output_dir: Path, *, jobs: int = 2) -> None:
    """GNU parallel over Ghostscript's PDF/A-2b conversion (see ENGINE-NOTES.md)."""
    command = [
        "gs", "-dPDFA=2", "-dBATCH", "-dNOPAUSE", "-dQUIET", "-sColorConversionStrategy=RGB",
        "-sDEVICE=pdfwrite", "-dPDFACompatibilityPolicy=1", f"--permit-file-read={ICC_PROFILE.parent}/",
        f"-sOutputFile={output_dir}/{{/}}", str(pdfa_definition()), "{}",
    ]  # fmt: skip
    _gnu_parallel(command, files, jobs)


@functools.cache
def pdfa_definition() -> Path:
    """Ghostscript's PDFA_def.ps, pointed at the sRGB ICC profile Ghostscript ships."""
    found = sorted(Path("/usr/share/ghostscript").glob("*/lib/PDFA_def.ps"))
    if not found or not ICC_PROFILE.is_file():
        raise RuntimeError("Ghostscript's PDFA_def.ps or srgb.icc is missing: apt-get install ghostscript")
    text = found[-1].read_text(encoding="latin-1").replace("(srgb.icc)", f"({ICC_PROFILE})")
    target = Path(tempfile.gettempdir()) / f"batchproc-bench-PDFA_def-{os.getuid()}.ps"
    target.write_text(text, encoding="latin-1")
    return target


# -- helpers -----------------------------------------------------------------------------------
def _run_all(one, items: Iterable[Path], workers: int) -> None:
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(one, items):  # re-raises the first failure
            pass


def _gnu_parallel(command: list[str], files: list[Path], jobs: int) -> None:
    argv = ["parallel", "--will-cite", "--halt", "now,fail=1", "-j", str(jobs), *command]
    names = "".join(f"{path}\n" for path in files)
    done = subprocess.run(argv, input=names.encode(), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:8])} ... failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
