"""Redaction: mark areas (create_redactions_*), then remove what lies under them (apply_redactions).

create_redactions_preset / _regex / _text search each page's text layer with pdfium and add a
/Redact annotation (QuadPoints and Rect) over every match; nothing is removed yet.

apply_redactions burns in every /Redact annotation present at that point (from the input,
from Instant JSON/XFDF, or from an earlier create step). Per page with redactions:
  1. the content is rewritten (redaction_content.py): glyphs under a box are taken out of
     the text (the other glyphs keep their exact positions and stay extractable), image
     pixels under a box are painted over in a private copy of the image, and the box
     (/IC fill colour, default black) and any /OverlayText are drawn on top;
  2. pdfium then checks that no text is left under any box;
  3. a page the rewriter cannot handle faithfully (see NotRemovable), or that fails the
     check, is **rasterised** instead: rendered without annotations at 150 dpi (lowered
     to fit MAX_RENDER_PIXELS), boxes painted into the pixels, and its content replaced
     by that one image plus the overlay texts. Its text is then visible but no longer
     extractable (run ocr_pdf afterwards to get it back).
Pages without redactions are untouched. Other annotations overlapping a box (comments,
links, form widgets) are removed with it, and so are the /Redact annotations. Vector
paths under a box are covered, not cut. Not rewritten: bookmarks, document metadata,
and the structure tree's alternate texts.
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from ..engines.local.document import Document
from ..errors import UnsupportedOperationError
from .annotation_builder import AnnotationSpec, Rect, add_annotation, hex_color, rect_of_quads, wrap_text
from .pdfium import open_pdfium, render_scale
from .redaction_content import NotRemovable, remove_under
from .registry import Param, operation

log = logging.getLogger(__name__)

PRESETS: dict[str, str] = {
    "credit-card-number": r"\b[1-6]\d{3}(?:[ -]?\d){9,15}\b",
    "date": r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})\b",
    "email-address": r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
    "international-phone-number": r"(?<![\w+])(?:\+|00)[1-9](?:[ .-]?\d){6,14}\b",
    "ipv4": r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:/(?:3[0-2]|[12]?\d))?\b",
    "ipv6": r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:"
            r"|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,5}(?::[0-9A-Fa-f]{1,4}){1,2}"
            r"|(?:[0-9A-Fa-f]{1,4}:){1,4}(?::[0-9A-Fa-f]{1,4}){1,3}|(?:[0-9A-Fa-f]{1,4}:){1,3}(?::[0-9A-Fa-f]{1,4}){1,4}"
            r"|(?:[0-9A-Fa-f]{1,4}:){1,2}(?::[0-9A-Fa-f]{1,4}){1,5}|[0-9A-Fa-f]{1,4}:(?::[0-9A-Fa-f]{1,4}){1,6}"
            r"|:(?::[0-9A-Fa-f]{1,4}){1,7})(?![\w:])",
    "mac-address": r"\b[0-9A-Fa-f]{2}(?:([:-])[0-9A-Fa-f]{2})(?:\1[0-9A-Fa-f]{2}){4}\b",
    "north-american-phone-number": r"(?<!\w)(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}\b",
    "social-security-number": r"\b(?:\d{3}-\d{2}-\d{4}|\d{9})\b",
    "time": r"\b(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s?[AaPp]\.?[Mm]\.?)?(?!\w)",
    "url": r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)]",
    "us-zip-code": r"\b\d{5}(?:[-/]\d{4})?\b",
    "vin": r"\b[A-HJ-NPR-Z0-9]{12}\d{5}\b",
}
"""The DWS search presets, as regular expressions over a page's text."""

REDACTION_DPI = 150
MIN_REDACTION_DPI = 36
OVERLAY_FONT = "/BPRedactHelv"


def _color_problem(value: str) -> str | None:
    try:
        hex_color(value)
    except ValueError:
        return "must be a colour like '#ff0000'"
    return None


def _regex_problem(value: str) -> str | None:
    if not value:
        return "must not be empty"
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    return None


def _non_empty(value: str) -> str | None:
    return None if value else "must not be empty"


def _common_params(case_sensitive_default: bool | None) -> tuple[Param, ...]:
    params = (
        Param("include_annotations", bool, default=False,
              doc="also search the text of annotations (comments, free text) and redact those annotations"),
        Param("appearance_fill_color", str, default=None, check=_color_problem,
              doc="colour of the box once applied, '#rrggbb' (black when omitted)"),
        Param("appearance_stroke_color", str, default=None, check=_color_problem,
              doc="outline colour shown before applying, '#rrggbb' (red when omitted)"),
    )
    if case_sensitive_default is None:
        return params
    return (Param("case_sensitive", bool, default=case_sensitive_default, doc="match upper/lower case exactly"),
            ) + params


