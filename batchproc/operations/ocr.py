"""ocr_pdf: add an invisible, searchable text layer to pages that have no text.

Pages that already carry text (born-digital, or OCRed before) are left as they are. Every
other page is shown to Tesseract as a grayscale picture of what the reader sees: a bare
scan (one image filling the page) as its own image, turned by the page's /Rotate but
neither rendered nor resampled; any other page rendered at `OCR_DPI` with pdfium. Tesseract reads a batch of pages per run (the
language model loads once) and writes a text-only PDF whose pages are laid over the
originals. The pages' own images and drawings are kept untouched.

Why not OCRmyPDF: its skip-text and redo modes refuse Debian 12's Ghostscript 10.0, and
its per-call set-up costs more than the work on short documents (ENGINE-NOTES.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Matrix, Name

from ..engines.local import guards
from ..engines.local.document import Document
from ..engines.local.overlay import Overlay, page_rotation, view_size, view_to_user
from ..errors import CorruptDocumentError, ExternalToolError
from ..external import tesseract
from .pdfium import open_pdfium, render_scale
from .registry import Param, operation

OCR_DPI = 300
MIN_DPI = 150
"""Very large pages are rendered below OCR_DPI to stay within pdfium's pixel guard, never below this."""
MAX_SCAN_DPI = 600
"""A scanned page's own image is read as it is between MIN_DPI and this; others are rendered."""
MAX_SCAN_CONTENT_BYTES = 4096
"""A page whose content is larger than this is not a bare scan: it is rendered, not parsed."""
PAGES_PER_RUN = 8
"""Pages rendered and read per Tesseract run: amortises model loading, bounds disk use."""

# DWS full names (DWS-PROTOCOL.md §3.8) and the v1 client's short aliases -> Tesseract codes.
LANGUAGE_NAMES = {
    "afrikaans": "afr", "albanian": "sqi", "arabic": "ara", "armenian": "hye", "azerbaijani": "aze",
    "basque": "eus", "belarusian": "bel", "bengali": "ben", "bosnian": "bos", "bulgarian": "bul",
    "catalan": "cat", "chinese": "chi_sim", "croatian": "hrv", "czech": "ces", "danish": "dan",
    "dutch": "nld", "english": "eng", "finnish": "fin", "french": "fra", "german": "deu",
    "indonesian": "ind", "italian": "ita", "malay": "msa", "norwegian": "nor", "polish": "pol",
    "portuguese": "por", "serbian": "srp", "slovak": "slk", "slovenian": "slv", "spanish": "spa",
    "swedish": "swe", "turkish": "tur", "welsh": "cym", "en": "eng", "de": "deu",
}
# The DWS OcrLanguage codes (ISO 639-2 style, as Tesseract names its models).
LANGUAGE_CODES = frozenset(
    "afr amh ara asm aze bel ben bod bos bre bul cat ceb ces chr cos cym dan deu div dzo ell eng enm epo "
    "equ est eus fao fas fil fin fra frk frm fry gla gle glg grc guj hat heb hin hrv hun hye iku ind isl "
    "ita jav jpn kan kat kaz khm kir kmr kor kur lao lat lav lit ltz mal mar mkd mlt mon mri msa mya nep "
    "nld nor oci ori osd pan pol por pus que ron rus san sin slk slv snd sp1 spa sqi srp sun swa swe syr "
    "tam tat tel tgk tgl tha tir ton tur uig ukr urd uzb vie yid yor".split()
)
_DECODABLE_FILTERS = {Name.FlateDecode, Name.DCTDecode, Name.CCITTFaxDecode, Name.RunLengthDecode, Name.LZWDecode}
_PLAIN_COLOR_SPACES = (Name.DeviceGray, Name.DeviceRGB, Name.DeviceCMYK)
_VARIANT = re.compile(r"[a-z]{3}(_[a-z]+)+")  # Tesseract model variants: chi_sim, chi_tra, deu_frak, ...


def tesseract_codes(language: str | list[str]) -> list[str]:
    """Tesseract codes for a DWS language value (a name, a code, "eng+spa", or a list of them).

    Raises ValueError naming the first value that is not a known language.
    """
    values = [language] if isinstance(language, str) else list(language)
    codes: list[str] = []
    for value in values:
        for token in str(value).split("+"):
            key = token.strip().lower()
            code = LANGUAGE_NAMES.get(key, key)
            if code not in LANGUAGE_CODES and not _VARIANT.fullmatch(code):
                raise ValueError(f"{token!r} is not a known OCR language (use a name like 'english' or a code like 'eng')")
            if code not in codes:
                codes.append(code)
    return codes


