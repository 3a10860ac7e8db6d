"""Input files for the benchmarks, built at run time and cached between runs.

Each corpus is a folder of files under `cache_root()` (env `BATCHPROC_BENCH_CACHE`, else
`<tmp>/batchproc-bench-corpus`), named after what it holds, so a second run reuses it.
A corpus is built in a temporary folder and renamed into place: an interrupted build
never leaves a half-made corpus behind.

    text_reports(n)      five-page born-digital reports, one annotation on page 1
    plain_texts(n)       three-page born-digital text files, no annotations (PDF/A input)
    scanned_pages(n)     one-page, image-only 300-dpi scans, alternating English / Spanish;
                         each PDF has its page image beside it as PNG (the Tesseract floor)
    tiny_files(n)        one-page PDFs of ~1 KB (scheduling overhead)
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

CORPUS_VERSION = 1
"""Bump when a builder changes, so cached corpora are rebuilt."""

SCAN_DPI = 300
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

ENGLISH_TEXT = (
    "The quarterly report shows that revenue grew by twelve percent while operating costs "
    "remained flat. The board approved the new budget for the northern region and asked "
    "the finance team to review the travel policy before the end of the year. Customer "
    "satisfaction improved in every market, and the support team answered most requests "
    "within one working day. Shipping delays caused by the weather were resolved quickly."
)
SPANISH_TEXT = (
    "El informe trimestral muestra que los ingresos crecieron un doce por ciento mientras "
    "los costes de operación se mantuvieron estables. La junta aprobó el nuevo presupuesto "
    "para la región norte y pidió al equipo de finanzas que revisara la política de viajes "
    "antes de fin de año. La satisfacción de los clientes mejoró en todos los mercados, y "
    "el equipo de atención respondió a la mayoría de las solicitudes en un día laborable."
)
SCAN_TEXTS = {"eng": ENGLISH_TEXT, "spa": SPANISH_TEXT}
"""Language code → the text printed on that language's scanned pages."""

ANNOTATION_TEXT = "Reviewed"


def cache_root() -> Path:
    root = os.environ.get("BATCHPROC_BENCH_CACHE") or Path(tempfile.gettempdir()) / "batchproc-bench-corpus"
    return Path(root)


# -- corpora -------------------------------------------------------------------------------
def text_reports(count: int) -> list[Path]:
    """`count` five-page text reports, each with one Square annotation on page 1."""
    return _corpus(f"reports5-{count}", count, ".pdf", lambda i: _report(i, pages=5, annotated=True))


def plain_texts(count: int) -> list[Path]:
    """`count` three-page text files without annotations."""
    return _corpus(f"plain3-{count}", count, ".pdf", lambda i: _report(i, pages=3, annotated=False))


def scanned_pages(count: int) -> list[Path]:
    """`count` one-page scans (PDF); even indexes English, odd Spanish. See `scan_image`."""
    folder = _build(f"scans-{count}", lambda tmp: _write_scans(tmp, count))
    return sorted(folder.glob("*.pdf"))


def scan_image(scan_pdf: Path) -> Path:
    """The PNG page image a scanned PDF was made from."""
    return scan_pdf.with_suffix(".png")


def scan_language(scan_pdf: Path) -> str:
    """'eng' or 'spa': the language printed on a scanned page."""
    return scan_pdf.stem.rsplit("-", 1)[-1]


def tiny_files(count: int) -> list[Path]:
    """`count` one-page PDFs of about 1 KB (all alike but for their names)."""
    data = _tiny_pdf()
    return _corpus(f"tiny-{count}", count, ".pdf", lambda i: data)


# -- builders ------------------------------------------------------------------------------
def _corpus(name: str, count: int, ext: str, make: Callable[[int], bytes]) -> list[Path]:
    def write(tmp: Path) -> None:
        for i in range(count):
            (tmp / f"{name}-{i:06d}{ext}").write_bytes(make(i))

    folder = _build(name, write)
    return sorted(folder.glob(f"*{ext}"))


def _build(name: str, write: Callable[[Path], None]) -> Path:
    folder = cache_root() / f"v{CORPUS_VERSION}" / name
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        write(tmp)
        os.rename(tmp, folder)
    except OSError:
        if not folder.is_dir():  # not just another process that finished first
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _report(number: int, *, pages: int, annotated: bool) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    words = ENGLISH_TEXT.split()
    for page in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 720, f"Report {number} - page {page}")
        c.setFont("Helvetica", 11)
        y = 690
        for line in range(30):
            start = (line * 11) % len(words)
            c.drawString(72, y, " ".join((words + words)[start : start + 12]))
            y -= 18
        c.showPage()
    c.save()
    if not annotated:
        return buf.getvalue()
    return _add_square_annotation(buf.getvalue())


def _add_square_annotation(data: bytes) -> bytes:
    """Put a visible Square annotation (with its appearance stream) on page 1."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        appearance = pdf.make_stream(
            b"q 1 0 0 RG 2 w 1 1 118 38 re S BT /Helv 14 Tf 1 0 0 rg 12 14 Td (Reviewed) Tj ET Q",
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 120, 40],
            Resources=pikepdf.Dictionary(
                Font=pikepdf.Dictionary(
                    Helv=pikepdf.Dictionary(
                        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
                    )
                )
            ),
        )
        annotation = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Square,
                Rect=[400, 740, 520, 780],
                F=4,  # Print
                C=[1, 0, 0],
                Contents=pikepdf.String(ANNOTATION_TEXT),
                AP=pikepdf.Dictionary(N=appearance),
            )
        )
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annotation]))
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _write_scans(folder: Path, count: int) -> None:
    for i in range(count):
        language = "eng" if i % 2 == 0 else "spa"
        image = _scan_image(SCAN_TEXTS[language], seed=i)
        base = folder / f"scan-{i:04d}-{language}"
        image.save(base.with_suffix(".png"), dpi=(SCAN_DPI, SCAN_DPI))
        image.save(base.with_suffix(".pdf"), "PDF", resolution=SCAN_DPI)


def _scan_image(text: str, *, seed: int):
    """A US-letter page at 300 dpi, 1-bit, holding `text` in 11-pt type (about 25 lines)."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.5 * SCAN_DPI), 11 * SCAN_DPI
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    title = ImageFont.truetype(str(FONT_PATH), 70)
    body = ImageFont.truetype(str(FONT_PATH), 46)
    draw.text((300, 300), f"Document {seed}", font=title, fill=0)
    words = text.split()
    y, line = 480, ""
    for word in (words * 3)[seed % len(words) :][: 3 * len(words) - 20]:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=body) > width - 600:
            draw.text((300, y), line, font=body, fill=0)
            y, line = y + 75, word
        else:
            line = candidate
    draw.text((300, y), line, font=body, fill=0)
    return image.convert("1")


def _tiny_pdf() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"0 0 1 rg 50 50 100 100 re f")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
