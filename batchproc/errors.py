"""Every error batchproc raises, in one tree.

    BatchprocError
    ├── ValidationError                  bad input to batchproc itself, found before any work
    │   ├── OperationError               unknown method, or bad params for a step
    │   └── OutputNameError              output_format bad, escapes output_dir, or collides
    ├── DocumentError                    this document cannot be processed as asked
    │   ├── InputNotFoundError           missing path, a folder, or unreadable
    │   ├── NotAPDFError                 neither a PDF nor a convertible format
    │   ├── CorruptDocumentError         damaged beyond repair, or nothing to work on
    │   ├── PasswordRequiredError        encrypted; no password or a wrong one
    │   └── PageRangeError               a page index outside the document
    ├── UnsupportedOperationError        the engine cannot do this step faithfully
    ├── DependencyError                  a system program or language pack is missing
    ├── ResourceError                    the file exhausted a resource          (see subclasses)
    │   ├── MemoryLimitError             worker RSS passed memory_limit
    │   ├── FileTimeoutError             the file ran past file_timeout        [transient=False]
    │   ├── WorkerCrashedError           the worker process died (segfault, kill, OOM)
    │   └── OutputWriteError             the output could not be written (disk full, permission)
    ├── ExternalToolError                an external program (gs, tesseract, soffice) failed
    └── APIError                         the remote engine's server said no     (status, request_id)
        ├── AuthenticationError          401 / 403 / missing key
        ├── PaymentRequiredError         402, credits exhausted
        ├── APIValidationError           400 / 422, with the server's failing paths
        ├── PayloadTooLargeError         413
        ├── RateLimitedError             429                                  [transient]
        ├── ServerError                  5xx; 502/503/504 are transient
        └── NetworkError                 connection refused/reset, timeouts   [transient]

Every error carries `transient`: the batch runner retries transient errors with backoff
(honouring `retry_after_s`) and never retries the others. Every error carries `source`,
the input it belongs to (a path or a short description), when one is known.

All errors pickle: they cross process boundaries from pool workers and Dask workers.
Their constructor arguments are keyword-friendly and stored in `__reduce__`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BatchprocError",
    "ValidationError",
    "OperationError",
    "OutputNameError",
    "DocumentError",
    "InputNotFoundError",
    "NotAPDFError",
    "CorruptDocumentError",
    "PasswordRequiredError",
    "PageRangeError",
    "UnsupportedOperationError",
    "DependencyError",
    "ResourceError",
    "MemoryLimitError",
    "FileTimeoutError",
    "WorkerCrashedError",
    "OutputWriteError",
    "ExternalToolError",
    "APIError",
    "AuthenticationError",
    "PaymentRequiredError",
    "APIValidationError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ServerError",
    "NetworkError",
]


class BatchprocError(Exception):
    """Base of every batchproc error.

    `message` says what went wrong in plain words; `source` names the input file (or
    None when the error is not about one file); `transient` tells the batch runner whether
    a retry may succeed.
    """

    transient: bool = False

    def __init__(self, message: str, *, source: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.details = details
        for key, value in details.items():
            setattr(self, key, value)

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.source, self.details))

    def __str__(self) -> str:
        if self.source:
            return f"{self.source}: {self.message}"
        return self.message

    def with_source(self, source: str) -> "BatchprocError":
        """Return this error, naming `source` if it does not name a file yet."""
        if self.source is None:
            self.source = source
        return self


def _rebuild(cls, message, source, details):
    return cls(message, source=source, **details)


class ValidationError(BatchprocError):
    """Bad arguments to batchproc itself: found before any file is touched."""


class OperationError(ValidationError):
    """An unknown operation or a bad parameter. Names the step, the method and the param."""


class OutputNameError(ValidationError):
    """`output_format` is malformed, would write outside output_dir, or two inputs collide."""


class DocumentError(BatchprocError):
    """This document cannot be processed as asked. Permanent: retrying will not help."""


class InputNotFoundError(DocumentError):
    """The input path does not exist, is a folder, or cannot be read."""


class NotAPDFError(DocumentError):
    """The input is neither a PDF nor a format the engine can convert."""


class CorruptDocumentError(DocumentError):
    """The PDF is damaged beyond repair, or has nothing to work on (for example no pages)."""


class PasswordRequiredError(DocumentError):
    """The PDF is encrypted and no password, or a wrong one, was given."""


class PageRangeError(DocumentError):
    """A page index or range lies outside the document."""


class UnsupportedOperationError(BatchprocError):
    """The engine cannot perform this step faithfully, so it refuses instead of faking it."""


class DependencyError(BatchprocError):
    """A system program or data file is missing; the message names what to install."""


class ResourceError(BatchprocError):
    """The file exhausted a resource of the worker that processed it."""


class MemoryLimitError(ResourceError):
    """The worker's resident memory passed `memory_limit` while processing this file."""


class FileTimeoutError(ResourceError):
    """The file ran longer than `file_timeout` seconds; its worker was stopped."""


class WorkerCrashedError(ResourceError):
    """The worker process died while processing this file (signal, os._exit, OOM kill)."""


class OutputWriteError(ResourceError):
    """The output could not be written (disk full, permission denied, …)."""


class ExternalToolError(BatchprocError):
    """An external program (Ghostscript, Tesseract, LibreOffice) failed on this file."""


class APIError(BatchprocError):
    """The remote engine's server refused or failed the request.

    `status` is the HTTP status (None when no response came back), `request_id` the
    server's request id when it sent one, and `retry_after_s` the server's Retry-After.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        retry_after_s: float | None = None,
        **details: Any,
    ) -> None:
        super().__init__(
            message,
            source=source,
            status=status,
            request_id=request_id,
            retry_after_s=retry_after_s,
            **details,
        )


class AuthenticationError(APIError):
    """401/403, or no API key at all: fails fast, never retried."""


class PaymentRequiredError(APIError):
    """402: the account's credits are exhausted."""


class APIValidationError(APIError):
    """400/422: the server rejected the request; `failing_paths` lists what it named."""


class PayloadTooLargeError(APIError):
    """413: an input, or their sum, is larger than the server accepts."""


class RateLimitedError(APIError):
    """429: too many requests; retried after `retry_after_s` or with backoff."""

    transient = True


class ServerError(APIError):
    """5xx. 502, 503 and 504 are transient; other 5xx are not."""

    @property
    def transient(self) -> bool:  # type: ignore[override]
        return self.status in (502, 503, 504)


class NetworkError(APIError):
    """No usable response: connection refused or reset, or a connect/read timeout."""

    transient = True