def _language_problem(value: Any) -> str | None:
    if isinstance(value, list) and not value:
        return "must name at least one language"
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        return "must be a language name or code, or a list of them"
    try:
        tesseract_codes(value)
    except ValueError as exc:
        return str(exc)
    return None


@operation(
    "ocr_pdf",
    Param("language", (str, list), default="english", check=_language_problem,
          doc="a language name ('english', 'spanish', ...) or Tesseract code ('eng'), or a list of them"),
    doc="Make image-only pages searchable: OCR them and add an invisible text layer; pages with text are kept as they are.",
    requires=("tesseract",),
)
def ocr_pdf(doc: Document, *, language: str | list[str]) -> None:
    codes = tesseract_codes(language)
    tesseract.require_languages(codes)
    layers: list[tuple[list[PagePlan], Path]] = []
    with open_pdfium(doc) as rendered:
        pending = [i for i in range(len(rendered)) if not _has_text(rendered[i])]
        if not pending:
            return
        pdf = doc.pdf  # the state pdfium shows: nothing changes until the layers are laid
        plans = [_plan(pdf.pages[index], index) for index in pending]
        for batch in _batches(plans):
            images = []
            try:
                for plan in batch:
                    images.append(_write_image(plan, pdf.pages[plan.index], rendered, doc.new_path(".pgm")))
                layer = tesseract.text_layer_pdf(
                    images=images, output_base=doc.new_path(""), languages=codes, dpi=batch[0].dpi
                )
            finally:
                for image in images:
                    image.unlink(missing_ok=True)
            layers.append((batch, layer))
    pdf = doc.pdf
    overlay = Overlay(pdf)
    for batch, layer in layers:
        with pikepdf.open(layer) as text_pdf:
            if len(text_pdf.pages) != len(batch):
                raise ExternalToolError(f"Tesseract returned {len(text_pdf.pages)} page(s) for {len(batch)} image(s)")
            for plan, text_page in zip(batch, text_pdf.pages):
                _lay_over(overlay, pdf.pages[plan.index], text_page)


@dataclass(frozen=True)
class PagePlan:
    """How page `index` is shown to Tesseract, always as the reader sees it (turned by
    /Rotate): its own scanned image (`scanned`) or a render, at `dpi`."""

    index: int
    dpi: int
    scanned: bool


def _plan(page: pikepdf.Page, index: int) -> PagePlan:
    guards.check_images(page)
    scan = _scan_image(page)
    if scan is not None:
        return PagePlan(index, scan[1], scanned=True)
    width, height = view_size(page)
    dpi = round(72 * render_scale(width, height, OCR_DPI / 72, what="ocr_pdf", min_scale=MIN_DPI / 72))
    return PagePlan(index, dpi, scanned=False)


def _write_image(plan: PagePlan, page: pikepdf.Page, rendered: Any, path: Path) -> Path:
    """Write the page's picture for Tesseract to `path` (a PNM file: no compression cost)."""
    if plan.scanned:
        image, _ = _scan_image(page)  # type: ignore[misc]
        try:
            return _write_scan(image, path, page_rotation(page))
        except (pikepdf.PdfError, NotImplementedError, ValueError, OSError) as exc:
            raise CorruptDocumentError(f"the scanned image of page {plan.index + 1} cannot be decoded: {exc}") from None
    pdfium_page = rendered[plan.index]
    try:
        pdfium_page.render(scale=plan.dpi / 72, grayscale=True, may_draw_forms=True).to_pil().save(path, format="PPM")
    finally:
        pdfium_page.close()
    return path


