"""Drawing a Form XObject on top of a page, upright and where the reader sees it.

A page is seen through its CropBox turned by /Rotate. Marks and text layers are laid out
in that *view* (origin at the bottom-left of what the reader sees, in points);
`view_to_user` maps view coordinates to the page's own coordinates.

Appending is safe because the engine seals damaged page content when it opens an input
(guards.inspect_input): a stream ending inside an unterminated array would otherwise
swallow whatever is drawn after it.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Matrix, Name


def view_size(page: pikepdf.Page) -> tuple[float, float]:
    """Width and height (points) of the page as the reader sees it."""
    x0, y0, x1, y1 = _crop_box(page)
    if page_rotation(page) in (90, 270):
        return abs(y1 - y0), abs(x1 - x0)
    return abs(x1 - x0), abs(y1 - y0)


def view_to_user(page: pikepdf.Page) -> Matrix:
    """The matrix mapping view coordinates to the page's user space (see module docstring)."""
    x0, y0, x1, y1 = _crop_box(page)
    rotation = page_rotation(page)
    if rotation == 90:
        return Matrix(0, 1, -1, 0, x1, y0)
    if rotation == 180:
        return Matrix(-1, 0, 0, -1, x1, y1)
    if rotation == 270:
        return Matrix(0, -1, 1, 0, x0, y1)
    return Matrix(1, 0, 0, 1, x0, y0)


class Overlay:
    """Draws over the pages of one Pdf, after each page's own content.

    The page's content is wrapped in q/Q first, so a transformation or colour it leaves
    set cannot move or tint what is drawn over it. The small streams that do this are
    shared by every page that needs the same bytes (pages may share content streams, and
    no step writes a page's content in place): qpdf compresses each new stream on save,
    at a fixed cost of its own (~40 us). For the same reason a form is named `/{prefix}0`
    where that name is free, not randomly as pikepdf names it: same-size pages then draw
    it with the same bytes.
    """

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self._streams: dict[bytes, pikepdf.Stream] = {}

    def draw_form(self, page: pikepdf.Page, form: pikepdf.Object, matrix: Matrix, *, prefix: str) -> None:
        """Draw `form` (a Form XObject of this Pdf) over `page` with `matrix` (user space)."""
        name = _form_name(page, form, prefix)
        self.append(page, f"q {_matrix_operands(matrix)} cm {name} Do Q\n".encode("ascii"))

    def append(self, page: pikepdf.Page, operators: bytes) -> None:
        """Run content `operators` over `page`, in the page's initial graphics state."""
        page.contents_add(self._stream(b"q\n"), prepend=True)
        page.contents_add(self._stream(b"Q\n" + operators), prepend=False)

    def _stream(self, data: bytes) -> pikepdf.Stream:
        stream = self._streams.get(data)
        if stream is None:
            stream = self._streams[data] = self.pdf.make_stream(data)
        return stream


def _form_name(page: pikepdf.Page, form: pikepdf.Object, prefix: str) -> Name:
    """The name `form` has, or now gets, among `page`'s resources: the first `/{prefix}{n}`
    that is `form` already or that no resource of any kind uses."""
    resources = page.resources
    xobjects = resources.get(Name.XObject)
    taken = {key for kind in resources.values() if isinstance(kind, pikepdf.Dictionary) for key in kind.keys()}
    number = 0
    while True:
        name = Name(f"/{prefix}{number}")
        if name not in taken:
            return page.add_resource(form, Name.XObject, name=name)
        found = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
        if isinstance(found, pikepdf.Stream) and found.objgen == form.objgen:  # pages sharing resources
            return name
        number += 1


def _matrix_operands(matrix: Matrix) -> str:
    return " ".join(_number(v) for v in (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f))


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _crop_box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def page_rotation(page: pikepdf.Page) -> int:
    """The page's /Rotate as 0, 90, 180 or 270 (clockwise); 0 when missing or invalid."""
    try:
        rotation = int(page.obj.get(Name.Rotate, 0)) % 360
    except (TypeError, ValueError):
        return 0
    return rotation if rotation in (0, 90, 180, 270) else 0
