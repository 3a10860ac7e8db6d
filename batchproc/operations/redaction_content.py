"""Removing what lies under redaction areas from a page's content stream, keeping the rest.

`remove_under(pdf, page, areas)` interprets the page's content (and the form XObjects it
draws) and rewrites it:
  * text: every glyph whose centre lies in an area is taken out of its show operator and
    replaced by the equivalent positioning offset, so the glyphs around it stay where they
    were and stay extractable;
  * images (XObjects) drawn over an area get the covered pixels painted in the area's fill
    colour, in a private copy of the image;
  * /ActualText, /Alt and /E entries of inline marked-content properties on the page are
    dropped (they may spell out removed text).
Vector paths and shadings are not cut; the opaque box drawn on top covers them.

Whatever it cannot handle faithfully (Type 3 fonts, CMaps other than Identity-H, fonts
without width information, inline, masked or undecodable images under an area,
zero-size text) raises `NotRemovable`; the caller then rasterises the page
instead (see redaction.py). The caller also verifies the result with pdfium.
"""

from __future__ import annotations

import itertools
import zlib
from typing import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Matrix, Name, Operator

Rect = tuple[float, float, float, float]
Area = tuple[Rect, tuple[float, float, float]]
"""A redaction area in page user space and its fill colour (RGB 0..1)."""

MAX_FORM_DEPTH = 8
MARKED_CONTENT_TEXT_KEYS = ("/ActualText", "/Alt", "/E")
_names = itertools.count()


class NotRemovable(Exception):
    """This page uses something the content rewriter cannot redact faithfully."""


def remove_under(pdf: pikepdf.Pdf, page: pikepdf.Page, areas: list[Area]) -> None:
    """Rewrite `page` so nothing of its text or images lies under `areas` (see module doc)."""
    resources = page.obj.get("/Resources", Dictionary())
    rewriter = _Rewriter(pdf, areas)
    ops, private_resources = rewriter.rewrite(page.obj, resources, Matrix(), depth=0)
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(ops))
    if private_resources is not None:
        page.obj.Resources = private_resources


class _TextState:
    __slots__ = ("font", "size", "char_spacing", "word_spacing", "scale", "leading", "rise")

    def __init__(self) -> None:
        self.font: _Font | None = None
        self.size = 0.0
        self.char_spacing = self.word_spacing = self.leading = self.rise = 0.0
        self.scale = 1.0

    def copy(self) -> "_TextState":
        other = _TextState()
        for slot in self.__slots__:
            setattr(other, slot, getattr(self, slot))
        return other