def _write_scan(image: pikepdf.Stream, path: Path, rotation: int) -> Path:
    """Write a scan for Tesseract, upright as the reader sees it, decoding as little as
    possible: an unturned page's JPEG data as it is, or its 8-bit gray or RGB pixels behind
    a PNM header; anything else decoded and turned with Pillow, as gray, except that a
    black-and-white scan stays black-and-white (a PBM: Tesseract reads it ~20% faster than
    the same page as gray, which it would have to binarise again)."""
    filters = image.get(Name.Filter)
    plain = rotation == 0 and image.get(Name.BitsPerComponent) == 8 and Name.Decode not in image
    if plain and filters == Name.DCTDecode:
        path = path.with_suffix(".jpg")
        path.write_bytes(image.read_raw_bytes())
        return path
    if plain and image.ColorSpace in (Name.DeviceGray, Name.DeviceRGB):
        magic = b"P5" if image.ColorSpace == Name.DeviceGray else b"P6"
        with path.open("wb") as out:
            out.write(b"%s %d %d 255\n" % (magic, int(image.Width), int(image.Height)))
            out.write(image.read_bytes())
        return path
    from PIL import Image

    picture = pikepdf.PdfImage(image).as_pil_image()
    if picture.mode not in ("1", "L"):
        picture = picture.convert("L")
    if rotation:  # /Rotate turns clockwise; Pillow's ROTATE_n turn counter-clockwise
        turn = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
        picture = picture.transpose(turn[rotation])
    picture.save(path, format="PPM")
    return path


def _scan_image(page: pikepdf.Page) -> tuple[pikepdf.Stream, int] | None:
    """(image, dpi) when the page's whole content is one opaque image filling its CropBox
    at a resolution Tesseract reads well; None otherwise."""
    contents = page.obj.get(Name.Contents)
    streams = [contents] if isinstance(contents, pikepdf.Stream) else list(contents or [])
    if not streams or sum(len(s.read_raw_bytes()) for s in streams) > MAX_SCAN_CONTENT_BYTES:
        return None
    try:
        instructions = pikepdf.parse_content_stream(page)
    except pikepdf.PdfError:
        return None
    operators = [str(i.operator) for i in instructions]
    if sorted(set(operators) - {"q", "Q"}) != ["Do", "cm"] or operators.count("Do") != 1 or operators.count("cm") != 1:
        return None
    a, b, c, d, e, f = (float(v) for v in next(i.operands for i in instructions if str(i.operator) == "cm"))
    name = next(i.operands[0] for i in instructions if str(i.operator) == "Do")
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    if abs(b) > 0.01 or abs(c) > 0.01 or max(abs(e - x0), abs(f - y0), abs(a - (x1 - x0)), abs(d - (y1 - y0))) > 1:
        return None
    image = (page.resources.get(Name.XObject) or {}).get(name)
    if not isinstance(image, pikepdf.Stream) or image.get(Name.Subtype) != Name.Image:
        return None
    if Name.SMask in image or Name.Mask in image or image.get(Name.ImageMask, False):
        return None
    filters = image.get(Name.Filter)
    filters = [filters] if isinstance(filters, Name) else list(filters or [])
    if not set(filters) <= _DECODABLE_FILTERS or image.get(Name.ColorSpace) not in _PLAIN_COLOR_SPACES:
        return None
    dpi = round(int(image.Width) * 72 / a)
    return (image, dpi) if MIN_DPI <= dpi <= MAX_SCAN_DPI else None


def _batches(plans: list[PagePlan]) -> list[list[PagePlan]]:
    """Runs of at most PAGES_PER_RUN pages at the same resolution (one Tesseract run each)."""
    batches: list[list[PagePlan]] = []
    for plan in plans:
        if batches and len(batches[-1]) < PAGES_PER_RUN and batches[-1][0].dpi == plan.dpi:
            batches[-1].append(plan)
        else:
            batches.append([plan])
    return batches


def _has_text(page: Any) -> bool:
    textpage = page.get_textpage()
    try:
        return textpage.count_chars() > 0
    finally:
        textpage.close()
        page.close()


def _lay_over(overlay: Overlay, page: pikepdf.Page, text_page: pikepdf.Page) -> None:
    """Draw Tesseract's text-only page (laid out as the reader sees the page) over `page`."""
    form = overlay.pdf.copy_foreign(text_page.as_form_xobject())
    layer_w = float(text_page.mediabox[2]) - float(text_page.mediabox[0])
    layer_h = float(text_page.mediabox[3]) - float(text_page.mediabox[1])
    width, height = view_size(page)
    fit = Matrix(width / layer_w, 0, 0, height / layer_h, 0, 0)
    overlay.draw_form(page, form, fit @ view_to_user(page), prefix="BpOcr")