@operation(
    "create_redactions_preset",
    Param("preset", str, choices=tuple(PRESETS), doc="what to find: " + ", ".join(PRESETS)),
    *_common_params(None),
    doc="Mark every match of a DWS search preset (e-mail, SSN, ...) with a redaction annotation; "
        "apply_redactions removes them.",
)
def create_redactions_preset(doc: Document, *, preset: str, **style: Any) -> None:
    _mark(doc, re.compile(PRESETS[preset]), **style)


@operation(
    "create_redactions_regex",
    Param("pattern", str, check=_regex_problem, doc="a Python regular expression, matched against each page's text"),
    *_common_params(False),
    doc="Mark every match of a regular expression with a redaction annotation; apply_redactions removes them.",
)
def create_redactions_regex(doc: Document, *, pattern: str, case_sensitive: bool, **style: Any) -> None:
    _mark(doc, re.compile(pattern, 0 if case_sensitive else re.IGNORECASE), **style)


@operation(
    "create_redactions_text",
    Param("text", str, check=_non_empty, doc="the exact text to find"),
    *_common_params(True),
    doc="Mark every occurrence of a text with a redaction annotation; apply_redactions removes them.",
)
def create_redactions_text(doc: Document, *, text: str, case_sensitive: bool, **style: Any) -> None:
    _mark(doc, re.compile(re.escape(text), 0 if case_sensitive else re.IGNORECASE), **style)


