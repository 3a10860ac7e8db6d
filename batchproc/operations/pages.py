"""Page-level edits: rotate, and (see the other functions here) page structure."""

from __future__ import annotations

from ..engines.local.document import Document
from .checks import int_list, resolve_pages
from .registry import Param, operation


@operation(
    "rotate_pages",
    Param("degrees", int, default=0, choices=(0, 90, 180, 270, -90, -180, -270),
          doc="clockwise rotation in degrees; negative values turn counter-clockwise"),
    Param("page_indexes", list, default=None, check=int_list,
          doc="0-based pages to rotate (negative counts from the end); all pages when omitted"),
    doc="Rotate pages clockwise by `degrees`, adding to any rotation they already have.",
)
def rotate_pages(doc: Document, *, degrees: int, page_indexes: list[int] | None) -> None:
    pages = doc.pdf.pages
    for index in resolve_pages(page_indexes, len(pages)):
        pages[index].rotate(degrees, relative=True)
