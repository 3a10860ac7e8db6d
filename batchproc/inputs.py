"""Inputs as the engines see them: a named path or a named blob of bytes.

Users pass paths (`str`/`PathLike`), `bytes`, or binary file objects. `Source.from_user`
turns each into a `Source`: small, picklable, and carrying a `name` (for output names and
error messages) and an `identity` (for the resume journal: a changed file is redone).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Union

from .errors import InputNotFoundError, ValidationError

InputFile = Union[str, "os.PathLike[str]", bytes, bytearray, IO[bytes]]
"""What users may pass as one input."""


@dataclass(frozen=True)
class Source:
    """One input document. Exactly one of `path` and `data` is set."""

    name: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_user(cls, value: Any, *, fallback_name: str = "document.pdf") -> "Source":
        """Wrap one user input. Paths are not opened here: a missing file fails alone, later."""
        if isinstance(value, Source):
            return value
        if isinstance(value, (str, os.PathLike)):
            path = Path(os.fspath(value))
            return cls(name=path.name or fallback_name, path=path)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cls(name=fallback_name, data=bytes(value))
        if hasattr(value, "read"):
            data = value.read()
            if not isinstance(data, (bytes, bytearray)):
                raise ValidationError(f"file object {value!r} must be opened in binary mode")
            raw_name = getattr(value, "name", None)
            name = Path(raw_name).name if isinstance(raw_name, str) and raw_name else fallback_name
            return cls(name=name, data=bytes(data))
        raise ValidationError(
            f"unsupported input {type(value).__name__}: give a path, bytes, or a binary file object"
        )

    @property
    def label(self) -> str:
        """How errors and reports name this input."""
        return str(self.path) if self.path is not None else f"<bytes {self.name}>"

    @property
    def stem(self) -> str:
        return Path(self.name).stem

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix

    def identity(self) -> str:
        """Stable identity of the input's content for the resume journal.

        Paths: the file's device and inode, size and mtime, from one stat (a changed file
        gets a new identity; any path to the same file, through links or "..", the same).
        Bytes: a hash of the content.
        """
        if self.path is not None:
            try:
                st = self.path.stat()
            except (OSError, ValueError):  # ValueError: a NUL byte in the name
                return f"path:{self.path.absolute()}:missing"
            return f"file:{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
        assert self.data is not None
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        return self.checked_path().read_bytes()

    def checked_path(self) -> Path:
        """The path, made absolute (so a name like "-x.pdf" can never pass for an option
        in an external program's argv), or InputNotFoundError if it is missing, a folder,
        not a regular file (a FIFO or a device would block or never end), or unreadable."""
        assert self.path is not None
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            raise InputNotFoundError("file does not exist", source=self.label) from None
        except OSError as exc:
            raise InputNotFoundError(f"cannot be read: {exc.strerror or exc}", source=self.label) from None
        except ValueError:
            raise InputNotFoundError("is not a valid path: it contains a NUL byte", source=self.label) from None
        if stat.S_ISDIR(mode):
            raise InputNotFoundError("is a folder, not a file", source=self.label)
        if not stat.S_ISREG(mode):
            raise InputNotFoundError("is not a regular file (a pipe, socket or device)", source=self.label)
        if not os.access(self.path, os.R_OK):
            raise InputNotFoundError("permission denied: the file cannot be read", source=self.label)
        return self.path.absolute()

    def head(self, size: int = 2048) -> bytes:
        """The first bytes, for sniffing the format."""
        if self.data is not None:
            return self.data[:size]
        try:
            with self.checked_path().open("rb") as fh:
                return fh.read(size)
        except OSError as exc:  # permission denied despite os.access (root squash, ACLs, races)
            raise InputNotFoundError(f"cannot be read: {exc.strerror or exc}", source=self.label) from None