def _mark(doc: Document, pattern: re.Pattern[str], *, include_annotations: bool,
          appearance_fill_color: str | None, appearance_stroke_color: str | None) -> None:
    """Add a /Redact annotation over every match of `pattern` in the page texts."""
    fill = hex_color(appearance_fill_color) if appearance_fill_color else (0.0, 0.0, 0.0)
    stroke = hex_color(appearance_stroke_color) if appearance_stroke_color else None
    found: list[tuple[int, list[tuple[float, ...]]]] = []
    with open_pdfium(doc) as pdfium_doc:
        for index in range(len(pdfium_doc)):
            page = pdfium_doc[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            if len(text) != textpage.count_chars():
                raise UnsupportedOperationError(
                    f"page {index + 1}: cannot map the page's text to character positions")
            for match in pattern.finditer(text):
                if match.end() == match.start():
                    continue
                boxes = [textpage.get_rect(i) for i in range(textpage.count_rects(match.start(), match.end() - match.start()))]
                if boxes:
                    found.append((index, [_quad(box) for box in boxes]))
            textpage.close()
            page.close()
    pdf = doc.pdf
    for index, quads in found:
        add_annotation(pdf, AnnotationSpec(kind="redaction", page_index=index, rect=rect_of_quads(quads),
                                           quads=quads, color=stroke, fill=fill))
    if include_annotations:
        for index, page in enumerate(pdf.pages):
            for annot in list(page.obj.get("/Annots", [])):
                contents = str(annot.get("/Contents", ""))
                if annot.get("/Subtype") not in ("/Redact", "/Popup") and contents and pattern.search(contents):
                    rect = _rect(annot.Rect)
                    add_annotation(pdf, AnnotationSpec(kind="redaction", page_index=index, rect=rect,
                                                       color=stroke, fill=fill))


def _quad(box: tuple[float, float, float, float]) -> tuple[float, ...]:
    left, bottom, right, top = box
    return (left, top, right, top, left, bottom, right, bottom)


@dataclass
class _Box:
    """One area to burn in: where (PDF user space), in what colour, with what overlay text."""

    rect: Rect
    fill: tuple[float, float, float]
    overlay: str | None
    overlay_color: tuple[float, float, float]
    font_size: float
    repeat: bool


@operation(
    "apply_redactions",
    doc="Remove everything under the redaction annotations, for good: the text and image data "
        "under each box is deleted and the box painted in its fill colour; the rest of the page stays "
        "(see the module docstring for pages that must be rasterised instead).",
)
def apply_redactions(doc: Document) -> None:
    pdf = doc.pdf
    boxes: dict[int, list[_Box]] = {}
    for index, page in enumerate(pdf.pages):
        found = [_box(annot) for annot in page.obj.get("/Annots", []) if annot.get("/Subtype") == "/Redact"]
        if found:
            boxes[index] = [box for group in found for box in group]
    if not boxes:
        return
    rasterise: set[int] = set()
    for index, page_boxes in boxes.items():
        page = pdf.pages[index]
        _remove_covered_annotations(pdf, page, [b.rect for b in page_boxes])
        try:
            remove_under(pdf, page, [(b.rect, b.fill) for b in page_boxes])
        except (NotRemovable, pikepdf.PdfError, IndexError, TypeError, ValueError) as exc:
            # Unsupported or malformed content: pdfium renders what it can of the page.
            log.debug("apply_redactions: %s: page %d is rasterised: %s", doc.label, index + 1, exc)
            rasterise.add(index)
    images = _check_and_render(doc, boxes, rasterise)
    pdf = doc.pdf
    for index, page_boxes in boxes.items():
        if index in images:
            _replace_content(pdf, pdf.pages[index], images[index], page_boxes)
        else:
            _paint_boxes(pdf, pdf.pages[index], page_boxes)


def _box(annot: pikepdf.Dictionary) -> list[_Box]:
    quads = [float(v) for v in annot.get("/QuadPoints", [])]
    rects = [rect_of_quads([quads[i:i + 8]]) for i in range(0, len(quads) - 7, 8)] or [_rect(annot.Rect)]
    fill = _pdf_color(annot.get("/IC")) or (0.0, 0.0, 0.0)
    da = str(annot.get("/DA", ""))
    size = re.search(r"([\d.]+)\s+Tf", da)
    color = re.search(r"([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+rg", da)
    overlay = str(annot.get("/OverlayText", "")) or None
    return [
        _Box(rect, fill, overlay, tuple(float(c) for c in color.groups()) if color else (1.0, 1.0, 1.0),  # type: ignore[arg-type]
             float(size.group(1)) if size and float(size.group(1)) > 0 else 10.0, bool(annot.get("/Repeat", False)))
        for rect in rects
    ]


def _check_and_render(doc: Document, boxes: dict[int, list[_Box]], rasterise: set[int]):
    """Check with pdfium that no text is left under the boxes of the rewritten pages (adding
    any page that fails to `rasterise`), then render the pages to rasterise: PIL images of
    their crop boxes, unrotated, with no annotations drawn."""
    images = {}
    with open_pdfium(doc) as pdfium_doc:
        for index in sorted(set(boxes) - rasterise):
            page = pdfium_doc[index]
            if _text_left_under(page, boxes[index]):
                log.debug("apply_redactions: %s: text left under a box on page %d: rasterised", doc.label, index + 1)
                rasterise.add(index)
            page.close()
        for index in sorted(rasterise):
            page = pdfium_doc[index]
            width, height = page.get_size()
            scale = render_scale(width, height, REDACTION_DPI / 72, what=f"page {index + 1}",
                                 min_scale=MIN_REDACTION_DPI / 72)
            # pdfium draws the page as displayed; turning it back by its /Rotate gives the
            # image in user-space orientation, which is how the new content places it.
            bitmap = page.render(scale=scale, rotation=(360 - page.get_rotation()) % 360, draw_annots=False,
                                 may_draw_forms=False)
            images[index] = bitmap.to_pil().convert("RGB")
            page.close()
    return images


def _text_left_under(page, boxes: list[_Box]) -> bool:
    textpage = page.get_textpage()
    try:
        for box in boxes:
            left, bottom, right, top = box.rect
            inset = min(1.0, (right - left) / 4, (top - bottom) / 4)
            if textpage.get_text_bounded(left + inset, bottom + inset, right - inset, top - inset).strip():
                return True
        return False
    finally:
        textpage.close()


def _paint_boxes(pdf: pikepdf.Pdf, page: pikepdf.Page, boxes: list[_Box]) -> None:
    """Draw the boxes (and overlay texts) on top of the page's rewritten content."""
    ops: list[tuple[list, str]] = []
    for box in boxes:
        x0, y0, x1, y1 = box.rect
        ops += [([], "q"), (list(box.fill), "rg"), ([x0, y0, x1 - x0, y1 - y0], "re"), ([], "f"), ([], "Q")]
    resources = Dictionary({k: v for k, v in page.obj.get("/Resources", Dictionary()).items()})
    if any(box.overlay for box in boxes):
        fonts = Dictionary({k: v for k, v in resources.get("/Font", Dictionary()).items()})
        fonts[OVERLAY_FONT] = _helvetica(pdf)
        resources.Font = fonts
        ops += [op for box in boxes if box.overlay for op in _overlay_ops(box)]
    page.obj.Resources = resources
    boxes_content = pikepdf.unparse_content_stream([(operands, pikepdf.Operator(op)) for operands, op in ops])
    page.obj.Contents = pdf.make_stream(b"q\n" + page.obj.Contents.read_bytes() + b"\nQ\n" + boxes_content)


def _helvetica(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                                        Encoding=Name.WinAnsiEncoding))


