"""One batch in a fresh process, reporting its speed and peak memory as one JSON line.

    python -m benchmarks.probe --count 10000 --degrees 90 --workers 2 --out DIR

Runs `Client().batch_process` over `corpus.tiny_files(count)` with one rotate step, and
prints {"files", "ok", "seconds", "parent_peak_rss", "total_peak_rss"} (bytes).
`parent_peak_rss` is this process's own high-water mark (VmHWM; not getrusage's ru_maxrss,
which Linux carries over from the process that started us); `total_peak_rss` the
highest sum of this process's and its descendants' RSS seen by a 50 ms sampler (pages
shared after fork are counted once per process, so it over-states slightly).
A fresh process per size keeps one size's high-water mark out of the next one's.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import psutil

from . import corpus


class PeakRSSSampler(threading.Thread):
    """Samples the RSS of this process plus all its descendants until stopped.

    Listing descendants reads every process's /proc entry, so it is done once per
    `refresh_s` (pool workers live long; a replacement is picked up within that time),
    and RSS every `interval_s`: the sampler must not steal the CPU it measures.
    """

    def __init__(self, interval_s: float = 0.05, refresh_s: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.refresh_s = refresh_s
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        processes: list[psutil.Process] = [me]
        refreshed = 0.0
        while not self._stop_event.is_set():
            if time.monotonic() - refreshed >= self.refresh_s:
                try:
                    processes = [me, *me.children(recursive=True)]
                    refreshed = time.monotonic()
                except psutil.Error:  # a process exited mid-walk: try again next sample
                    pass
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:  # a worker that just exited
                    pass
            self.peak = max(self.peak, total)
            self._stop_event.wait(self.interval_s)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def own_peak_rss() -> int:
    """This process's peak RSS in bytes: VmHWM, which starts afresh at exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probe")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--degrees", type=int, default=90)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    from batchproc import Client

    files = [str(path) for path in corpus.tiny_files(args.count)]
    operations = [{"method": "rotate_pages", "params": {"degrees": args.degrees}}]
    sampler = PeakRSSSampler()
    sampler.start()
    start = time.perf_counter()
    result = Client().batch_process(files, operations, args.out, parallel="process", max_workers=args.workers)
    seconds = time.perf_counter() - start
    total_peak = sampler.stop()
    if result.failed:
        raise SystemExit(f"{len(result.failed)} file(s) failed, first: {result.failed[0][1]!r}")
    report = {
        "files": args.count,
        "ok": len(result.successful),
        "seconds": seconds,
        "parent_peak_rss": own_peak_rss(),
        "total_peak_rss": total_peak,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
