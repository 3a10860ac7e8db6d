"""Which input killed a worker: pure bookkeeping over exit codes and task markers.

When one process worker dies, the executor fails every pending order and SIGTERMs the
other workers (see pools.ProcessPool.restart). `attribute_deaths` takes the exit codes
of the workers that died on their own and the inputs each worker was on (tracking
markers) and tells the runner which inputs to fail and which only ran alongside.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from ..errors import BatchprocError, FileTimeoutError, MemoryLimitError, WorkerCrashedError
from .memory import MEMORY_EXIT_CODE, RECYCLE_EXIT_CODE


@dataclass(frozen=True)
class Deaths:
    """culprits: input index -> exit code of the worker that died on it.
    suspects:  inputs that were running when a worker died of an unknown cause (its exit
               code is not known, or it was on no input): none can be cleared.
    startless: workers died, not to be recycled, while none was on an input."""

    culprits: dict[int, int]
    suspects: frozenset[int]
    startless: bool


def attribute_deaths(died: dict[int, int], busy: dict[int, int]) -> Deaths:
    """`died`: pid -> exit code of the workers that died on their own; `busy`: pid ->
    input index each worker (dead or alive) was on."""
    culprits = {busy[pid]: code for pid, code in died.items() if pid in busy}
    recycled = bool(died) and all(code == RECYCLE_EXIT_CODE for code in died.values())
    unexplained = bool(busy) and not culprits and not recycled
    return Deaths(
        culprits=culprits,
        suspects=frozenset(busy.values()) if unexplained else frozenset(),
        startless=not busy and not recycled,
    )


def death_error(
    exit_code: int, *, timed_out: bool, file_timeout_s: float | None, memory_limit_bytes: int | None
) -> BatchprocError:
    """The error for the input a worker died on."""
    if timed_out:
        return FileTimeoutError(f"ran longer than file_timeout ({file_timeout_s:g} s); its worker was stopped")
    if exit_code == MEMORY_EXIT_CODE:
        limit_mib = (memory_limit_bytes or 0) / (1 << 20)
        return MemoryLimitError(f"the worker's memory passed memory_limit ({limit_mib:.0f} MiB); it was replaced")
    how = f"signal {signal.Signals(-exit_code).name}" if exit_code < 0 else f"exit code {exit_code}"
    return WorkerCrashedError(f"the worker process died ({how}) while processing it")