def _replace_content(pdf: pikepdf.Pdf, page: pikepdf.Page, image, boxes: list[_Box]) -> None:
    """Paint `boxes` into `image` and make the image (plus overlay texts) the page's only content."""
    from PIL import ImageDraw

    left, bottom, right, top = _rect(page.cropbox)
    sx, sy = image.width / (right - left), image.height / (top - bottom)
    draw = ImageDraw.Draw(image)
    for box in boxes:
        x0, y0, x1, y1 = box.rect
        draw.rectangle(
            [int((x0 - left) * sx) - 1, int((top - y1) * sy) - 1, int((x1 - left) * sx) + 1, int((top - y0) * sy) + 1],
            fill=tuple(round(c * 255) for c in box.fill),
        )
    raw = image.tobytes()
    xobject = pdf.make_stream(
        zlib.compress(raw, 6), Type=Name.XObject, Subtype=Name.Image, Width=image.width, Height=image.height,
        ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.FlateDecode,
    )
    ops: list[tuple[list, str]] = [([], "q"), ([right - left, 0, 0, top - bottom, left, bottom], "cm"),
                                   ([Name.Im0], "Do"), ([], "Q")]
    resources = Dictionary(XObject=Dictionary(Im0=xobject))
    if any(box.overlay for box in boxes):
        resources.Font = Dictionary({OVERLAY_FONT: _helvetica(pdf)})
        for box in boxes:
            if box.overlay:
                ops += _overlay_ops(box)
    content = pikepdf.unparse_content_stream([(operands, pikepdf.Operator(op)) for operands, op in ops])
    page.obj.Contents = pdf.make_stream(content)
    page.obj.Resources = resources
    for key in ("/Group", "/PieceInfo", "/Thumb"):
        if key in page.obj:
            del page.obj[key]


def _overlay_ops(box: _Box) -> list[tuple[list, str]]:
    x0, y0, x1, y1 = box.rect
    size = min(box.font_size, max((y1 - y0) * 0.8, 1))
    line = box.overlay or ""
    if box.repeat:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        unit = stringWidth(line + " ", "Helvetica", size) or 1
        line = (line + " ") * max(int((x1 - x0) / unit), 1)
    line = wrap_text(line, max(x1 - x0 - 2, 1), size)[0]
    return [([], "q"), ([x0, y0, x1 - x0, y1 - y0], "re"), ([], "W"), ([], "n"), ([], "BT"),
            ([Name(OVERLAY_FONT), size], "Tf"), (list(box.overlay_color), "rg"),
            ([1, 0, 0, 1, x0 + 1, (y0 + y1) / 2 - size * 0.35], "Tm"),
            ([pikepdf.String(line.encode("cp1252", "replace"))], "Tj"), ([], "ET"), ([], "Q")]


def _remove_covered_annotations(pdf: pikepdf.Pdf, page: pikepdf.Page, areas: list[Rect]) -> None:
    """Drop the page's /Redact annotations and every annotation overlapping an area."""
    annots = page.obj.get("/Annots")
    if annots is None:
        return
    removed: set[tuple[int, int]] = set()
    kept = []
    for annot in annots:
        covered = annot.get("/Subtype") == "/Redact" or ("/Rect" in annot and any(_overlaps(_rect(annot.Rect), a) for a in areas))
        if covered:
            removed.add(annot.objgen)
        else:
            kept.append(annot)
    kept = [a for a in kept if not (a.get("/Subtype") == "/Popup" and "/Parent" in a and a.Parent.objgen in removed)]
    page.obj.Annots = pdf.make_indirect(Array(kept))
    if "/AcroForm" in pdf.Root and "/Fields" in pdf.Root.AcroForm:
        _drop_fields(pdf.Root.AcroForm.Fields, removed)


def _drop_fields(fields: pikepdf.Array, removed: set[tuple[int, int]]) -> None:
    """Take removed widgets out of the form's field tree (and fields left with no widget)."""
    for position in reversed(range(len(fields))):
        field = fields[position]
        if field.objgen in removed:
            del fields[position]
        elif "/Kids" in field:
            _drop_fields(field.Kids, removed)
            if len(field.Kids) == 0:
                del fields[position]


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _rect(value: Any) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in value)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _pdf_color(value: Any) -> tuple[float, float, float] | None:
    """An annotation colour array (gray, RGB or CMYK) as RGB."""
    if value is None:
        return None
    c = [float(v) for v in value]
    if len(c) == 1:
        return (c[0], c[0], c[0])
    if len(c) == 3:
        return (c[0], c[1], c[2])
    if len(c) == 4:
        return tuple((1 - min(1.0, v + c[3])) for v in c[:3])  # type: ignore[return-value]
    return None

