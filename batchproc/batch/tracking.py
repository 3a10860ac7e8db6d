"""Who is working on what: one tiny file per worker (process and thread) that says which
input it started and when, so the parent can name the file that killed a worker and
see which file has run past its timeout.

A marker file lives in the batch's private work folder, is named "<pid>-<thread id>",
and holds one fixed-width line, "<index> <unix time>" or "-" when idle, rewritten in
place with a single `pwrite` (no open/close per file).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_WIDTH = 48
_IDLE = b"-".ljust(_WIDTH - 1) + b"\n"


class TaskMarker:
    """The calling worker's marker file in `state_dir`."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / f"{os.getpid()}-{threading.get_ident()}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def started(self, index: int) -> None:
        os.pwrite(self._fd, f"{index} {time.time():.3f}".encode().ljust(_WIDTH - 1) + b"\n", 0)

    def idle(self) -> None:
        os.pwrite(self._fd, _IDLE, 0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    __del__ = close  # a pool thread's marker goes with its thread


@dataclass(frozen=True)
class Busy:
    """A worker in the middle of one input."""

    pid: int
    index: int
    started_at: float


def busy_workers(state_dir: Path) -> list[Busy]:
    """Every worker whose marker says it is working on an input right now."""
    found: list[Busy] = []
    try:
        entries = list(os.scandir(state_dir))
    except FileNotFoundError:
        return found
    for entry in entries:
        try:
            with open(entry.path, "rb") as fh:
                index, _, started = fh.read(_WIDTH).strip().partition(b" ")
            found.append(Busy(int(entry.name.split("-")[0]), int(index), float(started)))
        except (OSError, ValueError):
            continue  # idle, or being written for the first time
    return found


def clear_markers(state_dir: Path) -> None:
    """Remove every marker: called when all workers of a pool are gone."""
    try:
        entries = list(os.scandir(state_dir))
    except FileNotFoundError:
        return
    for entry in entries:
        Path(entry.path).unlink(missing_ok=True)
