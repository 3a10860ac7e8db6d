"""Text extraction: the text layer of each page, as plain text or as DWS json-content."""

from __future__ import annotations

import json

from ..engines.base import Artifact
from ..engines.local.document import Document
from .checks import page_range, resolve_range
from .pdfium import open_pdfium
from .registry import Param, operation

PAGE_SEPARATOR = "\f"
"""Between pages in the plain-text output (form feed, as pdftotext writes)."""


@operation(
    "extract_text",
    Param("pages", dict, default=None, check=page_range,
          doc='a page range {"start": s, "end": e} (inclusive, negatives from the end); every page when omitted'),
    Param("output", str, default="text", choices=("text", "json"),
          doc='"text": one .txt file, pages separated by form feeds; '
              '"json": {"pages": [{"pageIndex": i, "plainText": ...}]} like DWS json-content'),
    doc="Extract the text layer of the pages (no OCR: run ocr_pdf first for scans).",
    kind="output",
)
def extract_text(doc: Document, *, pages: dict | None, output: str) -> list[Artifact]:
    with open_pdfium(doc) as pdf:
        texts = []
        for index in resolve_range(pages, len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append((index, textpage.get_text_range()))
            textpage.close()
            page.close()
    if output == "json":
        target = doc.new_path(".json")
        body = {"pages": [{"pageIndex": i, "plainText": text} for i, text in texts]}
        target.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        return [Artifact(target, ".json")]
    target = doc.new_path(".txt")
    target.write_text(PAGE_SEPARATOR.join(text for _, text in texts), encoding="utf-8")
    return [Artifact(target, ".txt")]
