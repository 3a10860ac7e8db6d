"""The tests' DWS server (tests/dws_server) in a process of its own, with added latency.

    python -m benchmarks.remote_server --latency-ms 50 [--echo]   # prints its base URL,
                                                                  # serves until stdin closes

A separate process keeps the server's CPU work and GIL off the client's, as with a real
remote API; `serving(...)` starts one for the duration of a `with` block.

`--echo` keeps everything of the server (HTTP, auth, multipart parsing, strict schema
validation, the latency) but answers with the uploaded document instead of executing
the instructions: the test server executes one request at a time (pdfium is not
thread-safe), on the same two cores as the client, which would cap the throughput a
client can reach at that server's speed, not measure the client's scaling.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

API_KEY = "pdf_live_BENCHMARK_0123456789"
REPO_ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def serving(latency_ms: float, *, echo: bool = False) -> Iterator[str]:
    """Run the server in a child process; yields its base URL."""
    command = [sys.executable, "-m", "benchmarks.remote_server", "--latency-ms", str(latency_ms)]
    command += ["--echo"] if echo else []
    child = subprocess.Popen(command, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the benchmark DWS server did not start (exit code {child.wait()})")
        yield url
    finally:
        child.stdin.close()  # the server's signal to stop
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.remote_server")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--echo", action="store_true", help="answer with the upload; do not execute")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    from tests.dws_server import DWSTestServer
    from tests.dws_server import server as server_module

    server = DWSTestServer(api_key=API_KEY, latency_s=args.latency_ms / 1000)
    if args.echo:
        server_module.execute = _echo
        server._execute_lock = contextlib.nullcontext()  # nothing left to serialise
    server.start()
    try:
        print(server.base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        server.stop()


def _echo(instructions: Any, files: dict[str, tuple[str, bytes]], password: str | None) -> tuple[bytes, str]:
    """The first uploaded file, unchanged: the server's answer in --echo mode."""
    _, data = next(iter(files.values()))
    return data, "application/pdf"


if __name__ == "__main__":
    main()
