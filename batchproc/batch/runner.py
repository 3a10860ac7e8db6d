"""The batch runner: one pipeline mapped over many inputs. This module is the wiring.

`iter_batch` checks everything up front (the pipeline, output_format, the options) and
returns a generator that:

  1. opens the resume journal and a private work folder, and starts the pool;
  2. consumes the inputs lazily and keeps about two work orders per worker in flight;
     each input is named first (a collision fails that input before any work), skipped
     if the journal says an earlier run finished it, else packed into a work order of
     k inputs, k adapting so that an order is about TARGET_ORDER_S of work;
  3. settles each outcome in the parent: journal entry, retry with backoff, or failure;
     a dead worker is traced to the input it was on (see attribution), which
     fails alone, while the other inputs it took down are re-run;
  4. yields one FileResult per input, in order of completion;
  5. when the inputs run out, on Ctrl-C/SIGTERM, or after the first failure with
     continue_on_error=False, stops the pool, syncs the journal, and removes the
     work folder.

Everything that decides (journal, retries, progress, attribution) happens here, in the
parent; workers only run files (worker.run_chunk).
"""

from __future__ import annotations

import heapq
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..engines.base import EngineSpec
from ..engines.chain import check_mixed_pipeline
from ..errors import (
    BatchprocError,
    FileTimeoutError,
    OutputWriteError,
    ValidationError,
    WorkerCrashedError,
)
from ..inputs import Source
from ..pipeline import Pipeline
from .attribution import attribute_deaths, death_error
from .journal import Journal, journal_key, outputs_present
from .memory import HostMemory
from .naming import OutputNamer
from .options import BatchOptions
from .pools import Pool, ProcessPool, make_pool
from .result import BatchResult, FileResult, Output
from .retry import backoff_delay_s, should_retry
from .tracking import busy_workers, clear_markers
from .worker import STATE_DIR_NAME, Task, WorkOrder, portable_error

WORK_DIR_NAME = ".batchproc-work"
TARGET_ORDER_S = 0.05
"""Inputs per work order are chosen so that an order is about this much work: small
files travel a few at a time (pool overhead per order is ~1 ms), heavy ones alone."""
MAX_ORDER_SIZE = 32
POLL_S = 0.1
"""How often the parent looks at timeouts and due retries while it waits."""
BACKLOG = 64
"""Results (skips, naming failures) buffered before the parent yields them."""
MAX_STARTLESS_DEATHS = 3
"""A pool whose workers die this many times before starting any file stops the batch."""


def iter_batch(
    spec: EngineSpec,
    input_files: Iterable[Any],
    operations: Any,
    *,
    output_dir: str | os.PathLike[str] | None,
    output_format: str,
    options: BatchOptions,
    password: str | None,
) -> Iterator[FileResult]:
    """Validate now; return a generator of one FileResult per input (see the module doc)."""
    pipeline = Pipeline.from_operations(operations, password=password)
    check_mixed_pipeline(spec, pipeline)
    namer = OutputNamer(output_format)
    folder = _output_folder(output_dir)
    if isinstance(input_files, (str, bytes, bytearray, os.PathLike)) or hasattr(input_files, "read"):
        raise ValidationError("input_files must be an iterable of inputs (a list, a generator), not one input")
    try:
        inputs = iter(input_files)
    except TypeError:
        raise ValidationError(f"input_files must be iterable, got {type(input_files).__name__}") from None
    return _Batch(spec, pipeline, namer, folder, options).run(inputs)


def collect(
    results: Iterator[FileResult],
    *,
    total: int | None,
    progress_callback: Callable[[int, int | None], Any] | None,
    progress: bool,
) -> BatchResult:
    """Drain `results` into a BatchResult, reporting progress once per file.

    Ctrl-C (or SIGTERM) does not raise here: the generator cleans up, and the partial
    result comes back with `interrupted=True`.
    """
    bar = None
    if progress:
        import sys

        from tqdm import tqdm

        bar = tqdm(total=total, unit="file", file=sys.stderr)
    outcome = BatchResult()
    started = time.perf_counter()
    done = 0
    try:
        for record in results:
            outcome.add(record)
            done += 1
            if progress_callback is not None:
                progress_callback(done, total)
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        results.close()  # type: ignore[attr-defined]  # runs the generator's clean-up if it was not running
        outcome.interrupted = True
    finally:
        if bar is not None:
            bar.close()
        outcome.processing_time = time.perf_counter() - started
    return outcome


