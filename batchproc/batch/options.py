"""The batch runner's settings as one small value object, with named defaults and units.

`BatchOptions.resolve(...)` turns the user's arguments into checked settings before any
file is touched: the execution mode, the worker count, the per-worker memory limit and
the per-file timeout.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ValidationError

Mode = Literal["serial", "thread", "process", "executor", "dask"]

DEFAULT_MAX_WORKERS = 4
DEFAULT_MAX_RETRIES = 3
MAX_DEFAULT_MEMORY_LIMIT_BYTES = 4 << 30
MIN_DEFAULT_MEMORY_LIMIT_BYTES = 512 << 20
MIN_MEMORY_LIMIT_BYTES = 128 << 20
"""The smallest memory_limit accepted: below it a bare worker is already over."""
LOW_HOST_MEMORY_BYTES = 512 << 20
"""Below this much available host memory the parent waits before submitting more work."""


@dataclass(frozen=True)
class BatchOptions:
    """Checked settings of one batch.

    mode:                "serial" (this thread, in order), "thread", "process" (our own
                         pool, the only mode that can kill a worker), "executor" (the
                         caller's concurrent.futures.Executor), or "dask" (`cluster=`, or
                         a Dask client's executor; see batch.cluster).
    cluster:             in "dask" mode, the scheduler address or distributed.Client.
    memory_limit_bytes:  RSS limit per process worker; None outside "process" mode, where
                         it cannot be enforced per file.
    file_timeout_s:      per-file wall-clock limit; enforced by killing the worker in
                         "process" mode. Best effort with threads or a caller's executor:
                         the file is reported as timed out at the deadline, the batch
                         still waits for that worker to come back, and discards its
                         outputs. Not enforced in "serial" mode.
    """

    mode: Mode
    max_workers: int
    continue_on_error: bool
    max_retries: int
    file_timeout_s: float | None
    memory_limit_bytes: int | None
    resume: bool
    executor: Executor | None = None
    cluster: Any = None

    @classmethod
    def resolve(
        cls,
        *,
        engine_name: str,
        parallel: Any,
        max_workers: Any,
        continue_on_error: bool,
        executor: Executor | None,
        resume: bool,
        max_retries: Any,
        file_timeout: Any,
        memory_limit: Any,
        cluster: Any = None,
    ) -> "BatchOptions":
        mode = _mode(parallel, executor, engine_name, cluster)
        if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
            raise ValidationError(f"max_workers must be a positive integer, got {max_workers!r}")
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ValidationError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if file_timeout is not None and (not _positive_number(file_timeout)):
            raise ValidationError(f"file_timeout must be a positive number of seconds, got {file_timeout!r}")
        if memory_limit is not None and (not _positive_number(memory_limit) or isinstance(memory_limit, float)):
            raise ValidationError(f"memory_limit must be a positive number of bytes, got {memory_limit!r}")
        if memory_limit is not None and memory_limit < MIN_MEMORY_LIMIT_BYTES:
            raise ValidationError(
                f"memory_limit {memory_limit} bytes is below {MIN_MEMORY_LIMIT_BYTES // 2**20} MiB: "
                "a warm worker alone needs about 80 MiB, so every file would fail"
            )
        workers = 1 if mode == "serial" else max_workers
        if mode == "process":
            limit = memory_limit if memory_limit is not None else default_memory_limit_bytes(workers)
        else:
            limit = None
        return cls(
            mode=mode,
            max_workers=workers,
            continue_on_error=bool(continue_on_error),
            max_retries=max_retries,
            file_timeout_s=float(file_timeout) if file_timeout is not None else None,
            memory_limit_bytes=limit,
            resume=bool(resume),
            executor=executor,
            cluster=cluster,
        )

    @property
    def window(self) -> int:
        """How many work orders may be in flight at once: about two per worker."""
        return 1 if self.mode == "serial" else 2 * self.max_workers


def default_memory_limit_bytes(workers: int) -> int:
    """min(available / (workers + 1), 4 GiB), but at least 512 MiB.

    The +1 leaves room for the parent and everything else on the host. The floor keeps a
    busy host from failing every file: a warm worker alone is about 80 MiB.
    """
    import psutil

    share = psutil.virtual_memory().available // (workers + 1)
    return max(MIN_DEFAULT_MEMORY_LIMIT_BYTES, min(share, MAX_DEFAULT_MEMORY_LIMIT_BYTES))


def _mode(parallel: Any, executor: Executor | None, engine_name: str, cluster: Any) -> Mode:
    from .cluster import check_cluster, is_dask_executor

    if cluster is not None:
        if executor is not None:
            raise ValidationError("give executor= or cluster=, not both")
        check_cluster(cluster)
        return "dask"
    if executor is not None:
        if not isinstance(executor, Executor) and not hasattr(executor, "submit"):
            raise ValidationError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
        return "dask" if is_dask_executor(executor) else "executor"
    if parallel is True:
        return "thread" if engine_name == "dws" else "process"
    if parallel is False:
        return "serial"
    if parallel in ("process", "thread"):
        return parallel
    raise ValidationError(f"parallel must be True, False, 'process' or 'thread', got {parallel!r}")


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