class _Rewriter:
    def __init__(self, pdf: pikepdf.Pdf, areas: list[Area]) -> None:
        self.pdf = pdf
        self.areas = areas
        self.fonts: dict[tuple[int, int], _Font] = {}

    def rewrite(self, container: pikepdf.Object, resources: pikepdf.Object, ctm: Matrix, *, depth: int):
        """New operators for `container`, and a private copy of `resources` when an XObject changed."""
        if depth > MAX_FORM_DEPTH:
            raise NotRemovable("form XObjects nest too deeply")
        out: list[tuple[list, Operator]] = []
        private: pikepdf.Dictionary | None = None
        replaced: set[str] = set()
        drawn: set[str] = set()
        stack = [(ctm, _TextState())]
        tm = tlm = Matrix()
        for operands, operator in pikepdf.parse_content_stream(container):
            op = str(operator)
            ctm, ts = stack[-1]
            if op == "q":
                stack.append((ctm, ts.copy()))
            elif op == "Q":
                if len(stack) > 1:
                    stack.pop()
            elif op == "cm":
                stack[-1] = (Matrix(*[float(v) for v in operands]) @ ctm, ts)
            elif op == "BT":
                tm = tlm = Matrix()
            elif op == "Tf":
                ts.font = self._font(resources, operands[0])
                ts.size = float(operands[1])
            elif op == "Tc":
                ts.char_spacing = float(operands[0])
            elif op == "Tw":
                ts.word_spacing = float(operands[0])
            elif op == "Tz":
                ts.scale = float(operands[0]) / 100
            elif op == "TL":
                ts.leading = float(operands[0])
            elif op == "Ts":
                ts.rise = float(operands[0])
            elif op in ("Td", "TD"):
                tx, ty = float(operands[0]), float(operands[1])
                if op == "TD":
                    ts.leading = -ty
                tm = tlm = Matrix(1, 0, 0, 1, tx, ty) @ tlm
            elif op == "Tm":
                tm = tlm = Matrix(*[float(v) for v in operands])
            elif op == "T*":
                tm = tlm = Matrix(1, 0, 0, 1, 0, -ts.leading) @ tlm
            elif op in ("Tj", "TJ", "'", '"'):
                if op == '"':
                    ts.word_spacing, ts.char_spacing = float(operands[0]), float(operands[1])
                    out += [([operands[0]], Operator("Tw")), ([operands[1]], Operator("Tc"))]
                if op in ("'", '"'):
                    tm = tlm = Matrix(1, 0, 0, 1, 0, -ts.leading) @ tlm
                    out.append(([], Operator("T*")))
                items = list(operands[0]) if op == "TJ" else [operands[-1]]
                kept, tm = self._show(items, ts, tm, ctm)
                out.append(([Array(kept)], Operator("TJ")))
                continue
            elif op == "INLINE IMAGE":
                if self._covered_box(ctm):
                    raise NotRemovable("an inline image lies under a redaction area")
            elif op == "Do":
                replacement = self._do(resources, operands[0], ctm, depth)
                if replacement is not None:
                    if private is None:
                        private = _private_resources(resources)
                    replaced.add(str(operands[0]))
                    name = Name(f"/BPRedacted{next(_names)}")
                    private.XObject[name] = replacement
                    operands = [name]
                drawn.add(str(operands[0]))
            elif op in ("BDC", "DP") and len(operands) == 2 and isinstance(operands[1], Dictionary):
                properties = operands[1]
                for key in MARKED_CONTENT_TEXT_KEYS:
                    if key in properties:
                        del properties[key]
            out.append((operands, operator))
        if private is not None:
            for name in replaced - drawn:  # the unredacted original must not stay in the file
                del private.XObject[name]
        return out, private

    # -- text --------------------------------------------------------------------------------
    def _show(self, items: list, ts: _TextState, tm: Matrix, ctm: Matrix) -> tuple[list, Matrix]:
        """The TJ array for `items` with covered glyphs turned into offsets, and the new Tm."""
        font = ts.font
        if font is None:
            raise NotRemovable("text is shown before a font is selected")
        if ts.size == 0 or ts.scale == 0:
            raise NotRemovable("text with zero size or zero horizontal scale")
        kept: list = []
        run = bytearray()
        for item in items:
            if not isinstance(item, (pikepdf.String, bytes, str)):
                offset = float(item)
                tm = Matrix(1, 0, 0, 1, -offset / 1000 * ts.size * ts.scale, 0) @ tm
                if run:
                    kept.append(pikepdf.String(bytes(run)))
                    run = bytearray()
                kept.append(offset)
                continue
            for code in font.codes(bytes(item)):
                width = font.width(code)
                spacing = ts.char_spacing + (ts.word_spacing if code == b" " else 0.0)
                advance = (width * ts.size + spacing) * ts.scale
                trm = Matrix(ts.size * ts.scale, 0, 0, ts.size, 0, ts.rise) @ tm @ ctm
                if self._inside(trm.transform((width / 2, font.middle))):
                    if run:
                        kept.append(pikepdf.String(bytes(run)))
                        run = bytearray()
                    kept.append(-(width * ts.size + spacing) * 1000 / ts.size)
                else:
                    run += code
                tm = Matrix(1, 0, 0, 1, advance, 0) @ tm
        if run:
            kept.append(pikepdf.String(bytes(run)))
        return kept, tm

    def _font(self, resources: pikepdf.Object, name: pikepdf.Name) -> "_Font":
        fonts = resources.get("/Font") if resources is not None else None
        if fonts is None or name not in fonts:
            raise NotRemovable(f"font {name} is not in the resources")
        font = fonts[name]
        if not font.is_indirect:
            return _Font(font)
        if font.objgen not in self.fonts:
            self.fonts[font.objgen] = _Font(font)
        return self.fonts[font.objgen]

    def _inside(self, point: tuple[float, float]) -> bool:
        x, y = point
        return any(r[0] <= x <= r[2] and r[1] <= y <= r[3] for r, _ in self.areas)

    # -- images and forms ----------------------------------------------------------------------
    def _covered_box(self, ctm: Matrix, box: Rect = (0, 0, 1, 1)) -> list[Area]:
        """The areas that the `box` (in the space `ctm` maps to the page) overlaps."""
        corners = [ctm.transform(p) for p in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3]))]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return [a for a in self.areas if a[0][0] < max(xs) and min(xs) < a[0][2] and a[0][1] < max(ys) and min(ys) < a[0][3]]

    def _do(self, resources: pikepdf.Object, name: pikepdf.Name, ctm: Matrix, depth: int):
        """A replacement XObject for `name` drawn at `ctm`, or None when it is left as is."""
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None or name not in xobjects:
            return None
        xobject = xobjects[name]
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            covered = self._covered_box(ctm)
            return _blanked_image(self.pdf, xobject, ctm, covered) if covered else None
        if subtype != "/Form":
            return None
        matrix = Matrix(*[float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]) @ ctm
        bbox = [float(v) for v in xobject.get("/BBox", [0, 0, 0, 0])]
        if not self._covered_box(matrix, (min(bbox[0], bbox[2]), min(bbox[1], bbox[3]),
                                          max(bbox[0], bbox[2]), max(bbox[1], bbox[3]))):
            return None
        form_resources = xobject.get("/Resources", resources)
        ops, private = self.rewrite(xobject, form_resources, matrix, depth=depth + 1)
        copy = self.pdf.make_stream(pikepdf.unparse_content_stream(ops))
        for key, value in xobject.items():
            if key not in ("/Length", "/Filter", "/DecodeParms"):
                copy[key] = value
        if private is not None:
            copy.Resources = private
        elif "/Resources" not in xobject and resources is not None:
            copy.Resources = resources
        return copy


