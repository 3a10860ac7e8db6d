"""Real PDF annotations, with appearance streams, from a format-neutral description.

Instant JSON (instant_json.py), XFDF (xfdf.py) and the redaction search (redaction.py)
translate their records into `AnnotationSpec`s in PDF user space; `add_annotation` writes
the annotation dictionary and draws its normal appearance (/AP /N), so every viewer, and
flattening, shows the same thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, Operator, String

from ..errors import PageRangeError

RGB = tuple[float, float, float]
Rect = tuple[float, float, float, float]
"""(left, bottom, right, top) in PDF user space."""

SUBTYPES = {
    "highlight": "/Highlight", "ink": "/Ink", "note": "/Text", "freetext": "/FreeText",
    "square": "/Square", "circle": "/Circle", "line": "/Line", "stamp": "/Stamp", "link": "/Link",
    "redaction": "/Redact",
}
DEFAULT_COLORS: dict[str, RGB] = {
    "highlight": (1.0, 0.92, 0.0), "note": (1.0, 0.85, 0.2), "stamp": (0.8, 0.1, 0.1), "redaction": (1.0, 0.0, 0.0),
}
FONT = "/Helv"


@dataclass
class AnnotationSpec:
    """One annotation. Which fields matter depends on `kind` (a key of SUBTYPES)."""

    kind: str
    page_index: int
    rect: Rect
    color: RGB | None = None
    """Stroke colour (text colour for free text, box outline for redactions)."""
    fill: RGB | None = None
    """Interior colour (squares, circles, free-text background, redaction box after applying)."""
    opacity: float = 1.0
    stroke_width: float = 1.0
    contents: str | None = None
    author: str | None = None
    name: str | None = None
    quads: list[tuple[float, ...]] = field(default_factory=list)
    """Highlight and redaction areas: 8 numbers each (upper-left, upper-right, lower-left, lower-right)."""
    ink: list[list[tuple[float, float]]] = field(default_factory=list)
    line: tuple[float, float, float, float] | None = None
    text: str | None = None
    """Shown text: free text, stamp label, redaction overlay text."""
    font_size: float = 12.0
    icon: str | None = None
    """Note icon name (Comment, Note, ...) or stamp name (Approved, Draft, ...)."""
    uri: str | None = None
    dest_page: int | None = None


def quad_from_rect(rect: Rect) -> tuple[float, ...]:
    left, bottom, right, top = rect
    return (left, top, right, top, left, bottom, right, bottom)


def rect_of_quads(quads: Iterable[Sequence[float]]) -> Rect:
    xs = [q[i] for q in quads for i in range(0, 8, 2)]
    ys = [q[i] for q in quads for i in range(1, 8, 2)]
    return (min(xs), min(ys), max(xs), max(ys))


def hex_color(value: str) -> RGB:
    """'#rrggbb' (or 'rrggbb') -> (r, g, b) in 0..1; ValueError when malformed."""
    text = value.strip().lstrip("#")
    if len(text) != 6:
        raise ValueError(f"colour {value!r} is not #rrggbb")
    return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def add_annotation(pdf: pikepdf.Pdf, spec: AnnotationSpec) -> pikepdf.Dictionary:
    """Add the annotation `spec` describes to its page; returns the (indirect) dictionary."""
    if not 0 <= spec.page_index < len(pdf.pages):
        raise PageRangeError(
            f"an annotation is on page index {spec.page_index}, but the document has {len(pdf.pages)} page(s)"
        )
    page = pdf.pages[spec.page_index]
    annot = Dictionary(Type=Name.Annot, Subtype=Name(SUBTYPES[spec.kind]), Rect=Array(_round(spec.rect)),
                       P=page.obj, F=4)
    color = spec.color or DEFAULT_COLORS.get(spec.kind)
    if color is not None and spec.kind != "link":
        annot.C = Array(_round(color))
    if spec.contents:
        annot.Contents = _text(spec.contents)
    if spec.author:
        annot.T = _text(spec.author)
    if spec.name:
        annot.NM = _text(spec.name)
    if spec.opacity < 1:
        annot.CA = spec.opacity
    if spec.kind in ("square", "circle", "ink", "line", "freetext"):
        annot.BS = Dictionary(W=spec.stroke_width, S=Name.S)
    if spec.fill is not None and spec.kind in ("square", "circle", "line", "redaction"):
        annot.IC = Array(_round(spec.fill))
    if spec.kind in ("highlight", "redaction"):
        annot.QuadPoints = Array(_round([v for q in spec.quads or [quad_from_rect(spec.rect)] for v in q]))
    if spec.kind == "ink":
        annot.InkList = Array([Array(_round([v for point in path for v in point])) for path in spec.ink])
    if spec.kind == "line" and spec.line is not None:
        annot.L = Array(_round(spec.line))
    if spec.kind == "note":
        annot.Name = Name("/" + (spec.icon or "Comment"))
    if spec.kind == "stamp":
        annot.Name = Name("/" + "".join(ch for ch in (spec.icon or "Draft") if ch.isalnum()))
    if spec.kind == "freetext":
        text_color = spec.color or (0.0, 0.0, 0.0)
        annot.DA = String(f"{FONT} {spec.font_size:g} Tf {_rgb(text_color)} rg")
    if spec.kind == "redaction" and spec.text:
        annot.OverlayText = _text(spec.text)
        annot.DA = String(f"{FONT} {spec.font_size:g} Tf 1 1 1 rg")
    if spec.kind == "link":
        annot.Border = Array([0, 0, 0])
        if spec.uri:
            annot.A = Dictionary(S=Name.URI, URI=String(spec.uri))
        elif spec.dest_page is not None:
            if not 0 <= spec.dest_page < len(pdf.pages):
                raise PageRangeError(f"a link points to page index {spec.dest_page}, outside the document")
            annot.Dest = Array([pdf.pages[spec.dest_page].obj, Name.Fit])
    else:
        annot.AP = Dictionary(N=_appearance(pdf, spec, color))
    annot = pdf.make_indirect(annot)
    if "/Annots" not in page.obj:
        page.obj.Annots = pdf.make_indirect(Array())
    page.obj.Annots.append(annot)
    return annot


def _appearance(pdf: pikepdf.Pdf, spec: AnnotationSpec, color: RGB | None) -> pikepdf.Stream:
    """The normal appearance: a form XObject drawn in page space (BBox = Rect, no Matrix)."""
    ops: list[tuple[list, str]] = []
    resources = Dictionary()
    left, bottom, right, top = spec.rect
    width = spec.stroke_width
    if spec.opacity < 1 or spec.kind == "highlight":
        state = Dictionary(Type=Name.ExtGState, CA=spec.opacity, ca=spec.opacity)
        if spec.kind == "highlight":
            state.BM = Name.Multiply
        resources.ExtGState = Dictionary(GS0=state)
        ops.append(([Name.GS0], "gs"))
    if spec.kind == "highlight":
        ops.append((list(color or DEFAULT_COLORS["highlight"]), "rg"))
        for q in spec.quads or [quad_from_rect(spec.rect)]:
            ops += [([q[0], q[1]], "m"), ([q[2], q[3]], "l"), ([q[6], q[7]], "l"), ([q[4], q[5]], "l"), ([], "h")]
        ops.append(([], "f"))
    elif spec.kind == "ink":
        ops += [([width], "w"), ([1], "J"), ([1], "j"), (list(color or (0, 0, 0)), "RG")]
        for path in spec.ink:
            if not path:
                continue
            ops.append((list(path[0]), "m"))
            ops += [(list(point), "l") for point in path[1:]] or [(list(path[0]), "l")]
            ops.append(([], "S"))
    elif spec.kind in ("square", "circle"):
        inset = width / 2
        box = (left + inset, bottom + inset, right - inset, top - inset)
        ops.append(([width], "w"))
        if color is not None:
            ops.append((list(color), "RG"))
        if spec.fill is not None:
            ops.append((list(spec.fill), "rg"))
        ops += _rect_path(box) if spec.kind == "square" else _ellipse_path(box)
        paint = "B" if spec.fill is not None and color is not None else "f" if spec.fill is not None else "S"
        ops.append(([], paint))
    elif spec.kind == "line" and spec.line is not None:
        x1, y1, x2, y2 = spec.line
        ops += [([width], "w"), ([1], "J"), (list(color or (0, 0, 0)), "RG"), ([x1, y1], "m"), ([x2, y2], "l"),
                ([], "S")]
    elif spec.kind == "note":
        ops += [(list(color or DEFAULT_COLORS["note"]), "rg"), ([0, 0, 0], "RG"), ([0.75], "w")]
        ops += _rect_path((left + 0.5, bottom + 0.5, right - 0.5, top - 0.5)) + [([], "B")]
        for fraction in (0.7, 0.5, 0.3):
            y = bottom + (top - bottom) * fraction
            ops += [([left + (right - left) * 0.2, y], "m"), ([right - (right - left) * 0.2, y], "l")]
        ops.append(([], "S"))
    elif spec.kind == "freetext":
        if spec.fill is not None:
            ops += [(list(spec.fill), "rg")] + _rect_path(spec.rect) + [([], "f")]
        resources.Font = _font_resource(pdf)
        ops += _text_lines(spec.text or spec.contents or "", spec.rect, spec.font_size, spec.color or (0, 0, 0))
    elif spec.kind == "stamp":
        label = (spec.text or spec.icon or "Draft").upper()
        resources.Font = _font_resource(pdf)
        stamp_color = color or DEFAULT_COLORS["stamp"]
        ops += [(list(stamp_color), "RG"), ([2], "w")]
        ops += _rect_path((left + 1, bottom + 1, right - 1, top - 1)) + [([], "S")]
        size = max(min((top - bottom) * 0.5, (right - left - 8) / max(_text_width(label, 1), 1)), 1)
        ops += _text_lines(label, spec.rect, size, stamp_color, center=True)
    elif spec.kind == "redaction":
        ops += [([1], "w"), (list(color or DEFAULT_COLORS["redaction"]), "RG")]
        for q in spec.quads or [quad_from_rect(spec.rect)]:
            ops += _rect_path(rect_of_quads([q])) + [([], "S")]
    content = pikepdf.unparse_content_stream([(operands, Operator(op)) for operands, op in ops])
    return pdf.make_stream(content, Type=Name.XObject, Subtype=Name.Form, BBox=Array(_round(spec.rect)),
                           Resources=resources)


def _rect_path(rect: Rect) -> list[tuple[list, str]]:
    left, bottom, right, top = rect
    return [([left, bottom, right - left, top - bottom], "re")]


def _ellipse_path(rect: Rect) -> list[tuple[list, str]]:
    left, bottom, right, top = rect
    cx, cy, rx, ry = (left + right) / 2, (bottom + top) / 2, (right - left) / 2, (top - bottom) / 2
    k = 4 * (math.sqrt(2) - 1) / 3
    return [
        ([cx + rx, cy], "m"),
        ([cx + rx, cy + k * ry, cx + k * rx, cy + ry, cx, cy + ry], "c"),
        ([cx - k * rx, cy + ry, cx - rx, cy + k * ry, cx - rx, cy], "c"),
        ([cx - rx, cy - k * ry, cx - k * rx, cy - ry, cx, cy - ry], "c"),
        ([cx + k * rx, cy - ry, cx + rx, cy - k * ry, cx + rx, cy], "c"),
        ([], "h"),
    ]


def _font_resource(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    helvetica = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
    return Dictionary({FONT: pdf.make_indirect(helvetica)})


def _text_width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, "Helvetica", size)


def wrap_text(text: str, width: float, size: float) -> list[str]:
    """`text` broken into lines no wider than `width` at `size` pt Helvetica (words kept whole)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and _text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _text_lines(text: str, rect: Rect, size: float, color: Sequence[float], *, center: bool = False,
                padding: float = 2.0) -> list[tuple[list, str]]:
    """Text in Helvetica inside `rect`, from the top (or centred), clipped to the box."""
    left, bottom, right, top = rect
    lines = wrap_text(text, right - left - 2 * padding, size)
    leading = size * 1.15
    ops: list[tuple[list, str]] = [([], "q"), ([left, bottom, right - left, top - bottom], "re"), ([], "W"),
                                   ([], "n"), ([], "BT"), ([Name(FONT), size], "Tf"), (list(color), "rg")]
    if center:
        y = (bottom + top) / 2 - size * 0.35 + (len(lines) - 1) * leading / 2
    else:
        y = top - padding - size * 0.8
    for line in lines:
        x = (left + right - _text_width(line, size)) / 2 if center else left + padding
        ops += [([1, 0, 0, 1, x, y], "Tm"), ([String(line.encode("cp1252", "replace"))], "Tj")]
        y -= leading
    ops += [([], "ET"), ([], "Q")]
    return ops


def _text(value: str) -> pikepdf.String:
    """A text string for a PDF dictionary or a WinAnsi-encoded Helvetica show operator."""
    try:
        return String(value.encode("cp1252"))
    except UnicodeEncodeError:
        return String(value)  # pikepdf writes UTF-16 for text outside PDFDocEncoding


def _rgb(color: Sequence[float]) -> str:
    return " ".join(f"{c:.3g}" for c in color)


def _round(values: Iterable[float]) -> list[float]:
    return [round(float(v), 3) for v in values]
