"""Batches on a Dask cluster: the pool behind `cluster=` and behind a Dask `executor=`.

Each work order is one Dask task running `worker.run_chunk`, the local process pool's own
worker function: the whole chain of each input runs in one task on one Dask worker, which
writes the outputs straight into output_dir and sends back only small Outcome records.
Everything that decides (the in-flight window, retries, the resume journal, progress,
continue_on_error) stays in the parent, exactly as with the local pool. `distributed` is
imported only when a batch runs on Dask (`pip install 'batchproc[dask]'`).

What the workers need:
- batchproc and the same system programs as a local run (Ghostscript, Tesseract,
  LibreOffice, qpdf) on every worker host;
- input paths and output_dir on storage every worker mounts at the same path as the
  parent. A worker that cannot see output_dir fails its files with OutputWriteError
  instead of writing where the parent cannot see. Relative input paths are made absolute
  in the parent (a worker's working folder is wherever it was started);
- one thread per worker process (`dask worker --nthreads 1 --nworkers N`): pdfium must
  never run on two threads of one process.

bytes and file-object inputs travel inside the task, through the scheduler; one larger
than MAX_SHIPPED_INPUT_BYTES fails alone with ValidationError (give a path instead).

Worker deaths: Dask itself re-runs a lost worker's tasks on other workers. A task whose
workers die more than `distributed.scheduler.allowed-failures` times (default 3) ends with
`distributed.KilledWorker`; `DaskPool.blame` turns that into a WorkerCrashedError for the
input the last dead worker had started (its tracking marker says which) and has the other
inputs of the order, bystanders that were only queued there, run again.

file_timeout is best effort, as with threads: distributed cannot stop a running task, so
a file past its deadline is reported as timed out, its task runs on, and its outputs are
discarded when it ends.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from concurrent.futures import CancelledError, Executor, Future
from dataclasses import replace
from typing import Any

from ..errors import DependencyError, OutputWriteError, ValidationError, WorkerCrashedError
from ..inputs import Source
from ..operations import EXTRA_OPERATIONS_ENV, load_all
from .pools import Pool
from .tracking import busy_workers
from .worker import STATE_DIR_NAME, Outcome, WorkOrder, run_chunk

MAX_SHIPPED_INPUT_BYTES = 8 << 20
"""The largest bytes input sent to a cluster inside a task; larger ones must be paths."""
CONNECT_TIMEOUT_S = 10.0
"""How long `cluster="tcp://..."` waits for the scheduler before giving up."""
MAX_BYSTANDER_RERUNS = 3
"""Times an input is run again after its task was lost without blame (workers died while
it was queued on them, or the scheduler dropped it) before it fails as well."""


def import_distributed() -> Any:
    """The `distributed` module, or DependencyError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise DependencyError(
            "running a batch on a Dask cluster needs Dask distributed: pip install 'batchproc[dask]'"
        ) from None
    return distributed


def is_dask_executor(executor: Any) -> bool:
    """True for a Dask client's executor (`client.get_executor()`); imports nothing."""
    return type(executor).__module__.partition(".")[0] == "distributed"


def check_cluster(cluster: Any) -> None:
    """ValidationError unless `cluster` is a scheduler address or a distributed.Client."""
    distributed = import_distributed()
    if isinstance(cluster, str) and cluster.strip():
        return
    if isinstance(cluster, distributed.Client):
        return
    raise ValidationError(
        f"cluster must be a Dask scheduler address such as 'tcp://scheduler:8786' or a "
        f"distributed.Client, got {type(cluster).__name__}"
    )


