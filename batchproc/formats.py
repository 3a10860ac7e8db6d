"""Recognise what a file is from its first bytes: the name and the declared type lie.

`sniff(head, name)` returns a `Format` (kind "pdf", "image", "office" or "html") or raises
NotAPDFError naming what was found. Both engines use it: the local one to decide on an
implicit conversion, the remote one to label multipart parts.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from .errors import NotAPDFError

OFFICE_EXTENSIONS = {
    ".docx", ".doc", ".odt", ".rtf", ".txt",
    ".xlsx", ".xls", ".ods", ".csv",
    ".pptx", ".ppt", ".odp",
}
IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"BM": "image/bmp",
}
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


@dataclass(frozen=True)
class Format:
    kind: str  # "pdf" | "image" | "office"
    mime: str


PDF = Format("pdf", "application/pdf")


def sniff(head: bytes, name: str, *, data: bytes | None = None, path: Path | None = None) -> Format:
    """What the file is. `head` is its first 2 KiB; `data`/`path` are read for zip layouts.

    Raises NotAPDFError without a source: the engine names the file.
    """
    if not head:
        raise NotAPDFError("the file is empty (0 bytes)")
    if b"%PDF-" in head[:1024]:
        return PDF
    for magic, mime in IMAGE_MAGIC.items():
        if head.startswith(magic):
            return Format("image", mime)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Format("image", "image/webp")
    ext = Path(name).suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data, path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Format("office", "application/x-ole-storage")
    if head.lstrip().startswith(b"{\\rtf"):
        return Format("office", "application/rtf")
    text = head.lstrip()[:256].lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        raise NotAPDFError(f"named {ext or 'without extension'} but contains an HTML page, not a PDF")
    if ext in (".txt", ".csv") and _looks_textual(head):
        return Format("office", "text/plain")
    found = "text" if _looks_textual(head) else "binary data"
    raise NotAPDFError(f"not a PDF or a convertible document: the content is {found} of unknown format")


def _sniff_zip(data: bytes | None, path: Path | None) -> Format:
    try:
        with zipfile.ZipFile(BytesIO(data) if data is not None else path) as zf:  # type: ignore[arg-type]
            names = zf.namelist()
            if "mimetype" in names:
                with zf.open("mimetype") as entry:  # at most 200 bytes: an entry may be a bomb
                    mime = entry.read(200).decode("ascii", "replace").strip("\x00 \t\r\n")
                if mime.startswith("application/vnd.oasis.opendocument"):
                    return Format("office", mime)
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise NotAPDFError(f"a damaged zip archive, not a document: {exc}") from None
    for prefix, mime in OOXML_TYPES.items():
        if any(n.startswith(prefix) for n in names):
            return Format("office", mime)
    raise NotAPDFError("a zip archive, not a PDF or an Office document")


def _looks_textual(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head
