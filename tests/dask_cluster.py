"""A real Dask cluster for tests: `dask scheduler` and `dask worker` processes on
127.0.0.1, random ports, each in its own session so it can be torn down (or killed, to
lose a worker) as a whole process group: a worker's nanny and its worker process.

Workers run with the repository on PYTHONPATH, so the tests' fault-injection operations
(tests.fault_ops) import there; the batch runner tells them to (DaskPool passes on
BATCHPROC_EXTRA_OPERATIONS, as the local pool does).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DASK = Path(sys.executable).parent / "dask"
START_TIMEOUT_S = 90.0
ALLOWED_FAILURES = 1
"""The scheduler's `allowed-failures`: a task whose workers die twice ends with KilledWorker
(Dask's default is 3; fewer worker restarts keep the poison-file test short)."""


class DaskProcesses:
    """Start with `start(workers=2)`; `close()` stops every process it started."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.address = ""
        self._procs: dict[str, subprocess.Popen] = {}
        python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        self._env = dict(os.environ, PYTHONPATH=python_path)
        self._env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(ALLOWED_FAILURES)
        self._env.pop("BATCHPROC_EXTRA_OPERATIONS", None)  # the runner must pass it on itself

    def start(self, *, workers: int) -> "DaskProcesses":
        scheduler_file = self.folder / "scheduler.json"
        self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(scheduler_file), "--idle-timeout", "600s")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.address:
            if self._procs["scheduler"].poll() is not None:
                raise RuntimeError(f"dask scheduler exited: {self.log('scheduler')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"dask scheduler did not start: {self.log('scheduler')}")
            time.sleep(0.1)
            try:
                self.address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                continue
        for n in range(workers):
            self.add_worker(f"worker-{n}")
        return self

    def add_worker(self, name: str) -> None:
        self._spawn(name, "worker", self.address, "--nworkers", "1", "--nthreads", "1", "--host", "127.0.0.1",
                    "--no-dashboard", "--name", name, "--local-directory", str(self.folder / name),
                    "--death-timeout", "60s")

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker's nanny and worker process: a host lost mid-batch."""
        os.killpg(self._procs[name].pid, signal.SIGKILL)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]

    def close(self) -> None:
        for proc in self._procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self._procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # the nanny's worker process too
            proc.wait()

    def _spawn(self, name: str, *argv: str) -> None:
        with open(self.folder / f"{name}.log", "wb") as log:
            self._procs[name] = subprocess.Popen(
                [str(DASK), *argv], cwd=self.folder, env=self._env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass
