"""Fault-injection operations, registered only in tests (STYLE 11).

Each one misbehaves only on inputs whose file name contains `name_contains`, so one
poison file can be mixed into a batch of good ones.

They are registered only where asked for, so that the registry other tests see (drift
tests, `batchproc ops`) stays the product's:
- in a test, `with enabled():` (or the `fault_operations` fixture of the batch tests)
  registers them and sets BATCHPROC_EXTRA_OPERATIONS=tests.fault_ops, which the batch
  runner hands on to its workers; both are undone afterwards;
- a worker (or any process) whose environment names this module registers them when
  `batchproc.operations.load_all()` imports it;
- `enable()` does both for good, for a subprocess's own script.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from batchproc.errors import ServerError
from batchproc.operations import EXTRA_OPERATIONS_ENV
from batchproc.operations.registry import REGISTRY, Param, operation

_FAULTS: list[tuple[str, tuple[Param, ...], str, Callable[..., Any]]] = []


def _fault(method: str, *params: Param, doc: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def remember(apply: Callable[..., Any]) -> Callable[..., Any]:
        _FAULTS.append((method, params, doc, apply))
        return apply

    return remember


def register() -> None:
    for method, params, doc, apply in _FAULTS:
        if method not in REGISTRY:
            operation(method, *params, doc=doc)(apply)


def unregister() -> None:
    for method, *_ in _FAULTS:
        REGISTRY.pop(method, None)


def enable() -> None:
    """Register the operations here and in every worker started from now on, for good."""
    os.environ[EXTRA_OPERATIONS_ENV] = __name__
    register()


@contextlib.contextmanager
def enabled() -> Iterator[None]:
    """Register the operations here and in workers started meanwhile; then undo it
    (unless they were enabled before)."""
    previous_env = os.environ.get(EXTRA_OPERATIONS_ENV)
    registered_before = bool(_FAULTS) and _FAULTS[0][0] in REGISTRY
    enable()
    try:
        yield
    finally:
        if previous_env is None:
            os.environ.pop(EXTRA_OPERATIONS_ENV, None)
        else:
            os.environ[EXTRA_OPERATIONS_ENV] = previous_env
        if not registered_before:
            unregister()


def _hit(doc, name_contains: str) -> bool:
    return name_contains in Path(doc.label).name


@_fault(
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


@_fault(
    "fault_hang",
    Param("name_contains", str),
    Param("seconds", (int, float), default=60),
    doc="Sleep on matching inputs.",
)
def fault_hang(doc, *, name_contains: str, seconds: float) -> None:
    if _hit(doc, name_contains):
        time.sleep(seconds)


@_fault(
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


@_fault(
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


@_fault(
    "fault_foreign_error",
    Param("name_contains", str),
    doc="Raise a foreign exception that cannot be pickled on matching inputs.",
)
def fault_foreign_error(doc, *, name_contains: str) -> None:
    if _hit(doc, name_contains):
        raise _Unpicklable("a lock cannot cross processes")


@_fault(
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


@_fault(
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


if __name__ in [name.strip() for name in os.environ.get(EXTRA_OPERATIONS_ENV, "").split(",")]:
    register()  # imported by load_all() in a worker, or in a process that asked for them
