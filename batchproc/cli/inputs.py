"""The documents a command line names, enumerated lazily.

An INPUT is a file (taken as given), a folder (its documents: files with a PDF, Office or
image extension, hidden ones left out; subfolders only with `recursive`), or a glob
(quoted, so the shell leaves it to us; `**` crosses folders). Nothing is listed up front:
`iter_inputs` walks with os.scandir and yields paths one at a time, in the order the
file system returns them, so a folder of a million files starts at once and costs no
memory. The output folder is never walked into, so a run does not eat its own outputs.
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import ValidationError
from ..formats import OFFICE_EXTENSIONS

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp"}
DOCUMENT_EXTENSIONS = frozenset({".pdf", *OFFICE_EXTENSIONS, *IMAGE_EXTENSIONS})
_GLOB_MAGIC = re.compile(r"[*?[]")


def check_arguments(arguments: Iterable[str]) -> None:
    """Raise ValidationError for an INPUT that is neither an existing path nor a matching glob."""
    for argument in arguments:
        if os.path.lexists(argument):
            if not os.path.exists(argument):
                raise ValidationError(f"input {argument}: a broken symbolic link")
            continue
        if not _GLOB_MAGIC.search(argument):
            raise ValidationError(f"input {argument}: no such file or folder")
        if next(glob.iglob(argument, recursive=True), None) is None:
            raise ValidationError(f"input {argument}: the pattern matches no files")


def iter_inputs(arguments: Iterable[str], *, recursive: bool, skip_dir: Path | None = None) -> Iterator[Path]:
    """Every document the INPUT arguments name, one at a time (see the module docstring)."""
    skip = _identity(skip_dir) if skip_dir is not None else None
    for argument in arguments:
        if os.path.exists(argument) or not _GLOB_MAGIC.search(argument):
            yield from _expand(argument, recursive=recursive, skip=skip)
        else:
            for match in glob.iglob(argument, recursive=True):
                yield from _expand(match, recursive=recursive, skip=skip)


def count_inputs(arguments: Iterable[str], *, recursive: bool, skip_dir: Path | None = None) -> int:
    """How many documents `iter_inputs` will yield (a second walk; for a progress total)."""
    return sum(1 for _ in iter_inputs(arguments, recursive=recursive, skip_dir=skip_dir))


def _expand(path: str, *, recursive: bool, skip: tuple[int, int] | None) -> Iterator[Path]:
    if not os.path.isdir(path):
        yield Path(path)
        return
    pending = [path]
    while pending:
        folder = pending.pop()
        if skip is not None and _identity(Path(folder)) == skip:
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        pending.append(entry.path)
                elif os.path.splitext(entry.name)[1].lower() in DOCUMENT_EXTENSIONS and entry.is_file():
                    yield Path(entry.path)


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        st = folder.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
