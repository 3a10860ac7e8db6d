"""Putting finished outputs in place atomically: never a half-written file under a final name."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from .errors import OutputWriteError


def commit(produced: Path, final: Path, *, source: str | None = None) -> Path:
    """Move `produced` to `final` atomically (rename; copy to a temporary name beside
    `final` first when they are on different filesystems). Returns `final`."""
    try:
        try:
            os.replace(produced, final)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
            try:
                with os.fdopen(fd, "wb") as out, produced.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, final)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise OutputWriteError(f"could not write {final}: {exc.strerror or exc}", source=source) from None
    return final
