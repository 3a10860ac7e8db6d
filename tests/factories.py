"""Build test documents at run time (no binary fixtures in the repository).

Shared by every test module. Area-specific builders live in `factories_<area>.py`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas


def text_pdf(path: Path | None = None, *, pages: int = 3, text: str = "Quarterly report") -> bytes:
    """A born-digital PDF: page n (1-based) shows "<text> page <n>" in Helvetica."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 14)
        c.drawString(72, 720, f"{text} page {n}")
        c.drawString(72, 690, "The quick brown fox jumps over the lazy dog.")
        c.showPage()
    c.save()
    return delivered(buf.getvalue(), path)


def delivered(data: bytes | pikepdf.Pdf, path: Path | None = None, **save_options) -> bytes:
    """The bytes of `data` (a Pdf is saved first), also written to `path` when given."""
    if isinstance(data, pikepdf.Pdf):
        out = io.BytesIO()
        data.save(out, **save_options)
        data = out.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def encrypted_pdf(path: Path | None = None, *, password: str = "secret", pages: int = 2) -> bytes:
    """A text PDF that needs `password` to open (AES-256)."""
    src = pikepdf.open(io.BytesIO(text_pdf(pages=pages)))
    return delivered(src, path, encryption=pikepdf.Encryption(user=password, owner=password + "-owner", R=6))


def truncated_pdf(path: Path | None = None) -> bytes:
    """The first third of a PDF: no xref, no trailer, content cut mid-stream."""
    data = text_pdf(pages=3)
    return delivered(data[: len(data) // 3], path)


def page_texts(pdf_bytes_or_path: bytes | Path) -> list[str]:
    """The extractable text of every page (pypdfium2), for assertions."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_bytes_or_path)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()