class DaskPool(Pool):
    """Work orders as Dask tasks, on a Dask client's executor.

    `owned` is False even when this pool made the client: a Dask future may report itself
    cancelled while its task runs on, so the runner drains in-flight orders instead of
    trusting cancel(). The client made for an address is closed by `stop`.
    """

    def __init__(self, executor: Executor, *, client_to_close: Any = None) -> None:
        super().__init__(executor, owned=False)
        self._client_to_close = client_to_close
        self._extra_operations = os.environ.get(EXTRA_OPERATIONS_ENV)
        self._bystander_reruns: Counter[int] = Counter()

    @classmethod
    def connect(cls, cluster: Any) -> "DaskPool":
        """A pool on `cluster`: a scheduler address (a client is made, and closed at the
        end), a distributed.Client, or a Dask client's executor."""
        if is_dask_executor(cluster) and isinstance(cluster, Executor):
            return cls(cluster)
        distributed = import_distributed()
        if isinstance(cluster, distributed.Client):
            return cls(cluster.get_executor())
        try:
            client = distributed.Client(cluster, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValidationError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from None
        return cls(client.get_executor(), client_to_close=client)

    def submit(self, order: WorkOrder) -> Future:
        # pure=False: a fresh task key for every submission, so a re-run never gets an
        # earlier attempt's (erred) task back.
        return self.executor.submit(run_on_dask_worker, order, self._extra_operations, pure=False)

    def admit(self, source: Source) -> Source:
        if source.data is not None and len(source.data) > MAX_SHIPPED_INPUT_BYTES:
            raise ValidationError(
                f"a bytes input of {len(source.data) / (1 << 20):.1f} MiB is too large to send to a Dask "
                f"cluster (limit {MAX_SHIPPED_INPUT_BYTES >> 20} MiB): pass a path on storage the workers can read",
                source=source.label,
            )
        if source.path is not None and not source.path.is_absolute():
            return replace(source, path=source.path.absolute())
        return source

    def blame(self, order: WorkOrder, error: BaseException) -> dict[int, BaseException] | None:
        """KilledWorker: the input the last dead worker had started fails; bystanders run
        again. A task the scheduler dropped (lost connection, `client.restart()`): every
        input runs again. Other errors: None, the runner's own handling."""
        distributed = import_distributed()
        if isinstance(error, distributed.KilledWorker):
            pid = getattr(error.last_worker, "pid", None)
            started = {b.index for b in busy_workers(order.work_root / STATE_DIR_NAME) if b.pid == pid}
            deaths = error.allowed_failures + 1
            crash = f"the Dask workers running it died {deaths} times (distributed.KilledWorker)"
        elif isinstance(error, CancelledError):
            started, crash = set(), ""
        else:
            return None
        blamed: dict[int, BaseException] = {}
        for task in order.tasks:
            if task.index in started:
                blamed[task.index] = WorkerCrashedError(crash)
                continue
            self._bystander_reruns[task.index] += 1
            if self._bystander_reruns[task.index] > MAX_BYSTANDER_RERUNS:
                blamed[task.index] = WorkerCrashedError(
                    f"its Dask task was lost {MAX_BYSTANDER_RERUNS + 1} times (workers died or the "
                    f"scheduler dropped it; last: {type(error).__name__})"
                )
        return blamed

    def stop(self, *, interrupted: bool) -> None:
        """Close the client this pool made; a caller's client or executor is left open.
        Orders still queued were cancelled by the runner first."""
        if self._client_to_close is not None:
            self._client_to_close.close()


def run_on_dask_worker(order: WorkOrder, extra_operations: str | None) -> list[Outcome]:
    """The Dask task: set this worker process up as `init_process_worker` does a pool
    process (Tesseract's thread limit, the caller's extra operations), then run the order."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if extra_operations:
        os.environ[EXTRA_OPERATIONS_ENV] = extra_operations
    load_all()
    if order.output_dir is not None and not order.work_root.is_dir():
        problem = (
            f"output_dir {order.output_dir} is not visible on Dask worker host {socket.gethostname()}: "
            "every worker must mount it at the same path"
        )
        return [Outcome(t.index, None, OutputWriteError(problem, source=t.source.label)) for t in order.tasks]
    return run_chunk(order)
