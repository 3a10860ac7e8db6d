"""The tests' DWS server (tests/dws_server) in a process of its own, with added latency.

    python -m benchmarks.remote_server --latency-ms 50    # prints its base URL, serves
                                                          # until stdin closes

A separate process keeps the server's CPU work and GIL off the client's, as with a real
remote API; `serving(...)` starts one for the duration of a `with` block.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Iterator

API_KEY = "pdf_live_BENCHMARK_0123456789"
REPO_ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def serving(latency_ms: float) -> Iterator[str]:
    """Run the server in a child process; yields its base URL."""
    command = [sys.executable, "-m", "benchmarks.remote_server", "--latency-ms", str(latency_ms)]
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
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    from tests.dws_server import DWSTestServer

    server = DWSTestServer(api_key=API_KEY, latency_s=args.latency_ms / 1000).start()
    try:
        print(server.base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        server.stop()


if __name__ == "__main__":
    main()
