"""Fault-injection operations, registered only in tests (STYLE 11).

Each one misbehaves only on inputs whose file name contains `name_contains`, so one
poison file can be mixed into a batch of good ones. Process-pool workers see these
operations through BATCHPROC_EXTRA_OPERATIONS=tests.fault_ops (see
batchproc.operations.load_all), which `enable()` sets.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from pathlib import Path

from batchproc.errors import ServerError
from batchproc.operations import EXTRA_OPERATIONS_ENV
from batchproc.operations.registry import Param, operation


def enable() -> None:
    """Make workers started from now on import this module."""
    os.environ[EXTRA_OPERATIONS_ENV] = __name__


def _hit(doc, name_contains: str) -> bool:
    return name_contains in Path(doc.label).name


@operation(
    "fault_crash",
    Param("name_contains", str),
    Param("how", str, default="exit", choices=("exit", "segv", "kill")),
    doc="Kill the worker process (os._exit, a segfault, or SIGKILL) on matching inputs.",
)
def fault_crash(doc, *, name_contains: str, how: str) -> None:
    if not _hit(doc, name_contains):
        return
    if how == "exit":
        os._exit(3)
    if how == "segv":
        ctypes.string_at(0)
    os.kill(os.getpid(), 9)


@operation(
    "fault_hang",
    Param("name_contains", str),
    Param("seconds", (int, float), default=60),
    doc="Sleep on matching inputs.",
)
def fault_hang(doc, *, name_contains: str, seconds: float) -> None:
    if _hit(doc, name_contains):
        time.sleep(seconds)


@operation(
    "fault_eat_memory",
    Param("name_contains", str),
    Param("megabytes", int, default=600),
    doc="Allocate and touch `megabytes` of memory on matching inputs, then linger.",
)
def fault_eat_memory(doc, *, name_contains: str, megabytes: int) -> None:
    if _hit(doc, name_contains):
        hog = bytearray(megabytes << 20)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        time.sleep(5)


@operation(
    "fault_server_error",
    Param("name_contains", str),
    Param("state_dir", str),
    Param("failures", int, default=2),
    Param("status", int, default=503),
    doc="Raise ServerError(status) the first `failures` times a matching input is tried "
    "(counted in a file in state_dir), then succeed.",
)
def fault_server_error(doc, *, name_contains: str, state_dir: str, failures: int, status: int) -> None:
    if not _hit(doc, name_contains):
        return
    counter = Path(state_dir) / (Path(doc.label).name + ".tries")
    tries = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(tries + 1))
    if tries < failures:
        raise ServerError(f"simulated {status}", status=status, retry_after_s=0.01 if status == 503 else None)


class _Unpicklable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lock = threading.Lock()


@operation(
    "fault_foreign_error",
    Param("name_contains", str),
    doc="Raise a foreign exception that cannot be pickled on matching inputs.",
)
def fault_foreign_error(doc, *, name_contains: str) -> None:
    if _hit(doc, name_contains):
        raise _Unpicklable("a lock cannot cross processes")


@operation(
    "fault_recycle",
    Param("name_contains", str),
    Param("state_dir", str),
    doc="The first time a matching input is tried, act as a worker still over its memory "
    "limit from an earlier file: go idle and ask to be replaced (memory.RECYCLE_EXIT_CODE).",
)
def fault_recycle(doc, *, name_contains: str, state_dir: str) -> None:
    from batchproc.batch import memory, worker

    if not _hit(doc, name_contains):
        return
    counter = Path(state_dir) / (Path(doc.label).name + ".recycled")
    if counter.exists():
        return
    counter.write_text("1")
    worker._slots.slot.marker.idle()  # as before a file starts
    memory._limit_bytes = 1
    memory.recycle_if_over_limit()


@operation(
    "fault_count_concurrency",
    Param("state_dir", str),
    Param("seconds", (int, float), default=0.2),
    doc="Hold each input for `seconds` and record in state_dir/max the most inputs seen "
    "running at once (one marker file per running input).",
)
def fault_count_concurrency(doc, *, state_dir: str, seconds: float) -> None:
    folder = Path(state_dir)
    mine = folder / (Path(doc.label).name + ".running")
    mine.touch()
    try:
        running = len(list(folder.glob("*.running")))
        peak = folder / "max"
        with _peak_lock:
            seen = int(peak.read_text()) if peak.exists() else 0
            peak.write_text(str(max(seen, running)))
        time.sleep(seconds)
    finally:
        mine.unlink()


_peak_lock = threading.Lock()