def _private_resources(resources: pikepdf.Object) -> pikepdf.Dictionary:
    """A copy of `resources` with its own XObject dictionary (other pages may share them)."""
    copy = Dictionary({k: v for k, v in resources.items()}) if resources is not None else Dictionary()
    copy.XObject = Dictionary({k: v for k, v in copy.get("/XObject", Dictionary()).items()})
    return copy


def _blanked_image(pdf: pikepdf.Pdf, image: pikepdf.Stream, ctm: Matrix, areas: list[Area]) -> pikepdf.Stream:
    """A copy of `image` with the pixels under `areas` painted in their fill colours (and
    made opaque in its soft mask, which could otherwise keep the shape of what was there)."""
    if "/Mask" in image:
        raise NotRemovable("an image with a /Mask lies under a redaction area")
    try:
        inverse = ctm.inverse()
    except (ValueError, ZeroDivisionError):
        raise NotRemovable("an image is drawn with a degenerate matrix") from None
    pil = _decoded(image)
    for box, fill in _pixel_boxes(pil.size, inverse, areas):
        colour = tuple(round(c * 255) for c in fill)
        _draw(pil).rectangle(box, fill=colour if pil.mode == "RGB" else round(sum(colour) / 3))
    color_space = image.get("/ColorSpace")
    keeps_color_space = (isinstance(color_space, Array) and len(color_space) == 2 and color_space[0] == "/ICCBased"
                         and int(color_space[1].get("/N", 0)) == len(pil.getbands()))
    copy = _image_stream(pdf, pil, color_space if keeps_color_space else None)
    for key in ("/Interpolate", "/Intent"):
        if key in image:
            copy[key] = image[key]
    if "/SMask" in image:
        mask = _decoded(image.SMask).convert("L")
        for box, _ in _pixel_boxes(mask.size, inverse, areas):
            _draw(mask).rectangle(box, fill=255)
        copy.SMask = _image_stream(pdf, mask, None)
    return copy


def _decoded(image: pikepdf.Stream):
    pdf_image = pikepdf.PdfImage(image)
    if pdf_image.image_mask:
        raise NotRemovable("a stencil-mask image lies under a redaction area")
    try:
        pil = pdf_image.as_pil_image()
    except Exception as exc:  # pikepdf raises several types for images it cannot decode
        raise NotRemovable(f"an image under a redaction area cannot be decoded: {exc}") from None
    return pil.convert("L" if pil.mode in ("1", "L", "LA", "I", "I;16") else "RGB")


def _pixel_boxes(size: tuple[int, int], inverse: Matrix, areas: list[Area]):
    """Each area as a pixel rectangle of an image of `size` (image space: the unit square,
    row 0 at the top), one pixel wider on each side; with its fill colour."""
    width, height = size
    for (left, bottom, right, top), fill in areas:
        corners = [inverse.transform(p) for p in ((left, bottom), (right, bottom), (left, top), (right, top))]
        us = [min(max(c[0], 0.0), 1.0) for c in corners]
        vs = [min(max(c[1], 0.0), 1.0) for c in corners]
        yield [int(min(us) * width) - 1, int((1 - max(vs)) * height) - 1,
               int(max(us) * width) + 1, int((1 - min(vs)) * height) + 1], fill


def _draw(pil):
    from PIL import ImageDraw

    return ImageDraw.Draw(pil)