@dataclass
class _Pending:
    """The parent's record of one input between naming and its result."""

    index: int
    input: Any
    source: Source
    expansion: str
    key: str | None
    attempts: int = 0
    crashes: int = 0
    """Times a worker died under it while the culprit could not be told apart."""

    def task(self) -> Task:
        return Task(self.index, self.source, self.expansion)


class _Batch:
    def __init__(
        self,
        spec: EngineSpec,
        pipeline: Pipeline,
        namer: OutputNamer,
        output_dir: Path | None,
        options: BatchOptions,
    ) -> None:
        self._spec = spec
        self._pipeline = pipeline
        self._namer = namer
        self._output_dir = output_dir
        self._options = options
        self._fingerprint = pipeline.fingerprint()
        self._host = HostMemory()
        self._journal: Journal | None = None
        self._pool: Pool | None = None
        self._inputs: Iterator[tuple[int, Any]] = iter(())
        self._exhausted = False
        self._stopping = False
        self._live: dict[int, _Pending] = {}
        self._inflight: dict[Future, WorkOrder] = {}
        self._completed: queue.SimpleQueue[Future] = queue.SimpleQueue()
        """Every submitted future, put here by the executor as it completes: waiting costs
        the same with 2 orders in flight as with 32 (concurrent.futures.wait arms a
        waiter on each one, every time)."""
        self._ready: deque[_Pending] = deque()
        self._delayed: list[tuple[float, int, _Pending]] = []
        self._finished: deque[FileResult] = deque()
        self._timed_out: set[int] = set()
        self._mean_s: float | None = None
        self._orders = 0
        self._timeouts_checked_at = 0.0
        self._startless_deaths = 0
        self._work_root: Path | None = None
        self._sigterm_handler: Any = None
        """The handler our own replaced while the batch runs, or None."""

    # -- the loop ----------------------------------------------------------------------
    def run(self, inputs: Iterator[Any]) -> Iterator[FileResult]:
        self._inputs = enumerate(inputs)
        interrupted = False
        try:
            self._open()
            while True:
                self._release_due_retries()
                self._fill()
                while self._finished:
                    yield self._finished.popleft()
                if self._inflight:
                    self._wait_and_collect()
                    self._check_timeouts()
                elif self._stopping or (self._exhausted and not self._ready and not self._delayed):
                    break
                elif self._delayed and not self._ready:
                    time.sleep(max(0.0, min(POLL_S, self._delayed[0][0] - time.monotonic())))
        except BaseException:  # KeyboardInterrupt, SIGTERM, GeneratorExit, or a bug
            interrupted = True
            raise
        finally:
            self._close(interrupted=interrupted)

    def _open(self) -> None:
        if self._output_dir is not None:
            # The journal's lock comes first: it also guards the work folder below.
            self._journal = Journal.open(self._output_dir, load=self._options.resume)
            self._work_root = self._output_dir / WORK_DIR_NAME
            if self._work_root.is_symlink() or self._work_root.is_file():
                self._work_root.unlink()  # a planted link (rmtree would refuse it): never follow
            shutil.rmtree(self._work_root, ignore_errors=True)  # left by a killed run
            self._work_root.mkdir(mode=0o700)
        else:
            self._work_root = Path(tempfile.mkdtemp(prefix="batchproc-"))
        self._state_dir = self._work_root / STATE_DIR_NAME
        self._state_dir.mkdir()
        if threading.current_thread() is threading.main_thread():
            self._sigterm_handler = signal.signal(signal.SIGTERM, _interrupt) or signal.SIG_DFL
        self._pool = make_pool(self._options)

    def _close(self, *, interrupted: bool) -> None:
        if self._sigterm_handler is not None:
            signal.signal(signal.SIGTERM, self._sigterm_handler)
        try:
            if interrupted:
                for future in self._inflight:
                    future.cancel()
            if self._pool is not None:
                self._pool.stop(interrupted=interrupted)
        finally:
            if self._journal is not None:
                self._journal.close()
            if self._work_root is not None:
                shutil.rmtree(self._work_root, ignore_errors=True)

    # -- feeding work ------------------------------------------------------------------
    def _fill(self) -> None:
        """Submit work orders until the window is full or nothing is ready."""
        assert self._pool is not None
        while not self._stopping and len(self._inflight) < self._options.window:
            if self._inflight and self._host.low():
                return  # let running files finish before adding more
            pendings = self._take(self._order_size())
            if self._stopping:  # an input failed before work and continue_on_error=False
                for pending in pendings:
                    self._live.pop(pending.index, None)
                return
            if not pendings:
                return
            self._orders += 1
            order = WorkOrder(
                self._spec,
                self._pipeline,
                tuple(p.task() for p in pendings),
                self._output_dir,
                self._work_root,
                self._orders,
            )
            try:
                future = self._pool.submit(order)
                self._inflight[future] = order
                future.add_done_callback(self._completed.put)
            except BrokenProcessPool:  # a worker died since we last looked
                self._rerun(pendings)
                self._recover_from_dead_worker()

    def _take(self, size: int) -> list[_Pending]:
        """Up to `size` inputs: re-runs first, then new inputs. A suspect goes alone."""
        taken: list[_Pending] = []
        while len(taken) < size:
            if self._ready:
                if self._ready[0].crashes and taken:
                    break
                pending = self._ready.popleft()
                taken.append(pending)
                if pending.crashes:
                    break
                continue
            if self._exhausted or self._stopping or len(self._finished) >= BACKLOG:
                break
            pending = self._next_input()
            if pending is not None:
                taken.append(pending)
        return taken

    def _next_input(self) -> _Pending | None:
        """The next input as a _Pending, or None when it ended already (skipped, or
        failed before work) or the inputs are exhausted."""
        try:
            index, value = next(self._inputs)
        except StopIteration:
            self._exhausted = True
            return None
        try:
            source = self._pool.admit(Source.from_user(value))  # type: ignore[union-attr]
        except Exception as exc:  # unsupported type, unreadable file object, refused by the pool
            label = _describe(value)
            self._finish(FileResult(index, value, label, error=portable_error(exc, label), attempts=0))
            return None
        try:
            expansion = self._namer.claim(name=source.stem, index=index)
        except BatchprocError as exc:
            self._finish(FileResult(index, value, source.label, error=exc.with_source(source.label), attempts=0))
            return None
        key = None
        if self._journal is not None:
            key = journal_key(source.identity(), self._fingerprint, expansion)
            names = self._journal.finished_outputs(key)
            if names and outputs_present(names, self._output_dir):  # type: ignore[arg-type]
                self._finish(
                    FileResult(index, value, source.label, output=self._output(list(names)), attempts=0, skipped=True)
                )
                return None
        pending = _Pending(index, value, source, expansion, key)
        self._live[index] = pending
        return pending

    def _order_size(self) -> int:
        if self._options.mode == "serial" or self._mean_s is None:
            return 1
        if self._options.file_timeout_s is not None and not self._pool.can_kill:  # type: ignore[union-attr]
            return 1  # a best-effort timeout abandons a whole order
        return max(1, min(MAX_ORDER_SIZE, int(TARGET_ORDER_S / max(self._mean_s, 1e-4))))

    def _release_due_retries(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            self._ready.append(heapq.heappop(self._delayed)[2])

    # -- results -----------------------------------------------------------------------
    def _wait_and_collect(self) -> None:
        timeout = None
        if self._options.file_timeout_s is not None or self._delayed:
            timeout = POLL_S
        try:
            done = {self._completed.get(timeout=timeout)}
        except queue.Empty:
            return
        while not self._completed.empty():
            done.add(self._completed.get_nowait())
        # Submission order; a future no longer in flight (re-run after a dead worker,
        # cancelled by a stop) was dealt with already.
        for future in [f for f in self._inflight if f in done]:
            order = self._inflight.pop(future)
            if future.cancelled():  # by the executor itself (Dask's scheduler): ours leave _inflight
                self._order_failed(order, CancelledError())
                continue
            error = future.exception()
            if error is None:
                for outcome in future.result():
                    self._settle(outcome)
            elif isinstance(error, BrokenProcessPool) and isinstance(self._pool, ProcessPool):
                self._inflight[future] = order
                self._recover_from_dead_worker()
                return
            else:
                self._order_failed(order, error)

    def _settle(self, outcome: Any) -> None:
        pending = self._live.get(outcome.index)
        if pending is None:  # a late result of a file already reported as timed out
            if self._output_dir is not None and outcome.error is None and outcome.index in self._timed_out:
                for name in outcome.outputs:
                    (self._output_dir / name).unlink(missing_ok=True)
            return
        self._mean_s = outcome.seconds if self._mean_s is None else 0.8 * self._mean_s + 0.2 * outcome.seconds
        pending.attempts += 1
        error = outcome.error
        if error is None:
            del self._live[pending.index]
            if self._journal is not None:
                self._journal.record(pending.key, outcome.outputs)  # type: ignore[arg-type]
            self._finish(
                FileResult(
                    pending.index,
                    pending.input,
                    pending.source.label,
                    output=self._output(outcome.outputs),
                    attempts=pending.attempts,
                    seconds=outcome.seconds,
                )
            )
        elif should_retry(error, pending.attempts, self._options.max_retries):
            due = time.monotonic() + backoff_delay_s(error, pending.attempts)
            heapq.heappush(self._delayed, (due, pending.index, pending))
        else:
            self._fail(pending, error, seconds=outcome.seconds)

    def _recover_from_dead_worker(self) -> None:
        """A worker died and took our process pool down. Fail the input it was on; re-run
        every other input that was in flight (not counted as an attempt)."""
        pool = self._pool
        assert isinstance(pool, ProcessPool)
        died = pool.restart()  # every future is final after this
        deaths = attribute_deaths(died, {b.pid: b.index for b in busy_workers(self._state_dir)})
        clear_markers(self._state_dir)
        if deaths.startless:
            self._startless_deaths += 1
            if self._startless_deaths >= MAX_STARTLESS_DEATHS:
                raise WorkerCrashedError(f"worker processes keep dying before they start a file (exit codes {died})")
        lost: list[_Pending] = []
        for future, order in list(self._inflight.items()):
            del self._inflight[future]
            if not future.cancelled() and future.exception() is None:
                for outcome in future.result():
                    self._settle(outcome)
            else:
                lost += [self._live[t.index] for t in order.tasks if t.index in self._live]
        rerun: list[_Pending] = []
        for pending in lost:
            if pending.index in deaths.culprits:
                pending.attempts += 1
                error = death_error(
                    deaths.culprits[pending.index],
                    timed_out=pending.index in self._timed_out,
                    file_timeout_s=self._options.file_timeout_s,
                    memory_limit_bytes=self._options.memory_limit_bytes,
                )
                self._fail(pending, error)
                continue
            if pending.index in deaths.suspects:
                pending.crashes += 1
                if pending.crashes >= 2:
                    pending.attempts += 1
                    self._fail(pending, WorkerCrashedError("a worker process died twice while processing it"))
                    continue
            rerun.append(pending)
        self._rerun(rerun)

    def _order_failed(self, order: WorkOrder, error: BaseException) -> None:
        """The executor could not run an order (a Dask worker lost, a pickling error).
        If the pool can tell which inputs caused it, they fail and the others run again.
        Else alone, the input fails; with others, each is retried alone to find which."""
        pendings = [self._live[t.index] for t in order.tasks if t.index in self._live]
        blamed = self._pool.blame(order, error)  # type: ignore[union-attr]
        if blamed is not None:
            for pending in pendings:
                if pending.index in blamed:
                    pending.attempts += 1
                    self._fail(pending, blamed[pending.index])
            self._rerun([p for p in pendings if p.index not in blamed])
            return
        if len(pendings) == 1:
            pending = pendings[0]
            pending.attempts += 1
            self._fail(pending, WorkerCrashedError(f"the executor failed running it: {type(error).__name__}: {error}"))
            return
        for pending in pendings:
            pending.crashes = max(pending.crashes, 1)
        self._rerun(pendings)

    def _check_timeouts(self) -> None:
        limit = self._options.file_timeout_s
        now = time.monotonic()
        if limit is None or self._options.mode == "serial" or now - self._timeouts_checked_at < POLL_S:
            return
        self._timeouts_checked_at = now
        wall = time.time()
        for busy in busy_workers(self._state_dir):
            if wall - busy.started_at <= limit or busy.index in self._timed_out or busy.index not in self._live:
                continue
            self._timed_out.add(busy.index)
            if isinstance(self._pool, ProcessPool):
                self._pool.kill(busy.pid)  # the pool breaks; _recover_from_dead_worker reports it
            else:
                pending = self._live[busy.index]
                pending.attempts += 1
                self._fail(
                    pending,
                    FileTimeoutError(
                        f"ran longer than file_timeout ({limit:g} s); this executor cannot stop a "
                        "running file, so it runs on in the background (its outputs are discarded)"
                    ),
                )

    # -- endings -----------------------------------------------------------------------
    def _finish(self, record: FileResult) -> None:
        self._finished.append(record)
        if not record.ok and not self._options.continue_on_error:
            self._stop()

    def _fail(self, pending: _Pending, error: BaseException, *, seconds: float = 0.0) -> None:
        self._live.pop(pending.index, None)
        if isinstance(error, BatchprocError):
            error.with_source(pending.source.label)
        self._finish(
            FileResult(
                pending.index,
                pending.input,
                pending.source.label,
                error=error,
                attempts=pending.attempts,
                seconds=seconds,
            )
        )

    def _stop(self) -> None:
        """continue_on_error=False: take no more inputs, cancel queued orders, drop
        re-runs and retries; orders already running finish and are reported.

        Only our own pools' cancel() is trusted: a caller's executor (Dask) may report a
        future cancelled whose task already ran, so its in-flight orders are drained."""
        self._stopping = True
        for future, order in list(self._inflight.items()):
            if self._pool.owned and future.cancel():  # type: ignore[union-attr]
                del self._inflight[future]
                self._drop(order)
        for pending in [*self._ready, *(entry[2] for entry in self._delayed)]:
            self._live.pop(pending.index, None)
        self._ready.clear()
        self._delayed.clear()

    def _rerun(self, pendings: list[_Pending]) -> None:
        """Queue inputs to run again, ahead of new ones (dropped once the batch stops)."""
        if self._stopping:
            for pending in pendings:
                self._live.pop(pending.index, None)
        else:
            self._ready.extendleft(reversed(pendings))

    def _drop(self, order: WorkOrder) -> None:
        for task in order.tasks:
            self._live.pop(task.index, None)

    def _output(self, outputs: list) -> Output:
        if self._output_dir is not None:
            outputs = [self._output_dir / name for name in outputs]
        if self._pipeline.kind == "edit" and len(outputs) == 1:
            return outputs[0]
        return outputs


def _output_folder(output_dir: str | os.PathLike[str] | None) -> Path | None:
    if output_dir is None:
        return None
    folder = Path(os.fspath(output_dir)).absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputWriteError(f"cannot create output_dir {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputWriteError(f"output_dir {folder} is not writable")
    return folder


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM handler during a batch: stop like Ctrl-C (clean up, then raise)."""
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")
