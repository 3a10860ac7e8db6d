"""Small reusable parameter checks and page-index arithmetic for operations.

Param checks return a plain-words problem or None (see registry.Param.check).
Page helpers raise PageRangeError when an index falls outside the document.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import PageRangeError


def int_list(value: Any) -> str | None:
    """A non-empty list of integers."""
    if not value:
        return "must be a non-empty list of integers"
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return "must contain only integers"
    return None


def file_value(value: Any) -> str | None:
    """A file given as a path, bytes, or an http(s) URL string."""
    if isinstance(value, (bytes, bytearray, os.PathLike)):
        return None
    if isinstance(value, str) and value:
        return None
    return "must be a path, bytes, or a URL"


def resolve_page(index: int, page_count: int, *, what: str = "page index") -> int:
    """A 0-based page index, negative counting from the end (-1 = last), made absolute."""
    absolute = index + page_count if index < 0 else index
    if not 0 <= absolute < page_count:
        raise PageRangeError(f"{what} {index} is out of range in a document with {page_count} page(s)")
    return absolute


def resolve_pages(indexes: list[int] | None, page_count: int) -> list[int]:
    """Absolute page indexes for `indexes` (None = every page), in the given order."""
    if indexes is None:
        return list(range(page_count))
    return [resolve_page(i, page_count) for i in indexes]


def page_range(value: Any) -> str | None:
    """A DWS PageRange: {"start": int = 0, "end": int = -1}, inclusive, negatives from the end."""
    if not isinstance(value, dict):
        return 'must be an object like {"start": 0, "end": -1}'
    unknown = set(value) - {"start", "end"}
    if unknown:
        return f"has unknown key(s) {sorted(unknown)}; a page range has only 'start' and 'end'"
    for key in ("start", "end"):
        if key in value and (not isinstance(value[key], int) or isinstance(value[key], bool)):
            return f"{key!r} must be an integer page index"
    return None


def page_range_list(value: Any) -> str | None:
    """A non-empty list of PageRanges."""
    if not value:
        return "must be a non-empty list of page ranges"
    for number, item in enumerate(value):
        problem = page_range(item)
        if problem:
            return f"item {number} {problem}"
    return None


def resolve_range(pages: dict[str, int] | None, page_count: int) -> range:
    """The absolute page indexes of a PageRange (None = every page), in order.

    A range whose start lies after its end is a PageRangeError, not an empty range.
    """
    if pages is None:
        return range(page_count)
    start = resolve_page(pages.get("start", 0), page_count, what="range start")
    end = resolve_page(pages.get("end", -1), page_count, what="range end")
    if start > end:
        raise PageRangeError(
            f"page range {pages} is empty: its start (page {start}) comes after its end (page {end})"
        )
    return range(start, end + 1)
