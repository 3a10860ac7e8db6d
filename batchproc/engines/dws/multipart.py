"""A multipart/form-data body streamed from files, with its length known up front (so
it is sent with a Content-Length, never chunked, and never held in memory whole)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Union

from urllib3.fields import RequestField
from urllib3.filepost import choose_boundary

CHUNK_BYTES = 1 << 16

Value = Union[str, bytes, Path]
"""A field's content: text, bytes, or a file streamed from disk."""


class MultipartBody:
    """`fields` as (name, value, filename or None, content type or None), in order."""

    def __init__(self, fields: list[tuple[str, Value, str | None, str | None]]) -> None:
        self.boundary = choose_boundary()
        self._pieces: list[bytes | Path] = []
        for name, value, filename, content_type in fields:
            field = RequestField(name=name, data=b"", filename=filename)
            field.make_multipart(content_type=content_type)
            head = f"--{self.boundary}\r\n{field.render_headers()}"
            self._pieces += [head.encode("utf-8"), value.encode("utf-8") if isinstance(value, str) else value, b"\r\n"]
        self._pieces.append(f"--{self.boundary}--\r\n".encode("ascii"))
        self.length = sum(p.stat().st_size if isinstance(p, Path) else len(p) for p in self._pieces)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def chunks(self) -> Iterator[bytes]:
        """The body in blocks of about CHUNK_BYTES: small parts travel together (one
        send for a small upload), files are read a block at a time."""
        buffer = bytearray()
        for piece in self._pieces:
            if isinstance(piece, Path):
                with piece.open("rb") as source:
                    while block := source.read(CHUNK_BYTES):
                        buffer += block
                        if len(buffer) >= CHUNK_BYTES:
                            yield bytes(buffer)
                            buffer.clear()
            else:
                buffer += piece
        if buffer:
            yield bytes(buffer)
