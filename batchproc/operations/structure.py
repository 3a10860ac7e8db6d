"""Page structure: split into parts, duplicate or delete pages, insert blank pages.

Split parts are separate outputs: in a batch the engine names them with the suffixes
"_1", "_2", ... in the order of `page_ranges` (see LocalEngine.run).
"""

from __future__ import annotations

import pikepdf

from ..engines.local.document import Document
from ..errors import PageRangeError
from .checks import int_list, page_range_list, resolve_pages, resolve_range
from .registry import Param, operation

MAX_SPLIT_RANGES = 50
"""As in the DWS client: at most 50 parts from one split."""

PAGE_SIZES_MM: dict[str, tuple[float, float]] = {
    "A0": (841, 1189), "A1": (594, 841), "A2": (420, 594), "A3": (297, 420), "A4": (210, 297),
    "A5": (148, 210), "A6": (105, 148), "A7": (74, 105), "A8": (52, 74),
    "Letter": (215.9, 279.4), "Legal": (215.9, 355.6),
}
POINTS_PER_MM = 72 / 25.4


def _split_params(params: dict) -> str | None:
    if params["page_ranges"] is not None and params["pages_per_file"] is not None:
        return "give page_ranges or pages_per_file, not both"
    if params["page_ranges"] is not None and len(params["page_ranges"]) > MAX_SPLIT_RANGES:
        return f"at most {MAX_SPLIT_RANGES} page ranges"
    return None


def _at_least_one(value: int) -> str | None:
    return None if value >= 1 else "must be at least 1"


@operation(
    "split_pdf",
    Param("page_ranges", list, default=None, check=page_range_list,
          doc='[{"start": s, "end": e}, ...]: one output per range (inclusive; end defaults to -1, '
              'the last page; negatives count from the end). Default: [{"start": 0, "end": 0}], '
              "the first page, as in the DWS client"),
    Param("pages_per_file", int, default=None, check=_at_least_one,
          doc="instead of page_ranges: cut the whole document into parts of this many pages "
              "(1 = one file per page)"),
    doc="Split the document into several PDFs, one per page range (outputs get _1, _2, ...).",
    kind="split",
    check=_split_params,
)
def split_pdf(doc: Document, *, page_ranges: list[dict] | None, pages_per_file: int | None) -> list[Document]:
    page_count = len(doc.pdf.pages)
    if pages_per_file is not None:
        parts = [range(s, min(s + pages_per_file, page_count)) for s in range(0, page_count, pages_per_file)]
    else:
        parts = [resolve_range(r, page_count) for r in page_ranges or [{"start": 0, "end": 0}]]
    source = doc.pdf
    documents = []
    for indexes in parts:
        pdf = pikepdf.new()
        pdf.pages.extend(source.pages[i] for i in indexes)
        if "/Info" in source.trailer:
            pdf.docinfo = pdf.copy_foreign(source.docinfo)
        part = doc.derive(pdf)
        part.file()  # write it out now: its streams are copied from `source`, which is closed next
        documents.append(part)
    doc.close()
    return documents


@operation(
    "duplicate_pdf_pages",
    Param("page_indexes", list, check=int_list,
          doc="the pages of the result, in order, as indexes into the input (negatives from the end); "
              "an index may repeat, e.g. [0, 0, 1]"),
    doc="Build a document from the input's pages in the given order, repeating pages as asked.",
)
def duplicate_pdf_pages(doc: Document, *, page_indexes: list[int]) -> None:
    pdf = doc.pdf
    order = resolve_pages(page_indexes, len(pdf.pages))
    originals = list(pdf.pages)
    # pikepdf adds a page object that is already in the tree as a shallow copy.
    result = [originals[i] for i in order]
    _set_pages(pdf, result)


@operation(
    "delete_pdf_pages",
    Param("page_indexes", list, check=int_list,
          doc="pages to delete (0-based, negatives count from the end); repeats are ignored"),
    doc="Delete pages. Deleting every page is an error: a PDF needs at least one.",
)
def delete_pdf_pages(doc: Document, *, page_indexes: list[int]) -> None:
    pages = doc.pdf.pages
    doomed = set(resolve_pages(page_indexes, len(pages)))
    if len(doomed) == len(pages):
        raise PageRangeError(f"delete_pdf_pages would delete all {len(pages)} page(s); a PDF needs at least one")
    for index in sorted(doomed, reverse=True):
        del pages[index]


def _page_size(value) -> str | None:
    if isinstance(value, str):
        return None if value in PAGE_SIZES_MM else f"must be one of {', '.join(PAGE_SIZES_MM)} or {{width, height}} in mm"
    if set(value) != {"width", "height"} or not all(
        isinstance(value[k], (int, float)) and not isinstance(value[k], bool) and value[k] >= 1 for k in value
    ):
        return "a custom size must be {'width': w, 'height': h} in millimetres, each at least 1"
    return None


def _page_count(value: int) -> str | None:
    return None if 1 <= value <= 100 else "must be between 1 and 100"


def _insert_index(value: int) -> str | None:
    return None if value >= -1 else "must be -1 (append) or a page index (0 = before the first page)"


@operation(
    "add_page",
    Param("insert_index", int, check=_insert_index,
          doc="where the new pages go: 0 = before the first page, k = before page k, "
              "-1 or the page count = after the last page"),
    Param("page_count", int, default=1, check=_page_count, doc="how many blank pages (1 to 100)"),
    Param("page_size", (str, dict), default="A4", check=_page_size,
          doc="A0 to A8, Letter, Legal, or {'width': w, 'height': h} in millimetres"),
    Param("orientation", str, default="portrait", choices=("portrait", "landscape")),
    doc="Insert blank pages.",
)
def add_page(doc: Document, *, insert_index: int, page_count: int, page_size: str | dict, orientation: str) -> None:
    pdf = doc.pdf
    existing = len(pdf.pages)
    if insert_index > existing:
        raise PageRangeError(f"insert_index {insert_index} is past the end of a document with {existing} page(s)")
    width_mm, height_mm = PAGE_SIZES_MM[page_size] if isinstance(page_size, str) else (
        page_size["width"], page_size["height"])
    short, long = sorted((width_mm * POINTS_PER_MM, height_mm * POINTS_PER_MM))
    width, height = (long, short) if orientation == "landscape" else (short, long)
    at = existing if insert_index == -1 else insert_index
    for offset in range(page_count):
        blank = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, round(width, 2), round(height, 2)]),
            Resources=pikepdf.Dictionary(),
            Contents=pdf.make_stream(b""),
        )
        pdf.pages.insert(at + offset, pikepdf.Page(pdf.make_indirect(blank)))


def _set_pages(pdf: pikepdf.Pdf, pages: list[pikepdf.Page]) -> None:
    """Make `pages` (objects of `pdf`) the page tree, in this order."""
    while len(pdf.pages):
        del pdf.pages[-1]
    pdf.pages.extend(pages)
