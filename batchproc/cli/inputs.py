"""The documents a command line names, enumerated lazily.

An INPUT is a file (taken as given), a folder (its documents: files with a PDF, Office or
image extension, hidden ones left out; subfolders only with `recursive`), a glob (quoted,
so the shell leaves it to us; `**` crosses folders), or `-`: file names read from stdin,
one a line (`find ... | batchproc run - ...`). Nothing is listed up front:
`iter_inputs` walks with os.scandir and yields paths one at a time, in the order the
file system returns them, so a folder of a million files starts at once and costs no
memory. Folder walks leave out the paths in `leave_out` (the output folder, the report),
so a run does not eat its own outputs.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import ValidationError
from ..formats import OFFICE_EXTENSIONS

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp"}
DOCUMENT_EXTENSIONS = frozenset({".pdf", *OFFICE_EXTENSIONS, *IMAGE_EXTENSIONS})
_GLOB_MAGIC = re.compile(r"[*?[]")
STDIN = "-"


def check_arguments(arguments: Iterable[str]) -> None:
    """Raise ValidationError for an INPUT that is neither `-`, an existing path nor a matching glob.
    (The names read from stdin are not checked here: each missing one fails alone.)"""
    for argument in arguments:
        if argument == STDIN:
            continue
        if os.path.lexists(argument):
            if not os.path.exists(argument):
                raise ValidationError(f"input {argument}: a broken symbolic link")
            continue
        if not _GLOB_MAGIC.search(argument):
            raise ValidationError(f"input {argument}: no such file or folder")
        if next(glob.iglob(argument, recursive=True), None) is None:
            raise ValidationError(f"input {argument}: the pattern matches no files")


def iter_inputs(arguments: Iterable[str], *, recursive: bool, leave_out: Iterable[Path] = ()) -> Iterator[Path]:
    """Every document the INPUT arguments name, one at a time (see the module docstring)."""
    excluded = _Excluded(leave_out)
    for argument in arguments:
        if argument == STDIN:
            yield from (Path(line.rstrip("\n")) for line in sys.stdin if line.strip())
        elif os.path.exists(argument) or not _GLOB_MAGIC.search(argument):
            yield from _expand(argument, recursive=recursive, excluded=excluded)
        else:
            for match in glob.iglob(argument, recursive=True):
                yield from _expand(match, recursive=recursive, excluded=excluded)


def count_inputs(arguments: Iterable[str], *, recursive: bool, leave_out: Iterable[Path] = ()) -> int | None:
    """How many documents `iter_inputs` will yield (a second walk; for a progress total),
    or None when stdin is one of the inputs (it can be read only once)."""
    arguments = list(arguments)
    if STDIN in arguments:
        return None
    return sum(1 for _ in iter_inputs(arguments, recursive=recursive, leave_out=leave_out))


def _expand(path: str, *, recursive: bool, excluded: "_Excluded") -> Iterator[Path]:
    if not os.path.isdir(path):
        yield Path(path)
        return
    pending = [path]
    while pending:
        folder = pending.pop()
        if excluded.holds(folder):
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        pending.append(entry.path)
                elif (os.path.splitext(entry.name)[1].lower() in DOCUMENT_EXTENSIONS and entry.is_file()
                      and not excluded.holds(entry.path, name=entry.name)):
                    yield Path(entry.path)


class _Excluded:
    """Paths (files or folders) a walk leaves out, compared by device and inode, so that
    any spelling of the same path matches. Files are stat'ed only when their name matches."""

    def __init__(self, paths: Iterable[Path]) -> None:
        paths = list(paths)
        self._names = {p.name for p in paths}
        self._identities = {identity for identity in map(_identity, paths) if identity is not None}

    def holds(self, path: str, *, name: str | None = None) -> bool:
        if not self._identities or (name is not None and name not in self._names):
            return False
        return _identity(Path(path)) in self._identities


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
