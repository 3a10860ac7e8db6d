"""The worker side of the batch runner: what runs in a pool process, a thread, or a Dask
worker. `run_chunk` is module-level and takes and returns small picklable records, so
the same function runs on every executor.

For each input of a work order the worker marks the input as started (see tracking),
runs the whole pipeline in a private folder, moves the outputs into output_dir under
their final names (an atomic rename: the private folder is inside output_dir), and
returns a small `Outcome`: the output names, or the bytes when there is no output_dir,
or an error that is sure to pickle.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import secrets
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ..engines.base import EngineSpec
from ..engines.chain import run_pipeline
from ..errors import BatchprocError, MemoryLimitError
from ..inputs import Source
from ..operations import EXTRA_OPERATIONS_ENV, load_all
from ..outputs import commit
from ..pipeline import Pipeline
from .memory import recycle_if_over_limit, start_worker_watchdog
from .naming import final_name
from .tracking import TaskMarker

STATE_DIR_NAME = "tasks"


@dataclass(frozen=True)
class Task:
    """One input to process: its position, the input, and its output-name expansion."""

    index: int
    source: Source
    expansion: str


@dataclass(frozen=True)
class WorkOrder:
    """A few inputs for one worker call. `serial` makes every order unique, so executors
    that cache by arguments (Dask) never hand back an earlier attempt's result."""

    spec: EngineSpec
    pipeline: Pipeline
    tasks: tuple[Task, ...]
    output_dir: Path | None
    work_root: Path
    serial: int = 0


@dataclass(frozen=True)
class Outcome:
    """How one task ended: `outputs` (names in output_dir, or bytes) or `error`."""

    index: int
    outputs: Union[list[str], list[bytes], None]
    error: BaseException | None = None
    seconds: float = 0.0


def run_chunk(order: WorkOrder) -> list[Outcome]:
    """Run the order's pipeline on each of its inputs, one after the other."""
    slot = _slot(order.work_root)
    try:
        return [_run_one(order, task, slot) for task in order.tasks]
    finally:
        slot.marker.idle()


def init_process_worker(memory_limit_bytes: int | None, extra_operations: str | None, parent_pid: int) -> None:
    """Initializer of the runner's own pool processes.

    The parent decides what an interrupt means, so workers ignore SIGINT; they die with
    the batch's parent (the watchdog's check of `parent_pid`, plus PR_SET_PDEATHSIG for
    their OS parent, the fork server), and the watchdog enforces the memory limit.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's OpenMP thrashes on few cores
    if extra_operations:
        os.environ[EXTRA_OPERATIONS_ENV] = extra_operations
    load_all()
    start_worker_watchdog(memory_limit_bytes, parent_pid)


def _run_one(order: WorkOrder, task: Task, slot: "_Slot") -> Outcome:
    recycle_if_over_limit()
    started = time.perf_counter()
    slot.marker.started(task.index)
    workdir = slot.folder
    label = task.source.label
    try:
        artifacts = run_pipeline(order.spec, order.pipeline, task.source, workdir)
        if order.output_dir is None:
            outputs: list = [a.path.read_bytes() for a in artifacts]
        else:
            outputs = []
            for artifact in artifacts:
                name = final_name(task.expansion, artifact)
                commit(artifact.path, order.output_dir / name, source=label)
                outputs.append(name)
        return Outcome(task.index, outputs, seconds=time.perf_counter() - started)
    except Exception as exc:  # every failure becomes this file's picklable error
        return Outcome(task.index, None, portable_error(exc, label), time.perf_counter() - started)
    finally:
        _empty(workdir)


def portable_error(exc: BaseException, label: str) -> BaseException:
    """`exc` as an error that survives pickling and names the input.

    batchproc's errors are returned as they are (when they pickle); anything foreign
    becomes a BatchprocError carrying the foreign type's name and message.
    """
    if isinstance(exc, MemoryError):
        return MemoryLimitError(f"ran out of memory: {exc or 'MemoryError'}", source=label)
    if isinstance(exc, BatchprocError):
        exc.with_source(label)
        try:
            pickle.loads(pickle.dumps(exc))
            return exc
        except Exception:
            pass
    return BatchprocError(f"unexpected {type(exc).__name__}: {exc}", source=label, error_type=type(exc).__name__)


def _empty(folder: Path) -> None:
    """Remove what a file left in the private folder. The folder itself is reused:
    creating and removing a folder per file costs milliseconds on some filesystems."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)


class _Slot:
    """A worker's private folder and marker file, one per process and thread."""

    def __init__(self, work_root: Path) -> None:
        self.folder = work_root / f"{os.getpid()}-{secrets.token_hex(4)}"
        self.folder.mkdir(mode=0o700, parents=True)
        self.marker = TaskMarker(work_root / STATE_DIR_NAME)


_slots = threading.local()


def _slot(work_root: Path) -> _Slot:
    """This thread's slot for `work_root`; rebuilt if the folder was removed since (a
    long-lived Dask worker serving a second batch into the same output_dir)."""
    slot: _Slot | None = getattr(_slots, "slot", None)
    if slot is None or slot.folder.parent != work_root or not slot.folder.is_dir():
        if slot is not None:
            slot.marker.close()
        slot = _slots.slot = _Slot(work_root)
    return slot


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
