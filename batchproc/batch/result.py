"""What a batch returns: one small record per file, and the totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

Output = Union[Path, bytes, list[Path], list[bytes]]
"""A file's output: the written path (or paths, for split/images) when `output_dir` is set,
else the bytes (or list of bytes)."""


@dataclass
class FileResult:
    """How one input ended. Exactly one of `output` and `error` is set.

    `input` is what the caller passed; `label` how messages name it; `attempts` how many
    times it was tried (0 when `skipped`: done by an earlier run, per the resume journal).
    """

    index: int
    input: Any
    label: str
    output: Output | None = None
    error: BaseException | None = None
    attempts: int = 1
    seconds: float = 0.0
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BatchResult:
    """The outcome of `Client.batch_process`.

    `successful` holds (input, output) pairs, `failed` (input, exception) pairs, both in
    order of completion. Files skipped because an earlier run finished them count as
    successful, with the output recorded then; `skipped` says how many.
    """

    successful: list[tuple[Any, Output]] = field(default_factory=list)
    failed: list[tuple[Any, BaseException]] = field(default_factory=list)
    processing_time: float = 0.0
    skipped: int = 0
    interrupted: bool = False

    @property
    def total_processed(self) -> int:
        return len(self.successful) + len(self.failed)

    @property
    def success_rate(self) -> float:
        """Percent of processed files that succeeded; 0.0 for an empty batch."""
        total = self.total_processed
        return 100.0 * len(self.successful) / total if total else 0.0

    def add(self, record: FileResult) -> None:
        if record.ok:
            self.successful.append((record.input, record.output))  # type: ignore[arg-type]
            self.skipped += record.skipped
        else:
            self.failed.append((record.input, record.error))  # type: ignore[arg-type]
