"""Output names: `output_format` checked up front, expanded per input, collisions caught.

Placeholders: {name} (the input's file name without extension), {index} (0-based
position in the input iterable) and {ext} (the OUTPUT's extension with its dot: ".pdf"
after a .docx is converted). Format specs work ({index:05d}); attribute access,
indexing, positional fields and conversions other than !s are refused.

The output extension is known only once the engine has run, so the parent expands the
format with a placeholder character standing for {ext}; the worker puts the real
extension in (`final_name`). A name is one file name directly inside output_dir: no
separators, no "..", nothing starting with ".batchproc" (the runner's own files).
"""

from __future__ import annotations

import hashlib
import re
import string

from ..engines.base import Artifact
from ..errors import OutputNameError

FIELDS = ("name", "index", "ext")
EXT_MARK = "\x00"
"""Stands for the output extension in an expansion until the worker knows it."""
RESERVED_PREFIX = ".batchproc"
MAX_NAME_BYTES = 255
"""The longest file name Linux and macOS file systems accept (NAME_MAX)."""


class OutputNamer:
    """Expands `output_format` for each input and refuses names already handed out.

    The set of names handed out grows with the batch; it holds 8-byte digests (about
    70 bytes per file in CPython), not the names.
    """

    def __init__(self, output_format: str) -> None:
        check_format(output_format)
        self.output_format = output_format
        self._taken: set[bytes] = set()

    def claim(self, *, name: str, index: int) -> str:
        """The expansion for one input (with EXT_MARK for the extension), or OutputNameError
        if it is not a plain file name or another input of this batch already has it."""
        expansion = self.output_format.format(name=name, index=index, ext=EXT_MARK)
        check_name(expansion.replace(EXT_MARK, ".ext"))
        digest = hashlib.blake2b(expansion.encode("utf-8", "surrogateescape"), digest_size=8).digest()
        if digest in self._taken:
            shown = expansion.replace(EXT_MARK, "{ext}")
            raise OutputNameError(
                f"output name {shown!r} is already used by an earlier input of this batch; "
                "add {index} to output_format"
            )
        self._taken.add(digest)
        return expansion


def final_name(expansion: str, artifact: Artifact) -> str:
    """The file name of one artifact: the expansion with the real extension, and the
    artifact's suffix ("_1", "_page2") inserted before the extension."""
    if EXT_MARK in expansion:
        return expansion.replace(EXT_MARK, artifact.suffix + artifact.ext)
    stem, dot, ext = expansion.rpartition(".")
    if not dot or not stem:
        return expansion + artifact.suffix
    return f"{stem}{artifact.suffix}.{ext}"


def check_format(output_format: str) -> None:
    """OutputNameError unless `output_format` uses only known, named placeholders."""
    if not isinstance(output_format, str) or not output_format:
        raise OutputNameError(f"output_format must be a non-empty string, got {output_format!r}")
    try:
        parsed = list(string.Formatter().parse(output_format))
    except ValueError as exc:
        raise OutputNameError(f"output_format {output_format!r}: {exc}") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field == "" or field.isdigit():
            raise OutputNameError(
                f"output_format {output_format!r}: positional '{{}}' fields are not allowed; "
                f"use named ones: {', '.join('{' + f + '}' for f in FIELDS)}"
            )
        if field not in FIELDS:
            raise OutputNameError(
                f"output_format {output_format!r}: unknown field {{{field}}}; "
                f"known: {', '.join('{' + f + '}' for f in FIELDS)}"
            )
        if conversion not in (None, "s"):
            raise OutputNameError(f"output_format {output_format!r}: conversion !{conversion} is not allowed")
        if spec and ("{" in spec or any(int(n) > MAX_NAME_BYTES for n in re.findall(r"\d+", spec))):
            # Checked before formatting: "{index:999999999}" would build a 1 GB name.
            raise OutputNameError(
                f"output_format {output_format!r}: format spec {spec!r} is nested or wider than "
                f"a file name ({MAX_NAME_BYTES} bytes)"
            )
    try:
        sample = output_format.format(name="report", index=0, ext=".pdf")
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise OutputNameError(f"output_format {output_format!r}: {exc}") from None
    check_name(sample)


def check_name(name: str) -> None:
    """OutputNameError unless `name` is one plain file name inside output_dir."""
    if not name or name in (".", "..") or "/" in name or "\x00" in name:
        raise OutputNameError(
            f"output name {name!r} would leave output_dir: it must be a plain file name "
            "(no '/', no '..', not empty)"
        )
    if name.startswith(RESERVED_PREFIX):
        raise OutputNameError(f"output name {name!r} is reserved for batchproc's own files")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise OutputNameError(f"output name {name[:40]!r}... is longer than a file name may be ({MAX_NAME_BYTES} bytes)")
