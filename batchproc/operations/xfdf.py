"""apply_xfdf: XFDF (XML Forms Data Format) annotations and field values onto the PDF.

Supported annotation elements: highlight, ink, text (note), freetext, square, circle,
line, stamp, link and redact. Any other element raises UnsupportedOperationError naming
it. `<fields>` values fill AcroForm fields (nested <field> names are joined with dots).
XFDF coordinates are PDF user space already; `page` is 0-based. The XML is parsed with
defusedxml: entity expansion and external references are refused.
"""

from __future__ import annotations

import os
import re
from typing import Any
from xml.etree.ElementTree import Element

from ..engines.local.document import Document
from ..errors import UnsupportedOperationError, ValidationError
from .annotation_builder import AnnotationSpec, add_annotation, hex_color, rect_of_quads
from .annotation_sources import read_source, source_problem
from .form_filling import fill_fields
from .registry import Param, operation

KINDS = {
    "highlight": "highlight", "ink": "ink", "text": "note", "freetext": "freetext", "square": "square",
    "circle": "circle", "line": "line", "stamp": "stamp", "link": "link", "redact": "redaction",
}


def parse_xfdf(value: Any) -> Element:
    """The <xfdf> root element, tags stripped of their namespace."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    raw = read_source(value, method="apply_xfdf", text_prefix="<")
    try:
        root = SafeET.fromstring(raw)
    except DefusedXmlException as exc:
        raise ValidationError(f"apply_xfdf: refused unsafe XML ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        raise ValidationError(f"apply_xfdf: not well-formed XML: {exc}") from None
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    if root.tag != "xfdf":
        raise ValidationError(f"apply_xfdf: the root element is <{root.tag}>, not <xfdf>")
    return root


@operation(
    "apply_xfdf",
    Param("xfdf", (str, bytes, os.PathLike), check=lambda v: source_problem(v, text_prefix="<"), names_files=True,
          doc="an XFDF file: its path, its bytes or its XML text (no URLs)"),
    doc="Add the annotations of an XFDF file (with appearances) and fill its field values.",
)
def apply_xfdf(doc: Document, *, xfdf: Any) -> None:
    root = parse_xfdf(xfdf)
    pdf = doc.pdf
    for annots in root.findall("annots"):
        for number, element in enumerate(annots):
            add_annotation(pdf, _spec(element, number))
    values: dict[str, Any] = {}
    for fields in root.findall("fields"):
        _collect_fields(fields, "", values)
    fill_fields(pdf, values)


def _collect_fields(parent: Element, prefix: str, values: dict[str, Any]) -> None:
    for field in parent.findall("field"):
        name = f"{prefix}{field.get('name', '')}"
        found = [v.text or "" for v in field.findall("value")]
        if found:
            values[name] = found if len(found) > 1 else found[0]
        _collect_fields(field, f"{name}.", values)


def _spec(element: Element, number: int) -> AnnotationSpec:
    where = f"apply_xfdf: annotation {number} <{element.tag}>"
    kind = KINDS.get(element.tag)
    if kind is None:
        raise UnsupportedOperationError(
            f"{where} is not supported locally; supported: {', '.join(sorted(KINDS))}"
        )
    try:
        spec = AnnotationSpec(kind=kind, page_index=int(element.get("page", "0")), rect=_numbers(element.get("rect"), 4))
        spec.color = _color(element.get("color"))
        spec.fill = _color(element.get("interior-color"))
        spec.opacity = float(element.get("opacity", "1"))
        spec.stroke_width = float(element.get("width", _border_width(element)))
        spec.name = element.get("name")
        spec.author = element.get("title")
        spec.contents = _contents(element)
        _fill_kind(spec, element)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{where} is malformed: {exc}") from None
    return spec


def _fill_kind(spec: AnnotationSpec, element: Element) -> None:
    if spec.kind in ("highlight", "redaction"):
        coords = element.get("coords")
        if coords:
            numbers = _numbers(coords)
            if len(numbers) % 8:
                raise ValueError("coords must hold 8 numbers per quadrilateral")
            spec.quads = [tuple(numbers[i:i + 8]) for i in range(0, len(numbers), 8)]
            if spec.kind == "redaction":
                spec.rect = rect_of_quads(spec.quads)
        if spec.kind == "redaction":
            spec.text = element.get("overlay-text") or None
            spec.fill = spec.fill or _color(element.get("fill-color")) or (0.0, 0.0, 0.0)
    elif spec.kind == "ink":
        for gesture in element.iter("gesture"):
            points = [_numbers(pair, 2) for pair in (gesture.text or "").split(";") if pair.strip()]
            spec.ink.append([(p[0], p[1]) for p in points])
    elif spec.kind == "line":
        spec.line = (*_numbers(element.get("start"), 2), *_numbers(element.get("end"), 2))
    elif spec.kind == "note":
        spec.icon = element.get("icon", "Comment")
    elif spec.kind == "freetext":
        spec.text = spec.contents or ""
        appearance = element.get("defaultappearance") or ""
        size = re.search(r"([\d.]+)\s+Tf", appearance)
        color = re.search(r"([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+rg", appearance)
        if size:
            spec.font_size = float(size.group(1))
        spec.color = tuple(float(c) for c in color.groups()) if color else spec.color or (0.0, 0.0, 0.0)
    elif spec.kind == "stamp":
        spec.icon = element.get("icon", "Draft")
    elif spec.kind == "link":
        uri = element.find(".//URI")
        fit = element.find(".//Dest/*")
        if uri is not None and uri.get("Name"):
            spec.uri = uri.get("Name")
        elif fit is not None and fit.get("Page") is not None:
            spec.dest_page = int(fit.get("Page"))
        else:
            raise UnsupportedOperationError("apply_xfdf: a <link> without a URI or page destination")


def _contents(element: Element) -> str | None:
    plain = element.find("contents")
    if plain is not None:
        return plain.text or ""
    rich = element.find("contents-richtext")
    if rich is not None:
        return "".join(rich.itertext()).strip()
    return None


def _border_width(element: Element) -> str:
    border = element.find(".//BorderStyle")
    return border.get("width", "1") if border is not None else "1"


def _numbers(text: str | None, count: int | None = None) -> tuple[float, ...]:
    if text is None:
        raise ValueError("a required coordinate attribute is missing")
    numbers = tuple(float(v) for v in re.split(r"[,\s]+", text.strip()) if v)
    if count is not None and len(numbers) != count:
        raise ValueError(f"expected {count} numbers, got {text!r}")
    return numbers


def _color(value: str | None):
    return hex_color(value) if value else None
