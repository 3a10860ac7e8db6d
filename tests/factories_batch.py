"""Batches of test documents for the batch runner's tests."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

from tests.factories import encrypted_pdf, text_pdf, truncated_pdf


def pdf_batch(folder: Path, count: int, *, pages: int = 1, prefix: str = "doc") -> list[Path]:
    """`count` small text PDFs named <prefix><n>.pdf (one PDF built, copied `count` times)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = text_pdf(pages=pages)
    paths = []
    for n in range(count):
        path = folder / f"{prefix}{n}.pdf"
        path.write_bytes(data)
        paths.append(path)
    return paths


def bad_inputs(folder: Path) -> dict[str, Path]:
    """One input of each kind that must fail alone: corrupt, zero-byte, not a PDF, locked."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "corrupt": folder / "corrupt.pdf",
        "empty": folder / "empty.pdf",
        "html": folder / "page.pdf",
        "locked": folder / "locked.pdf",
    }
    truncated_pdf(made["corrupt"])
    made["empty"].write_bytes(b"")
    made["html"].write_bytes(b"<html><body>not a pdf</body></html>")
    encrypted_pdf(made["locked"], password="pw")
    return made


def rotations(pdf: bytes | Path) -> list[int]:
    """The /Rotate of every page."""
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf
    with pikepdf.open(source) as doc:
        return [int(page.obj.get("/Rotate", 0)) for page in doc.pages]


ROTATE_90 = [{"method": "rotate_pages", "params": {"degrees": 90}}]
