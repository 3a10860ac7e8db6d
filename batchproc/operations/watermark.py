"""watermark_pdf: stamp a text or image mark on every page.

The mark is built once per worker for each distinct set of parameters (a one-page PDF
made with reportlab, cached), copied into each document once, and drawn on every page
as one shared Form XObject. Text stays real, extractable text in an embedded TrueType
font (DejaVu, or the Vera fonts reportlab ships), so PDF/A outputs stay valid.

v1 semantics: `width` x `height` (points) is the box the mark is fitted into, keeping
its proportions; `position` places that box on the page as the reader sees it (CropBox
and /Rotate respected); `rotation` turns the mark counter-clockwise about its centre.
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Matrix

from ..engines.local.document import Document
from ..engines.local.overlay import Overlay, view_size, view_to_user
from ..errors import InputNotFoundError, NetworkError, ValidationError
from .checks import file_value
from .registry import Param, operation

POSITIONS = ("top-left", "top-center", "top-right", "center", "bottom-left", "bottom-center", "bottom-right")
FETCH_TIMEOUT_S = (10.0, 60.0)  # connect, read
LINE_SPACING = 1.15
_MARK_LOCK = threading.Lock()

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_FAMILIES = {
    "sans": ("DejaVuSans.ttf", "Vera.ttf"),
    "serif": ("DejaVuSerif.ttf", "Vera.ttf"),
    "mono": ("DejaVuSansMono.ttf", "Vera.ttf"),
}
_FAMILY_ALIASES = {
    "times": "serif", "times-roman": "serif", "times new roman": "serif", "serif": "serif", "georgia": "serif",
    "dejavu serif": "serif",
    "courier": "mono", "courier new": "mono", "monospace": "mono", "mono": "mono", "dejavu sans mono": "mono",
}


def _color(value: Any) -> str | None:
    return None if re.fullmatch(r"#[0-9a-fA-F]{6}", value) else "must be a colour like '#ff0000'"


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _fraction(value: Any) -> str | None:
    return None if 0 <= value <= 1 else "must be between 0 and 1"


def _url(value: Any) -> str | None:
    return None if re.match(r"https?://", value) else "must be an http:// or https:// URL"


def _one_source(params: dict[str, Any]) -> str | None:
    given = [name for name in ("text", "image_url", "image_file") if params[name] is not None]
    if len(given) != 1:
        found = f"got {' and '.join(given)}" if given else "got none"
        return f"give exactly one of text, image_url and image_file ({found})"
    if params["text"] == "":
        return "text must not be empty"
    return None


@operation(
    "watermark_pdf",
    Param("text", str, default=None, doc="text of the mark"),
    Param("image_url", str, default=None, check=_url, doc="http(s) URL of a PNG/JPEG/TIFF image (or a PDF)"),
    Param("image_file", (str, bytes, bytearray, os.PathLike), default=None, check=file_value, names_files=True,
          doc="path or bytes of a PNG/JPEG/TIFF image (or a PDF, whose first page is used)"),
    Param("width", (int, float), default=200, check=_positive, doc="width of the box the mark fits in, points"),
    Param("height", (int, float), default=100, check=_positive, doc="height of the box the mark fits in, points"),
    Param("opacity", (int, float), default=1.0, check=_fraction, doc="0 (invisible) to 1 (opaque)"),
    Param("position", str, default="center", choices=POSITIONS, doc="where the box sits on the page"),
    Param("rotation", (int, float), default=0, doc="counter-clockwise degrees about the mark's centre"),
    Param("font_size", (int, float), default=None, check=_positive,
          doc="text size in points; by default the text is sized to fill the box"),
    Param("font_color", str, default="#000000", check=_color, doc="text colour, #rrggbb"),
    Param("font_family", str, default="Helvetica",
          doc="Helvetica/Arial/sans-serif, Times/serif or Courier/monospace (embedded DejaVu equivalents); "
              "other names fall back to sans-serif"),
    doc="Add a text or image watermark to every page.",
    check=_one_source,
)
def watermark_pdf(
    doc: Document,
    *,
    text: str | None,
    image_url: str | None,
    image_file: str | bytes | os.PathLike[str] | None,
    width: float,
    height: float,
    opacity: float,
    position: str,
    rotation: float,
    font_size: float | None,
    font_color: str,
    font_family: str,
) -> None:
    style = MarkStyle(float(width), float(height), float(opacity), float(font_size or 0), font_color, _family(font_family))
    if text is not None:
        mark = _text_mark(text, style)
    elif image_url is not None:
        mark = _image_mark(("url", image_url), style)
    else:
        mark = _image_mark(_file_key(image_file), style)
    pdf = doc.pdf
    with _MARK_LOCK:  # the cached mark's Pdf is shared by every thread of this worker
        form = pdf.copy_foreign(mark.form)
    overlay = Overlay(pdf)
    for page in pdf.pages:
        placement = _placement(page, mark.width, mark.height, position, float(rotation))
        overlay.draw_form(page, form, placement, prefix="BpMark")


# -- building the mark (cached per worker) --------------------------------------------------


@dataclass(frozen=True)
class MarkStyle:
    box_width: float
    box_height: float
    opacity: float
    font_size: float  # 0: fit the box
    font_color: str
    family: str


@dataclass(frozen=True)
class Mark:
    """A built mark: `form` is a Form XObject of a cached one-page PDF, `width` x `height` its extent."""

    form: pikepdf.Object
    width: float
    height: float
    pdf: pikepdf.Pdf  # keeps `form`'s owner open for copy_foreign


@functools.lru_cache(maxsize=32)
def _text_mark(text: str, style: MarkStyle) -> Mark:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    font = _register_font(style.family)
    lines = text.splitlines() or [text]
    ascent, descent = (v / 1000 for v in pdfmetrics.getAscentDescent(font, 1000))
    unit_width = max(pdfmetrics.stringWidth(line, font, 1) for line in lines) or 1.0
    unit_height = (ascent - descent) + (len(lines) - 1) * LINE_SPACING
    size = style.font_size or min(style.box_width / unit_width, style.box_height / unit_height)
    width, height = unit_width * size, unit_height * size
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height), initialFontName=font, initialFontSize=size, pageCompression=1)
    c.setFillColor(style.font_color)  # before the opacity: setFillColor resets the fill alpha
    _set_opacity(c, style.opacity)
    c.setFont(font, size)
    for number, line in enumerate(lines):
        baseline = height - ascent * size - number * LINE_SPACING * size
        c.drawCentredString(width / 2, baseline, line)
    c.showPage()
    c.save()
    return _as_mark(buf.getvalue(), width, height)


@functools.lru_cache(maxsize=16)
def _image_mark(key: tuple[str, Any], style: MarkStyle) -> Mark:
    data = _load_image(key)
    if data.lstrip()[:5] == b"%PDF-":
        return _pdf_page_mark(data, style)
    from PIL import Image, UnidentifiedImageError
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        reader = ImageReader(io.BytesIO(data))
        pixels_w, pixels_h = reader.getSize()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError(f"watermark_pdf: the watermark image is not a readable PNG/JPEG/TIFF: {exc}") from None
    scale = min(style.box_width / pixels_w, style.box_height / pixels_h)
    width, height = pixels_w * scale, pixels_h * scale
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height), pageCompression=1)
    _set_opacity(c, style.opacity)
    c.drawImage(reader, 0, 0, width, height, mask="auto")
    c.showPage()
    c.save()
    return _as_mark(buf.getvalue(), width, height)


def _pdf_page_mark(data: bytes, style: MarkStyle) -> Mark:
    """The first page of a PDF, fitted into the box, as the mark."""
    try:
        source = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise ValidationError(f"watermark_pdf: the watermark PDF cannot be read: {exc}") from None
    with source:
        page = source.pages[0]
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        scale = min(style.box_width / (x1 - x0), style.box_height / (y1 - y0))
        width, height = (x1 - x0) * scale, (y1 - y0) * scale
        mark = pikepdf.new()
        mark.add_blank_page(page_size=(width, height))
        target = mark.pages[0]
        name = target.add_resource(mark.copy_foreign(page.as_form_xobject()), pikepdf.Name.XObject, prefix="Src")
        prefix = b""
        if style.opacity < 1:
            state = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=style.opacity, CA=style.opacity)
            prefix = str(target.add_resource(state, pikepdf.Name.ExtGState, prefix="Op")).encode() + b" gs "
        cm = f"{scale:.6f} 0 0 {scale:.6f} {-x0 * scale:.4f} {-y0 * scale:.4f} cm ".encode()
        target.obj.Contents = mark.make_stream(b"q " + prefix + cm + str(name).encode() + b" Do Q\n")
        buf = io.BytesIO()
        mark.save(buf)
    return _as_mark(buf.getvalue(), width, height)


def _as_mark(pdf_bytes: bytes, width: float, height: float) -> Mark:
    # reportlab wraps streams (the embedded font) in ASCII85 over Flate. qpdf strips such
    # text encodings when it writes, so each document the mark is copied into would
    # decode and recompress the font on save (1.4 ms of a 4.5 ms chain): do it once, here.
    plain_flate = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as made:
        made.save(plain_flate)
    pdf = pikepdf.open(plain_flate)
    form = pdf.make_indirect(pdf.pages[0].as_form_xobject())
    return Mark(form=form, width=width, height=height, pdf=pdf)


def _set_opacity(c: Any, opacity: float) -> None:
    """Opacity through an ExtGState (/ca, /CA); none at all when opaque (PDF/A-1 allows no /ca < 1)."""
    if opacity < 1:
        c.setFillAlpha(opacity)
        c.setStrokeAlpha(opacity)


def _family(font_family: str) -> str:
    return _FAMILY_ALIASES.get(font_family.strip().lower(), "sans")


@functools.cache
def _register_font(family: str) -> str:
    """Register the embedded TrueType font for `family` with reportlab; returns its name."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    dejavu, vera = _FAMILIES[family]
    path = _DEJAVU / dejavu
    if not path.is_file():
        path = Path(reportlab.__file__).parent / "fonts" / vera
    name = f"BatchprocMark-{family}"
    pdfmetrics.registerFont(TTFont(name, str(path)))
    return name


