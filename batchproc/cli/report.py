"""The per-file report of `batchproc run --report FILE`, written as files finish.

One record per input: input, output, status (ok, skipped, failed), error type and
message, attempts, seconds. A name ending in .csv gives CSV (several outputs of one input
joined with "; "), anything else a JSON list. Each record is written and flushed when
its file finishes, so a huge batch holds no records and an interrupted run leaves a
report of what was done; the JSON list is closed even then.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, TextIO

from ..batch.result import FileResult
from ..errors import ValidationError

FIELDS = ("input", "output", "status", "error_type", "error_message", "attempts", "seconds")


def record_of(result: FileResult) -> dict[str, Any]:
    """The report's record for one finished file."""
    error = result.error
    return {
        "input": result.label,
        "output": _output_names(result.output),
        "status": "failed" if error is not None else "skipped" if result.skipped else "ok",
        "error_type": type(error).__name__ if error is not None else None,
        "error_message": (getattr(error, "message", None) or str(error)) if error is not None else None,
        "attempts": result.attempts,
        "seconds": round(result.seconds, 3),
    }


class ReportWriter:
    """Streams records to `path`; use as a context manager. Opened at once, so a report
    that cannot be written is a usage error before any file is processed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_csv = path.suffix.lower() == ".csv"
        try:
            self._file: TextIO = path.open("w", encoding="utf-8", newline="" if self.is_csv else None)
        except OSError as exc:
            raise ValidationError(f"cannot write the report {path}: {exc.strerror or exc}") from None
        self._count = 0
        if self.is_csv:
            self._csv = csv.DictWriter(self._file, fieldnames=FIELDS)
            self._csv.writeheader()
        else:
            self._file.write("[")
        self._file.flush()

    def write(self, result: FileResult) -> None:
        record = record_of(result)
        if self.is_csv:
            output = record["output"]
            self._csv.writerow({**record, "output": "; ".join(output) if isinstance(output, list) else output})
        else:
            self._file.write(("," if self._count else "") + "\n  " + json.dumps(record, ensure_ascii=False))
        self._count += 1
        self._file.flush()

    def close(self) -> None:
        if self._file.closed:
            return
        if not self.is_csv:
            self._file.write("\n]\n")
        self._file.close()

    def __enter__(self) -> "ReportWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _output_names(output: Any) -> str | list[str] | None:
    if output is None:
        return None
    if isinstance(output, list):
        return [_output_name(o) for o in output]
    return _output_name(output)


def _output_name(output: Any) -> str:
    if isinstance(output, (bytes, bytearray)):
        return f"<{len(output)} bytes>"
    return os.fspath(output)
