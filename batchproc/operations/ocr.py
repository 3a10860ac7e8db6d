"""ocr_pdf: add an invisible, searchable text layer to pages that have no text.

Pages that already carry text (born-digital, or OCRed before) are left as they are; every
other page is rendered at `OCR_DPI` with pdfium, read by Tesseract (one run per batch of
pages, so the language model loads once), and Tesseract's text-only page is laid over
the original page. The page's own images and drawings are kept untouched.

Why not OCRmyPDF: its skip-text and redo modes refuse Debian 12's Ghostscript 10.0, and
its per-call set-up costs more than the work on short documents (ENGINE-NOTES.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Matrix

from ..engines.local import guards
from ..engines.local.document import Document
from ..engines.local.overlay import draw_form, view_size, view_to_user
from ..errors import ExternalToolError
from ..external import tesseract
from .pdfium import open_pdfium, render_scale
from .registry import Param, operation

OCR_DPI = 300
MIN_DPI = 150
"""Very large pages are rendered below OCR_DPI to stay within pdfium's pixel guard, never below this."""
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
    layers: list[tuple[list[int], Path]] = []
    with open_pdfium(doc) as rendered:
        pending = [i for i in range(len(rendered)) if not _has_text(rendered[i])]
        if not pending:
            return
        pdf = doc.pdf  # the state pdfium shows: nothing changes until the layers are laid
        dpis = {}
        for index in pending:
            guards.check_images(pdf.pages[index])
            width, height = view_size(pdf.pages[index])
            dpis[index] = round(72 * render_scale(width, height, OCR_DPI / 72, what="ocr_pdf", min_scale=MIN_DPI / 72))
        for batch in _batches(pending, dpis):
            layers.append((batch, _read_pages(doc, rendered, batch, dpis[batch[0]], codes)))
    pdf = doc.pdf
    for batch, layer in layers:
        with pikepdf.open(layer) as text_pdf:
            if len(text_pdf.pages) != len(batch):
                raise ExternalToolError(f"Tesseract returned {len(text_pdf.pages)} page(s) for {len(batch)} image(s)")
            for index, text_page in zip(batch, text_pdf.pages):
                _lay_over(pdf, pdf.pages[index], text_page)


def _batches(pending: list[int], dpis: dict[int, int]) -> list[list[int]]:
    """Runs of at most PAGES_PER_RUN pages rendered at the same resolution (one Tesseract run each)."""
    batches: list[list[int]] = []
    for index in pending:
        if batches and len(batches[-1]) < PAGES_PER_RUN and dpis[batches[-1][0]] == dpis[index]:
            batches[-1].append(index)
        else:
            batches.append([index])
    return batches


def _has_text(page: Any) -> bool:
    textpage = page.get_textpage()
    try:
        return textpage.count_chars() > 0
    finally:
        textpage.close()
        page.close()


def _read_pages(doc: Document, rendered: Any, indexes: list[int], dpi: int, codes: list[str]) -> Path:
    """Render the pages `indexes` of the pdfium document `rendered` at `dpi` and OCR them
    into one text-only PDF, one page per index."""
    images = []
    try:
        for index in indexes:
            page = rendered[index]
            bitmap = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=True)
            image_path = doc.new_path(".pgm")
            bitmap.to_pil().save(image_path, format="PPM")
            images.append(image_path)
            page.close()
        return tesseract.text_layer_pdf(images=images, output_base=doc.new_path(""), languages=codes, dpi=dpi)
    finally:
        for image_path in images:
            image_path.unlink(missing_ok=True)


def _lay_over(pdf: pikepdf.Pdf, page: pikepdf.Page, text_page: pikepdf.Page) -> None:
    """Draw Tesseract's text-only page (laid out in the page's view) exactly over `page`."""
    form = pdf.copy_foreign(text_page.as_form_xobject())
    layer_w = float(text_page.mediabox[2]) - float(text_page.mediabox[0])
    layer_h = float(text_page.mediabox[3]) - float(text_page.mediabox[1])
    view_w, view_h = view_size(page)
    fit = Matrix(view_w / layer_w, 0, 0, view_h / layer_h, 0, 0)
    draw_form(pdf, page, form, fit @ view_to_user(page), prefix="BpOcr")
