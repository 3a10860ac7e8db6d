"""Memory guards: a watchdog inside each process worker, and the parent's host check.

Worker side: a daemon thread samples the worker's RSS with psutil every
`SAMPLE_INTERVAL_S`; past the limit the worker exits at once with `MEMORY_EXIT_CODE`,
which the parent turns into a MemoryLimitError for the file the worker was on, and the
pool is rebuilt. The same thread exits the worker when the batch's parent process is
gone. PR_SET_PDEATHSIG is not enough on its own: a forkserver worker's OS parent is the
fork server, which outlives a killed batch parent because every worker holds the pipe
end it watches. RLIMIT_AS is not used: pdfium, numpy and glibc's per-thread
arenas reserve far more address space than they touch, so an address-space limit fails
healthy files long before RSS is high (measured here: after a pdfium render and a few
threads, a worker had 53 MiB resident but 364 MiB of address space).

Parent side: `HostMemory.low()` says whether the host's available memory is below
LOW_HOST_MEMORY_BYTES, in which case the runner waits for a file to finish before it
submits more work.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from .options import LOW_HOST_MEMORY_BYTES

SAMPLE_INTERVAL_S = 0.05
PARENT_CHECK_INTERVAL_S = 1.0
MEMORY_EXIT_CODE = 86
PARENT_GONE_EXIT_CODE = 87
RECYCLE_EXIT_CODE = 88
"""A worker still above the limit between two files (allocators rarely give memory
back) exits with this code before starting the next one, so that file is not blamed."""

_limit_bytes: int | None = None
_process: Any = None


def start_worker_watchdog(memory_limit_bytes: int | None, parent_pid: int) -> None:
    """Start the RSS and parent watchdog thread in this (worker) process; `parent_pid`
    is the batch's parent process."""
    import psutil

    global _limit_bytes, _process
    process = _process = psutil.Process()
    _limit_bytes = memory_limit_bytes
    parent = psutil.Process(parent_pid)
    checks_per_parent_check = max(1, round(PARENT_CHECK_INTERVAL_S / SAMPLE_INTERVAL_S))

    def parent_alive() -> bool:
        try:
            return parent.is_running() and parent.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def watch() -> None:
        tick = 0
        while True:
            time.sleep(SAMPLE_INTERVAL_S)
            if memory_limit_bytes is not None and process.memory_info().rss > memory_limit_bytes:
                os._exit(MEMORY_EXIT_CODE)
            tick += 1
            if tick % checks_per_parent_check == 0 and not parent_alive():
                os._exit(PARENT_GONE_EXIT_CODE)

    threading.Thread(target=watch, name="batchproc-watchdog", daemon=True).start()


def recycle_if_over_limit() -> None:
    """Before a file: exit with RECYCLE_EXIT_CODE if this worker is already over its
    limit (only in process workers, where the watchdog was started)."""
    if _limit_bytes is not None and _process.memory_info().rss > _limit_bytes:
        os._exit(RECYCLE_EXIT_CODE)


class HostMemory:
    """The parent's view of available host memory, sampled at most every 0.2 s."""

    def __init__(self, low_bytes: int = LOW_HOST_MEMORY_BYTES) -> None:
        self.low_bytes = low_bytes
        self._checked_at = 0.0
        self._low = False

    def low(self) -> bool:
        now = time.monotonic()
        if now - self._checked_at >= 0.2:
            import psutil

            self._low = psutil.virtual_memory().available < self.low_bytes
            self._checked_at = now
        return self._low