def _image_stream(pdf: pikepdf.Pdf, pil, color_space: pikepdf.Object | None) -> pikepdf.Stream:
    if color_space is None:
        color_space = Name.DeviceRGB if pil.mode == "RGB" else Name.DeviceGray
    return pdf.make_stream(
        zlib.compress(pil.tobytes(), 6), Type=Name.XObject, Subtype=Name.Image, Width=pil.width, Height=pil.height,
        ColorSpace=color_space, BitsPerComponent=8, Filter=Name.FlateDecode,
    )


class _Font:
    """Code lengths, glyph widths (text space units per 1 pt of font size) and the glyphs'
    vertical middle, for the fonts whose geometry is known exactly."""

    def __init__(self, font: pikepdf.Dictionary) -> None:
        subtype = font.get("/Subtype")
        descriptor = None
        if subtype == "/Type0":
            if font.get("/Encoding") != "/Identity-H":
                raise NotRemovable(f"a composite font with encoding {font.get('/Encoding')} (only Identity-H is handled)")
            descendant = font.DescendantFonts[0]
            self.two_byte = True
            self.default_width = float(descendant.get("/DW", 1000)) / 1000
            self.cid_widths = _cid_widths(descendant.get("/W", Array()))
            descriptor = descendant.get("/FontDescriptor")
        elif subtype in ("/Type1", "/TrueType", "/MMType1"):
            self.two_byte = False
            self.simple_widths = _simple_widths(font)
            descriptor = font.get("/FontDescriptor")
        else:
            raise NotRemovable(f"a {subtype} font")
        ascent = float(descriptor.get("/Ascent", 800)) if descriptor is not None else 800.0
        descent = float(descriptor.get("/Descent", -200)) if descriptor is not None else -200.0
        if ascent <= descent:
            ascent, descent = 800.0, -200.0
        self.middle = (ascent + descent) / 2000

    def codes(self, data: bytes) -> Iterator[bytes]:
        if self.two_byte:
            if len(data) % 2:
                raise NotRemovable("an odd number of bytes shown with a two-byte font")
            return (data[i:i + 2] for i in range(0, len(data), 2))
        return (data[i:i + 1] for i in range(len(data)))

    def width(self, code: bytes) -> float:
        if self.two_byte:
            return self.cid_widths.get(int.from_bytes(code, "big"), self.default_width)
        return self.simple_widths[code[0]]


def _cid_widths(w: pikepdf.Array) -> dict[int, float]:
    """The /W array of a CIDFont: `c [w1 w2 ...]` and `c_first c_last w` entries."""
    widths: dict[int, float] = {}
    items = list(w)
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], Array):
            for offset, value in enumerate(items[i + 1]):
                widths[first + offset] = float(value) / 1000
            i += 2
        else:
            for cid in range(first, int(items[i + 1]) + 1):
                widths[cid] = float(items[i + 2]) / 1000
            i += 3
    return widths


def _simple_widths(font: pikepdf.Dictionary) -> list[float]:
    """256 glyph widths of a simple font: /Widths, else the standard 14 fonts' metrics."""
    descriptor = font.get("/FontDescriptor")
    missing = float(descriptor.get("/MissingWidth", 0)) / 1000 if descriptor is not None else 0.0
    if "/Widths" in font:
        first = int(font.get("/FirstChar", 0))
        given = [float(w) / 1000 for w in font.Widths]
        return [given[c - first] if 0 <= c - first < len(given) else missing for c in range(256)]
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase._fontdata import encodings, standardFonts

    base = str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1]
    if base not in standardFonts:
        raise NotRemovable(f"font {base or '(unnamed)'} has no /Widths and is not a standard font")
    glyph_widths = pdfmetrics.getTypeFace(base).glyphWidths
    names = list(_encoding(font, base, encodings))
    return [glyph_widths.get(name, missing * 1000) / 1000 if name else missing for name in names]


def _encoding(font: pikepdf.Dictionary, base: str, encodings: dict) -> list[str | None]:
    builtin = {"Symbol": "SymbolEncoding", "ZapfDingbats": "ZapfDingbatsEncoding"}.get(base, "StandardEncoding")
    encoding = font.get("/Encoding")
    differences: list = []
    if isinstance(encoding, Dictionary):
        differences = list(encoding.get("/Differences", []))
        encoding = encoding.get("/BaseEncoding")
    name = str(encoding).lstrip("/") if encoding is not None else builtin
    if name not in encodings:
        raise NotRemovable(f"unknown font encoding {name}")
    names = list(encodings[name])
    code = 0
    for item in differences:
        if isinstance(item, Name):
            if 0 <= code < 256:
                names[code] = str(item).lstrip("/")
            code += 1
        else:
            code = int(item)
    return names
