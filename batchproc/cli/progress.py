"""What a person watching a run sees on stderr: a progress bar while it runs (only on a
terminal), a line per failed file, and a summary at the end.

The inputs are enumerated lazily, so the number of files is not known when the first one
starts. On a terminal the bar starts open-ended while a background thread counts the
inputs (a second cheap os.scandir walk); the bar gains its total and an ETA when the count
arrives. When stderr is not a terminal, nothing is counted and no bar is drawn.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import Callable, TextIO

from ..batch.result import FileResult
from .report import record_of


class Tally:
    """Counts of a run so far: succeeded, skipped as already done, failed by error type."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.succeeded = 0
        self.skipped = 0
        self.failed: Counter[str] = Counter()

    def add(self, result: FileResult) -> None:
        if result.error is not None:
            self.failed[type(result.error).__name__] += 1
        elif result.skipped:
            self.skipped += 1
        else:
            self.succeeded += 1

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    def summary(self) -> str:
        elapsed = time.monotonic() - self.started
        processed = self.succeeded + self.failures
        rate = processed / elapsed if elapsed > 0 else 0.0
        lines = [
            f"{self.succeeded} succeeded, {self.failures} failed, {self.skipped} skipped as already done; "
            f"{elapsed:.1f} s, {rate:.1f} files/s"
        ]
        if self.failed:
            kinds = ", ".join(f"{name} {count}" for name, count in self.failed.most_common())
            lines.append(f"failed by error type: {kinds}")
        return "\n".join(lines)


class Progress:
    """The bar and the per-file lines. verbosity: -1 quiet, 0 normal, 1 verbose."""

    def __init__(self, *, verbosity: int, stream: TextIO = sys.stderr) -> None:
        from tqdm import tqdm

        self.verbosity = verbosity
        self.stream = stream
        self.tally = Tally()
        self.shows_bar = verbosity >= 0 and stream.isatty()
        self._bar = tqdm(
            total=None, unit="file", file=stream, disable=not self.shows_bar, dynamic_ncols=True, smoothing=0.05
        )
        self._counted: list[int | None] = []

    def count_in_background(self, count: Callable[[], int | None]) -> None:
        """Give the bar a total once `count()` returns one; only worth it when a bar is shown."""
        if self.shows_bar:
            threading.Thread(target=lambda: self._counted.append(count()), daemon=True, name="count-inputs").start()

    def update(self, result: FileResult) -> None:
        self.tally.add(result)
        if result.error is not None:
            record = record_of(result)
            self._say(f"failed: {record['input']}: {record['error_type']}: {record['error_message']}")
        elif self.verbosity > 0:
            record = record_of(result)
            what = "skipped (already done)" if result.skipped else "ok"
            output = record["output"]
            self._say(f"{what}: {record['input']} -> {', '.join(output) if isinstance(output, list) else output}")
        if self._counted and self._bar.total is None:
            self._bar.total = self._counted[0]
        self._bar.set_postfix(failed=self.tally.failures, refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()

    def say(self, message: str) -> None:
        """A line for the user unless quiet (the summary, hints)."""
        if self.verbosity >= 0:
            self._say(message)

    def _say(self, message: str) -> None:
        self._bar.write(message, file=self.stream)
