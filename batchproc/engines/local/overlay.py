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


def draw_form(pdf: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Object, matrix: Matrix, *, prefix: str) -> None:
    """Draw `form` (a Form XObject of `pdf`) over `page` of `pdf` with `matrix` (user space).

    The page's own content is wrapped in q/Q first, so a transformation or colour it
    leaves set cannot move or tint what is drawn over it.
    """
    name = page.add_resource(form, Name.XObject, prefix=prefix)
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    operators = f"Q\nq {_matrix_operands(matrix)} cm {name} Do Q\n".encode("ascii")
    page.contents_add(pdf.make_stream(operators), prepend=False)


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
