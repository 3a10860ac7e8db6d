"""merge_pdfs: append other documents after the current one, in order.

As a pipeline step, `{"method": "merge_pdfs", "params": {"input_files": [...]}}` appends
each file (a path or bytes; Office documents and images are converted first) after the
document the pipeline runs on. `Client.merge_pdfs(input_files)` is the DWS-style form:
the first file is the document, the rest are appended.

Pages are copied with their annotations; links between pages of one appended document
keep pointing at the copied pages (qpdf copies each foreign object once), and each
appended document's bookmarks are added after the existing ones, pointing at its pages.
"""

from __future__ import annotations

import os
from typing import Any

import pikepdf

from ..engines.local.document import Document
from ..engines.local.engine import prepare_input
from ..inputs import Source
from .checks import file_value
from .registry import Param, operation


def _file_list(value: Any) -> str | None:
    if not value:
        return "must be a non-empty list of files (paths or bytes)"
    for item in value:
        problem = file_value(item)
        if problem:
            return f"every item {problem}"
    return None


@operation(
    "merge_pdfs",
    Param("input_files", list, check=_file_list, names_files=True,
          doc="documents (paths or bytes; Office files and images are converted) appended in order"),
    doc="Append the given documents after this one, in order.",
)
def merge_pdfs(doc: Document, *, input_files: list[str | bytes | os.PathLike[str]]) -> None:
    pdf = doc.pdf
    for number, item in enumerate(input_files, start=1):
        source = Source.from_user(item, fallback_name=f"merged-{number}.pdf")
        folder = doc.workdir / f"merge-{number}"
        folder.mkdir(exist_ok=True)
        # A Document, so the appended file gets the same inspection as any input.
        appended = Document(prepare_input(source, folder), folder, label=source.label, password=doc.password)
        try:
            first_page = len(pdf.pages)
            pdf.pages.extend(appended.pdf.pages)
            _append_outline(pdf, appended.pdf, first_page)
        finally:
            appended.close()


def _append_outline(pdf: pikepdf.Pdf, other: pikepdf.Pdf, first_page: int) -> None:
    """Add `other`'s bookmarks after `pdf`'s, pointing at its pages now at `first_page`+."""
    if pikepdf.Name.Outlines not in other.Root:
        return
    page_numbers = {page.objgen: number for number, page in enumerate(other.pages)}
    with other.open_outline() as source, pdf.open_outline() as target:
        target.root.extend(_copy_items(source.root, page_numbers, first_page, other))


def _copy_items(items, page_numbers, first_page, other) -> list[pikepdf.OutlineItem]:
    copies = []
    for item in items:
        number = _target_page(item, page_numbers, other)
        copy = pikepdf.OutlineItem(
            item.title, first_page + number if number is not None else None
        )
        copy.is_closed = item.is_closed
        copy.children.extend(_copy_items(item.children, page_numbers, first_page, other))
        copies.append(copy)
    return copies


def _target_page(item: pikepdf.OutlineItem, page_numbers: dict, other: pikepdf.Pdf) -> int | None:
    destination = item.destination
    if destination is None and item.action is not None:
        destination = item.action.get("/D")
    if isinstance(destination, (pikepdf.String, pikepdf.Name, str)):
        names = other.Root.get("/Names")
        try:
            destination = pikepdf.NameTree(names.Dests)[str(destination)] if names is not None and "/Dests" in names else None
        except KeyError:
            destination = None
        if isinstance(destination, pikepdf.Dictionary):
            destination = destination.get("/D")
    if isinstance(destination, pikepdf.Array) and len(destination) and isinstance(destination[0], pikepdf.Dictionary):
        return page_numbers.get(destination[0].objgen)
    return None
