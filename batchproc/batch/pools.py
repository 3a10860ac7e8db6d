"""Where work orders run: a thin wrapper over each kind of concurrent.futures.Executor.

- `Pool` wraps serial execution, threads, or the caller's executor (which it never shuts
  down). It cannot stop a running file.
- `ProcessPool` is the runner's own ProcessPoolExecutor: it can kill a worker, and after
  a worker died (which breaks the whole pool) it says which workers died on their own and
  starts a fresh pool.

Process start method: "forkserver", with batchproc's worker module preloaded. A new
worker is forked from a warm, single-threaded server, while forking our own parent,
which may already run threads (the executor's manager thread, tqdm, the caller's own),
is unsafe. Measured here (start 2 workers, run 2 tasks, shut down): "fork" ~200 ms,
"forkserver" ~1.3 s the first time in a process (the server imports batchproc once)
and ~200-300 ms after that (so rebuilding a pool after a crash is cheap), "spawn"
~2.5-3 s every time.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Callable

from ..inputs import Source
from ..operations import EXTRA_OPERATIONS_ENV
from .options import BatchOptions
from .worker import WorkOrder, init_process_worker, run_chunk


class InlineExecutor(Executor):
    """Runs each call at once, in the calling thread: the serial mode."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        future.set_running_or_notify_cancel()
        future.set_result(fn(*args, **kwargs))
        return future


class Pool:
    can_kill = False

    def __init__(self, executor: Executor, *, owned: bool) -> None:
        self.executor = executor
        self.owned = owned

    def submit(self, order: WorkOrder) -> Future:
        return self.executor.submit(run_chunk, order)

    def admit(self, source: Source) -> Source:
        """The input as this pool's workers need it, or an error failing it alone before
        any work (a cluster refuses large bytes inputs; see cluster.DaskPool)."""
        return source

    def blame(self, order: WorkOrder, error: BaseException) -> dict[int, BaseException] | None:
        """After the executor failed `order` with `error`: {index: error} for the inputs
        that caused it (the others are run again), or None when this pool cannot tell."""
        return None

    def stop(self, *, interrupted: bool) -> None:
        """Release the workers. After an interrupt, queued orders are cancelled (the
        runner does not wait for files it will not report) and running ones are left to
        finish; their results are ignored, and their outputs are atomic renames."""
        if self.owned:
            self.executor.shutdown(wait=True, cancel_futures=interrupted)


class ProcessPool(Pool):
    can_kill = True

    def __init__(self, options: BatchOptions) -> None:
        self._options = options
        super().__init__(self._new_executor(), owned=True)

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["batchproc.batch.worker"])
        executor = ProcessPoolExecutor(
            max_workers=self._options.max_workers,
            mp_context=context,
            initializer=init_process_worker,
            initargs=(self._options.memory_limit_bytes, os.environ.get(EXTRA_OPERATIONS_ENV), os.getpid()),
        )
        # The pid -> Process map the executor fills as it starts workers. It is private,
        # but it is the only place that knows how each worker ended (see restart).
        self._processes: dict[int, multiprocessing.Process] = executor._processes  # type: ignore[attr-defined]
        return executor

    def kill(self, pid: int) -> None:
        """SIGKILL one of our workers (a file past its timeout); the pool then breaks."""
        if pid in self._processes:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def restart(self) -> dict[int, int]:
        """After the pool broke: {pid: exit code} of the workers that died on their own
        (a signal, os._exit, the memory watchdog, our timeout kill), then a fresh pool.

        When one worker dies, the executor fails every pending future and SIGTERMs the
        other workers; waiting for its shutdown makes every exit code final. So the
        workers that did not end with SIGTERM are the ones that died first.
        """
        self.executor.shutdown(wait=True)
        died = {
            pid: process.exitcode
            for pid, process in self._processes.items()
            if process.exitcode is not None and process.exitcode != -signal.SIGTERM
        }
        self.executor = self._new_executor()
        return died

    def stop(self, *, interrupted: bool) -> None:
        if not interrupted:
            self.executor.shutdown(wait=True)
            return
        # Ctrl-C / SIGTERM: stop now. Queued orders are cancelled and running ones are
        # killed rather than awaited: commits are atomic renames, so a killed worker
        # leaves no partial output, and outputs not journaled yet are redone on resume.
        self.executor.shutdown(wait=False, cancel_futures=True)
        for pid in list(self._processes):
            self.kill(pid)
        self.executor.shutdown(wait=True)


def make_pool(options: BatchOptions) -> Pool:
    if options.mode == "process":
        return ProcessPool(options)
    if options.mode == "thread":
        return Pool(ThreadPoolExecutor(options.max_workers, thread_name_prefix="batchproc"), owned=True)
    if options.mode == "serial":
        return Pool(InlineExecutor(), owned=False)
    if options.mode == "dask":
        from .cluster import DaskPool  # only Dask batches load it (and distributed)

        return DaskPool.connect(options.cluster if options.cluster is not None else options.executor)
    assert options.executor is not None
    return Pool(options.executor, owned=False)