def _file_key(value: str | bytes | bytearray | os.PathLike[str]) -> tuple[str, Any]:
    """A hashable cache key for an image given as a path or bytes (a changed file is reread)."""
    if isinstance(value, (bytes, bytearray)):
        return ("bytes", bytes(value))
    path = Path(os.fspath(value))
    try:
        stat = path.stat()
    except OSError:
        raise InputNotFoundError(f"watermark_pdf: the watermark image_file {path} does not exist") from None
    return ("path", (str(path.resolve()), stat.st_size, stat.st_mtime_ns))


def _load_image(key: tuple[str, Any]) -> bytes:
    kind, value = key
    if kind == "bytes":
        return value
    if kind == "path":
        try:
            return Path(value[0]).read_bytes()
        except OSError as exc:
            raise InputNotFoundError(f"watermark_pdf: cannot read the watermark image_file: {exc}") from None
    return _fetch(value)


def _fetch(url: str) -> bytes:
    import requests

    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_S)
    except requests.RequestException as exc:
        raise NetworkError(f"watermark_pdf: could not fetch the watermark image {url}: {exc}") from None
    if response.status_code != 200:
        raise ValidationError(f"watermark_pdf: fetching the watermark image {url} answered HTTP {response.status_code}")
    return response.content


# -- placing the mark -----------------------------------------------------------------------


def _placement(page: pikepdf.Page, width: float, height: float, position: str, rotation: float) -> Matrix:
    """User-space matrix drawing a `width` x `height` mark at `position`, turned by `rotation`."""
    view_w, view_h = view_size(page)
    angle = math.radians(rotation)
    cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
    extent_w, extent_h = width * cos + height * sin, width * sin + height * cos
    vertical, _, horizontal = position.partition("-") if position != "center" else ("center", "", "center")
    centre_x = {"left": extent_w / 2, "center": view_w / 2, "right": view_w - extent_w / 2}[horizontal]
    centre_y = {"bottom": extent_h / 2, "center": view_h / 2, "top": view_h - extent_h / 2}[vertical]
    # Row vectors: `a @ b` applies a first. Centre the mark on the origin, turn it, move it.
    to_origin = Matrix(1, 0, 0, 1, -width / 2, -height / 2)
    to_place = Matrix(1, 0, 0, 1, centre_x, centre_y)
    return to_origin @ Matrix().rotated(rotation) @ to_place @ view_to_user(page)
