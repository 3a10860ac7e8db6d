"""Loading annotation data files (Instant JSON, XFDF) given as a step parameter.

A value is a path (str or PathLike), the file's bytes, or (Instant JSON only) the decoded
JSON object. URLs are refused: the local engine never goes to the network, so download
the file first (the dws engine passes URLs to the server).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import UnsupportedOperationError, ValidationError


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def source_problem(value: Any, *, text_prefix: str) -> str | None:
    """Param check: a readable path, bytes, a URL (refused later), or inline text starting
    with `text_prefix` ("{" for JSON, "<" for XML)."""
    if isinstance(value, (bytes, bytearray)):
        return None if value else "is empty"
    if isinstance(value, str) and (is_url(value) or value.lstrip().startswith(text_prefix)):
        return None
    if isinstance(value, (str, os.PathLike)):
        path = Path(os.fspath(value))
        if not path.is_file():
            return f"no such file: {path}"
        if not os.access(path, os.R_OK):
            return f"cannot read {path}"
        return None
    return "must be a path, bytes, or the document's text"


def read_source(value: Any, *, method: str, text_prefix: str) -> bytes:
    """The data file's bytes."""
    if is_url(value):
        raise UnsupportedOperationError(
            f"{method}: the local engine does not download URLs ({value}); pass the file's path or bytes"
        )
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and value.lstrip().startswith(text_prefix):
        return value.encode("utf-8")
    try:
        return Path(os.fspath(value)).read_bytes()
    except OSError as exc:
        raise ValidationError(f"{method}: cannot read {value}: {exc.strerror}") from None
