"""apply_instant_json: PSPDFKit Instant JSON annotations and form values onto the PDF.

Supported annotation types: pspdfkit/markup/highlight, pspdfkit/ink, pspdfkit/note,
pspdfkit/text (free text), pspdfkit/shape/rectangle, pspdfkit/shape/ellipse,
pspdfkit/shape/line, pspdfkit/stamp, pspdfkit/link and pspdfkit/markup/redaction; v1 and
v2 records. `formFieldValues` fill AcroForm fields. Any other annotation type, and non-empty
`formFields`, `bookmarks`, `comments` or `attachments`, raise UnsupportedOperationError
naming what is not supported, rather than being dropped.

Geometry: `bbox` is [left, top, width, height] and points are [x, y], in points from the
top-left corner of the page's crop box (PSPDFKit's convention), converted to PDF space.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pikepdf

from ..engines.local.document import Document
from ..errors import UnsupportedOperationError, ValidationError
from .annotation_builder import AnnotationSpec, add_annotation, hex_color, rect_of_quads
from .annotation_sources import read_source, source_problem
from .form_filling import fill_fields
from .registry import Param, operation

FORMAT_PREFIX = "https://pspdfkit.com/instant-json/v1"
KINDS = {
    "pspdfkit/markup/highlight": "highlight", "pspdfkit/ink": "ink", "pspdfkit/note": "note",
    "pspdfkit/text": "freetext", "pspdfkit/shape/rectangle": "square", "pspdfkit/shape/ellipse": "circle",
    "pspdfkit/shape/line": "line", "pspdfkit/stamp": "stamp", "pspdfkit/link": "link",
    "pspdfkit/markup/redaction": "redaction",
}
UNSUPPORTED_SECTIONS = ("formFields", "bookmarks", "comments", "attachments")


def load_instant_json(value: Any) -> dict:
    """The Instant JSON document in `value`, checked for its format marker."""
    if isinstance(value, dict):
        data = value
    else:
        raw = read_source(value, method="apply_instant_json", text_prefix="{")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"apply_instant_json: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("format", "")).startswith(FORMAT_PREFIX):
        raise ValidationError(f"apply_instant_json: not an Instant JSON document (needs \"format\": \"{FORMAT_PREFIX}\")")
    for key in ("annotations", "formFieldValues"):
        if not isinstance(data.get(key, []), list):
            raise ValidationError(f"apply_instant_json: {key!r} must be a list")
    return data


def _check(value: Any) -> str | None:
    if isinstance(value, dict):
        return None if str(value.get("format", "")).startswith(FORMAT_PREFIX) else f"has no \"format\": \"{FORMAT_PREFIX}\""
    return source_problem(value, text_prefix="{")


@operation(
    "apply_instant_json",
    Param("instant_json", (str, bytes, dict, os.PathLike), check=_check, names_files=True,
          doc="an Instant JSON file: its path, its bytes, its text, or the decoded object (no URLs)"),
    doc="Add the annotations of an Instant JSON file (with appearances) and fill its form values.",
)
def apply_instant_json(doc: Document, *, instant_json: Any) -> None:
    data = load_instant_json(instant_json)
    unsupported = [key for key in UNSUPPORTED_SECTIONS if data.get(key)]
    if unsupported:
        raise UnsupportedOperationError(f"apply_instant_json: cannot import {', '.join(unsupported)} locally")
    pdf = doc.pdf
    for number, record in enumerate(data.get("annotations", [])):
        add_annotation(pdf, _spec(pdf, record, number))
    values = {}
    for record in data.get("formFieldValues", []):
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            raise ValidationError(f"apply_instant_json: a form field value has no name: {record!r}")
        values[record["name"]] = record.get("value")
    fill_fields(pdf, values)


def _spec(pdf: pikepdf.Pdf, record: Any, number: int) -> AnnotationSpec:
    where = f"apply_instant_json: annotation {number}"
    if not isinstance(record, dict):
        raise ValidationError(f"{where} is not an object")
    kind = KINDS.get(record.get("type"))
    if kind is None:
        raise UnsupportedOperationError(
            f"{where}: annotation type {record.get('type')!r} is not supported locally; "
            f"supported: {', '.join(KINDS)}"
        )
    try:
        page_index = int(record["pageIndex"])
        if not 0 <= page_index < len(pdf.pages):
            raise ValidationError(f"{where}: pageIndex {page_index} is outside the document ({len(pdf.pages)} pages)")
        to_pdf = _PageSpace(pdf.pages[page_index])
        spec = AnnotationSpec(kind=kind, page_index=page_index, rect=to_pdf.rect(record["bbox"]))
        spec.opacity = float(record.get("opacity", 1.0))
        spec.name = record.get("name") or record.get("id")
        spec.author = record.get("creatorName")
        spec.contents = _plain(record.get("note")) or None
        spec.stroke_width = float(record.get("strokeWidth", record.get("lineWidth", 1.0)))
        _fill_kind(spec, record, to_pdf)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValidationError(f"{where} ({record.get('type')}) is malformed: {type(exc).__name__} {exc}") from None
    return spec


def _fill_kind(spec: AnnotationSpec, record: dict, to_pdf: "_PageSpace") -> None:
    color = _color(record.get("color"))
    stroke = _color(record.get("strokeColor"))
    fill = _color(record.get("fillColor"))
    if spec.kind == "highlight":
        spec.color = color
        spec.quads = [to_pdf.quad(r) for r in record.get("rects") or [record["bbox"]]]
    elif spec.kind == "redaction":
        spec.quads = [to_pdf.quad(r) for r in record.get("rects") or [record["bbox"]]]
        spec.rect = rect_of_quads(spec.quads)
        spec.color = _color(record.get("outlineColor")) or stroke
        spec.fill = fill or (0.0, 0.0, 0.0)
        spec.text = record.get("overlayText") or None
    elif spec.kind == "ink":
        spec.color = stroke or color
        spec.ink = [[to_pdf.point(p) for p in line] for line in record["lines"]["points"]]
    elif spec.kind == "note":
        spec.color = color
        spec.contents = _plain(record.get("text")) or spec.contents
        spec.icon = str(record.get("icon", "comment")).capitalize()
    elif spec.kind == "freetext":
        spec.text = _plain(record.get("text"))
        spec.contents = spec.text
        spec.color = _color(record.get("fontColor")) or color or (0.0, 0.0, 0.0)
        spec.fill = _color(record.get("backgroundColor")) or fill
        spec.font_size = float(record.get("fontSize", 12))
    elif spec.kind in ("square", "circle"):
        spec.color, spec.fill = stroke, fill
    elif spec.kind == "line":
        spec.color, spec.fill = stroke, fill
        spec.line = (*to_pdf.point(record["startPoint"]), *to_pdf.point(record["endPoint"]))
    elif spec.kind == "stamp":
        spec.color = color
        spec.icon = record.get("stampType") or "Custom"
        spec.text = record.get("title") or spec.icon
    elif spec.kind == "link":
        action = record.get("action") or {}
        if action.get("type") == "uri":
            spec.uri = action["uri"]
        elif action.get("type") == "goTo":
            spec.dest_page = int(action["pageIndex"])
        else:
            raise UnsupportedOperationError(f"apply_instant_json: link action {action.get('type')!r} is not supported")


class _PageSpace:
    """PSPDFKit page coordinates (top-left origin) -> PDF user space."""

    def __init__(self, page: pikepdf.Page) -> None:
        box = [float(v) for v in page.cropbox]
        self.left, self.top = min(box[0], box[2]), max(box[1], box[3])

    def point(self, point: list[float]) -> tuple[float, float]:
        return (self.left + float(point[0]), self.top - float(point[1]))

    def rect(self, bbox: list[float]) -> tuple[float, float, float, float]:
        left, top, width, height = (float(v) for v in bbox)
        return (self.left + left, self.top - top - height, self.left + left + width, self.top - top)

    def quad(self, bbox: list[float]) -> tuple[float, ...]:
        x0, y0, x1, y1 = self.rect(bbox)
        return (x0, y1, x1, y1, x0, y0, x1, y0)


def _color(value: Any):
    return hex_color(value) if isinstance(value, str) and value else None


def _plain(text: Any) -> str:
    """Instant JSON text: a plain string (v1) or {"format": "plain"|"xhtml", "value": ...} (v2)."""
    if isinstance(text, dict):
        value = str(text.get("value", ""))
        return re.sub(r"<[^>]+>", "", value) if text.get("format") == "xhtml" else value
    return "" if text is None else str(text)
