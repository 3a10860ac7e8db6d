"""Document-level labels: title/author metadata and page labels."""

from __future__ import annotations

from typing import Any

import pikepdf

from ..engines.local.document import Document
from ..errors import PageRangeError
from .checks import page_range, resolve_pages, resolve_range
from .registry import Param, operation


def _title_or_author(params: dict) -> str | None:
    if params["title"] is None and params["author"] is None:
        return "give a title, an author, or both"
    return None


@operation(
    "set_pdf_metadata",
    Param("title", str, default=None, doc="the document title; unchanged when omitted"),
    Param("author", str, default=None, doc="the author; unchanged when omitted"),
    doc="Set the title and/or author, in both the document info and the XMP metadata.",
    check=_title_or_author,
)
def set_pdf_metadata(doc: Document, *, title: str | None, author: str | None) -> None:
    # XMP is the master copy; update_docinfo mirrors dc:title / dc:creator into /Info.
    with doc.pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        if title is not None:
            meta["dc:title"] = title
        if author is not None:
            meta["dc:creator"] = [author]


def _labels(value: Any) -> str | None:
    if not value:
        return "must be a non-empty list of {'pages': {'start': s, 'end': e}, 'label': '...'}"
    for number, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"pages", "label"}:
            return f"item {number} must be an object with exactly 'pages' and 'label'"
        if not isinstance(item["label"], str):
            return f"item {number}: 'label' must be a string"
        pages = item["pages"]
        if isinstance(pages, list):
            if not pages or not all(isinstance(i, int) and not isinstance(i, bool) for i in pages):
                return f"item {number}: 'pages' as a list must hold page indexes"
        else:
            problem = page_range(pages)
            if problem:
                return f"item {number}: 'pages' {problem}"
            if "start" not in pages:
                return f"item {number}: 'pages' needs a 'start'"
    return None


# A page's label as the /PageLabels number tree describes it: (style, prefix, number).
PageLabel = tuple[Any, Any, int]


@operation(
    "set_page_label",
    Param("labels", list, check=_labels,
          doc="[{'pages': {'start': s, 'end': e} or [i, j, ...], 'label': 'text'}]: every page named "
              "gets exactly that label (a literal string, no numbering); other pages keep theirs"),
    doc="Give pages literal labels (what viewers show as the page 'number').",
)
def set_page_label(doc: Document, *, labels: list[dict]) -> None:
    pdf = doc.pdf
    page_count = len(pdf.pages)
    current = _page_labels(pdf, page_count)
    for item in labels:
        pages = item["pages"]
        indexes = resolve_pages(pages, page_count) if isinstance(pages, list) else resolve_range(pages, page_count)
        for index in indexes:
            current[index] = (None, item["label"], 1)
    pdf.Root.PageLabels = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(_number_tree(current))))


def _page_labels(pdf: pikepdf.Pdf, page_count: int) -> list[PageLabel]:
    """Every page's current label; decimal page numbers (the viewers' default) where none is set."""
    labels: list[PageLabel] = [(pikepdf.Name.D, None, i + 1) for i in range(page_count)]
    if "/PageLabels" not in pdf.Root:
        return labels
    try:
        entries = sorted((int(k), v) for k, v in pikepdf.NumberTree(pdf.Root.PageLabels).items())
    except (pikepdf.PdfError, TypeError, ValueError) as exc:
        raise PageRangeError(f"the existing page labels are damaged: {exc}") from None
    for position, (first, entry) in enumerate(entries):
        last = entries[position + 1][0] if position + 1 < len(entries) else page_count
        for index in range(max(first, 0), min(last, page_count)):
            labels[index] = (entry.get("/S"), entry.get("/P"), int(entry.get("/St", 1)) + index - first)
    return labels


def _number_tree(labels: list[PageLabel]) -> list[Any]:
    """A flat /Nums array: one entry wherever the labelling does not simply continue."""
    nums: list[Any] = []
    previous: PageLabel | None = None
    for index, (style, prefix, number) in enumerate(labels):
        continues = (
            previous is not None
            and previous[0] == style
            and previous[1] == prefix
            and style is not None
            and number == previous[2] + 1
        )
        if not continues:
            entry = pikepdf.Dictionary()
            if style is not None:
                entry.S = style
                if number != 1:
                    entry.St = number
            if prefix is not None:
                entry.P = pikepdf.String(str(prefix)) if not isinstance(prefix, pikepdf.Object) else prefix
            nums += [index, entry]
        previous = (style, prefix, number)
    return nums
