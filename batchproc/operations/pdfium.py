"""pypdfium2 access for the operations that render or read text: one lock, one pixel guard.

pdfium is not thread-safe, not even across different documents (ENGINE-NOTES.md), so every
use goes through `open_pdfium`, which holds a process-wide lock for as long as the
document is open. Rendering is where memory explodes: `render_scale` refuses (or lowers
the resolution of) a page whose bitmap would pass `MAX_RENDER_PIXELS`.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from ..errors import ResourceError

if TYPE_CHECKING:
    import pypdfium2

    from ..engines.local.document import Document

MAX_RENDER_PIXELS = 34_000_000
"""Largest bitmap rendered for one page (the DWS API's own limit, about 4960 x 7016)."""

_LOCK = threading.RLock()


@contextmanager
def open_pdfium(doc: "Document") -> Iterator["pypdfium2.PdfDocument"]:
    """The document's current state opened in pdfium, under the process-wide lock.

    Saves the open pikepdf document first (`doc.file()`); the next `doc.pdf` reopens it.
    """
    import pypdfium2

    path = doc.file()
    with _LOCK:
        pdf = pypdfium2.PdfDocument(path, password=doc.password)
        try:
            yield pdf
        finally:
            pdf.close()


def render_scale(width_pt: float, height_pt: float, scale: float, *, what: str, min_scale: float | None = None) -> float:
    """`scale` (pixels per point), or the largest smaller one that fits MAX_RENDER_PIXELS.

    Without `min_scale` a page that does not fit at `scale` is a ResourceError; with it,
    the scale is lowered, but never below `min_scale`.
    """
    pixels = width_pt * scale * height_pt * scale
    if pixels <= MAX_RENDER_PIXELS:
        return scale
    fitting = math.sqrt(MAX_RENDER_PIXELS / (width_pt * height_pt))
    if min_scale is not None and fitting >= min_scale:
        return fitting
    raise ResourceError(
        f"{what}: the page ({width_pt:.0f} x {height_pt:.0f} pt) would render to "
        f"{pixels / 1e6:.0f} million pixels, more than the limit of {MAX_RENDER_PIXELS / 1e6:.0f} million; "
        "ask for a lower resolution"
    )
