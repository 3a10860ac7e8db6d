"""The resume journal: which inputs an earlier run of the same batch already finished.

`output_dir/.batchproc-journal.jsonl` is an append-only file of JSON lines, written only
by the parent, one line per finished file, after its outputs were committed:

    {"k": "<key>", "o": ["report_0.pdf"]}

The key hashes the input's identity (path, size and mtime, or a content hash), the
pipeline's fingerprint and the file's output-name expansion, so a changed input, a
changed pipeline or a changed output_format is redone. Each line is written with one
`write` call and the file is fsync'ed at most once per `FSYNC_INTERVAL_S` and on close
(a crash of the host may lose the last second of entries; those files are redone).
Measured here: an fsync per entry costs ~4.5 ms, which would cap a batch at ~220
files/s; batched, an entry costs ~30 us. A
torn last line (the parent was killed mid-write) is cut off when the journal is opened.

Only entries of earlier runs are held in memory (key -> output names); entries this run
writes are not. An exclusive lock keeps two batches from sharing one output_dir.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Iterable

from ..errors import OutputWriteError, ValidationError

JOURNAL_NAME = ".batchproc-journal.jsonl"
FSYNC_INTERVAL_S = 1.0


def journal_key(identity: str, fingerprint: str, expansion: str) -> str:
    text = "\x1f".join((identity, fingerprint, expansion))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()


class Journal:
    """Open with `Journal.open(output_dir, load=...)`; `close()` releases the lock."""

    def __init__(self, path: Path, fd: int, done: dict[str, tuple[str, ...]]) -> None:
        self.path = path
        self._fd = fd
        self._done = done
        self._last_sync = time.monotonic()
        self._unsynced = False

    @classmethod
    def open(cls, output_dir: Path, *, load: bool) -> "Journal":
        path = output_dir / JOURNAL_NAME
        try:
            # O_NOFOLLOW: a symlink planted under the journal's name must not make us
            # append to (or truncate) a file outside output_dir.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise OutputWriteError(f"cannot open the resume journal {path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ValidationError(f"another batch is running with output_dir {output_dir}") from None
        done = _read_entries(fd, keep=load)
        return cls(path, fd, done)

    def finished_outputs(self, key: str) -> tuple[str, ...] | None:
        """The output names an earlier run recorded for `key`, or None."""
        return self._done.get(key)

    def record(self, key: str, names: list[str]) -> None:
        line = json.dumps({"k": key, "o": names}, separators=(",", ":"), ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode("utf-8", "surrogateescape"))
        self._unsynced = True
        if time.monotonic() - self._last_sync >= FSYNC_INTERVAL_S:
            self.sync()

    def sync(self) -> None:
        if self._unsynced:
            os.fsync(self._fd)
            self._unsynced = False
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)  # releases the lock
            self._fd = -1


def outputs_present(names: Iterable[str], output_dir: Path) -> bool:
    """Whether every output a journal entry names is still in `output_dir`: only then is
    its input done already (a resumed run skips it); else it is done again."""
    return all((output_dir / name).exists() for name in names)


def read_finished(output_dir: Path) -> dict[str, tuple[str, ...]]:
    """The entries of `output_dir`'s journal as they are, without taking its lock or
    repairing it: a dry run's view of what a resumed run would skip."""
    try:
        with (output_dir / JOURNAL_NAME).open("rb") as fh:
            return _parse_entries(fh, keep=True)[0]
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ValidationError(f"cannot read the resume journal in {output_dir}: {exc.strerror or exc}") from None


def _read_entries(fd: int, *, keep: bool) -> dict[str, tuple[str, ...]]:
    """Read every complete line; cut a torn last line off so appends start clean."""
    size = os.fstat(fd).st_size
    if size == 0:
        return {}
    with os.fdopen(os.dup(fd), "rb") as fh:
        done, good_end = _parse_entries(fh, keep=keep)
    if good_end < size:
        os.ftruncate(fd, good_end)
    return done


def _parse_entries(lines: Iterable[bytes], *, keep: bool) -> tuple[dict[str, tuple[str, ...]], int]:
    """The entries of every complete line (if `keep`), and where the complete lines end."""
    done: dict[str, tuple[str, ...]] = {}
    good_end = 0
    for line in lines:
        if not line.endswith(b"\n"):
            break
        good_end += len(line)
        if keep:
            try:
                entry = json.loads(line)
                done[entry["k"]] = tuple(entry["o"])
            except (ValueError, KeyError, TypeError):
                continue
    return done, good_end
