"""Moving bytes to and from a DWS server: one urllib3 connection pool, streamed multipart
uploads, streamed downloads, and the one place where HTTP statuses and network failures
become batchproc errors.

urllib3 directly, not requests over it: requests' per-request preparation cost about
0.5 ms of CPU (GIL held), a sixth of what a thread spends per remote file, and the
threads of a remote batch share one GIL. The proxy and CA-bundle environment is read
once, as requests would read it.

The transport does not retry: it raises transient errors (429, 502/503/504, network
failures) and the caller's retry policy decides (batchproc.retry).
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_environ_proxies

from ...errors import (
    APIError,
    APIValidationError,
    AuthenticationError,
    NetworkError,
    PayloadTooLargeError,
    PaymentRequiredError,
    RateLimitedError,
    ServerError,
)
from .multipart import CHUNK_BYTES, MultipartBody
from .options import DWSOptions

MAX_RETRY_AFTER_S = 3600.0
"""A longer Retry-After (or a garbled one that parses as huge) is read as this."""
POOL_CONNECTIONS = 64
"""Connections kept per host: more than any sensible max_workers, so threads never wait."""
ERROR_BODY_BYTES = 1 << 16


@dataclass(frozen=True)
class Upload:
    """One file part: `content` is a path (streamed from disk) or bytes."""

    filename: str
    content: Path | bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class BuildResult:
    """What a successful /build returned, besides the body written to disk."""

    content_type: str
    request_id: str | None
    cost: float | None


class Transport:
    """A connection pool to one DWS server. Thread-safe for concurrent `build` calls."""

    def __init__(self, options: DWSOptions) -> None:
        self.base_url = options.base_url
        self.timeout = urllib3.Timeout(connect=options.connect_timeout_s, read=options.read_timeout_s)
        self.proxy: str | None = get_environ_proxies(self.base_url).get(self.base_url.split(":", 1)[0])
        """The proxy the environment names for the server (HTTPS_PROXY and NO_PROXY, read once)."""
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or DEFAULT_CA_BUNDLE_PATH
        pool_options: dict[str, Any] = {
            "maxsize": POOL_CONNECTIONS,
            "cert_reqs": "CERT_REQUIRED",
            ("ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"): bundle,  # as requests reads them
        }
        self._pool = urllib3.ProxyManager(self.proxy, **pool_options) if self.proxy else urllib3.PoolManager(**pool_options)
        self.__headers = {"Authorization": f"Bearer {options.api_key}", "User-Agent": user_agent()}

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        self._pool.clear()

    def build(self, instructions: dict[str, Any], uploads: dict[str, Upload], target: Path) -> BuildResult:
        """POST /build; stream the body of a 200 to `target`, or raise the mapped error.

        Our errors are raised outside the `except` blocks on purpose: they then carry no
        __context__, so a pickler that keeps exception chains (tblib, installed by Dask)
        never meets urllib3's unpicklable internals.
        """
        body = MultipartBody(
            [("instructions", json.dumps(instructions), None, None)]
            + [(name, u.content, u.filename, u.content_type) for name, u in uploads.items()]
        )
        headers = {**self.__headers, "Content-Type": body.content_type, "Content-Length": str(body.length)}
        failure: NetworkError | None = None
        try:
            response = self._pool.urlopen(
                "POST", f"{self.base_url}/build", body=body.chunks(), headers=headers, timeout=self.timeout,
                retries=False, redirect=False, preload_content=False, chunked=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            failure = network_error(exc)
        if failure is not None:
            raise failure
        done = False
        try:
            if response.status != 200:
                raise error_from_response(response)
            request_id = _header_request_id(response)
            try:
                with target.open("wb") as out:
                    for chunk in response.stream(CHUNK_BYTES):
                        out.write(chunk)
            except urllib3.exceptions.HTTPError as exc:
                failure = network_error(exc, request_id=request_id)
            if failure is not None:
                raise failure
            done = True
            return BuildResult(
                content_type=response.headers.get("Content-Type", ""),
                request_id=request_id,
                cost=_float(response.headers.get("x-pspdfkit-request-cost")),
            )
        finally:
            if not done:
                response.close()  # a body left unread or broken: the connection is not reused
            response.release_conn()


def user_agent() -> str:
    """`batchproc/<installed version>`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"batchproc/{version('batchproc')}"
    except PackageNotFoundError:
        return "batchproc/0.0.0-dev"


def network_error(exc: Exception, *, request_id: str | None = None) -> NetworkError:
    """A urllib3 failure (no usable response) as our transient NetworkError."""
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        what = "could not connect in time"
    elif isinstance(exc, urllib3.exceptions.TimeoutError):
        what = "the server did not answer within the read timeout"
    elif isinstance(exc, (urllib3.exceptions.ProtocolError, urllib3.exceptions.NewConnectionError,
                          urllib3.exceptions.ProxyError, urllib3.exceptions.SSLError)):
        what = "the connection failed"
    else:
        what = "the request failed"
    # type(exc).__name__ only: urllib3's messages can carry URLs with query strings.
    return NetworkError(f"DWS request failed: {what} ({type(exc).__name__})", request_id=request_id)


def error_from_response(response: urllib3.BaseHTTPResponse) -> APIError:
    """The batchproc error for a non-200 answer (body read, at most 64 KiB)."""
    status = response.status
    body = _json_body(response)
    request_id = _header_request_id(response) or _str(body.get("requestId"))
    details = _str(body.get("details")) or _str(body.get("message")) or response.reason or "no details"
    message = f"DWS answered {status}: {details}"
    common: dict[str, Any] = {"status": status, "request_id": request_id}
    if status in (401, 403):
        return AuthenticationError(message, **common)
    if status == 402:
        return PaymentRequiredError(message, **common)
    if status in (400, 422):
        listed = body.get("failingPaths")
        paths = [
            {"path": _str(p.get("path")), "details": _str(p.get("details"))}
            for p in (listed if isinstance(listed, list) else [])
            if isinstance(p, dict)
        ]
        if paths:
            message += " (" + "; ".join(f"{p['path']}: {p['details']}" for p in paths) + ")"
        return APIValidationError(message, failing_paths=paths, **common)
    if status == 413:
        return PayloadTooLargeError(message, **common)
    if status == 429:
        return RateLimitedError(message, retry_after_s=retry_after_s(response.headers.get("Retry-After")), **common)
    if status >= 500:
        return ServerError(message, retry_after_s=retry_after_s(response.headers.get("Retry-After")), **common)
    return APIError(message, **common)


def retry_after_s(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP-date), at
    most MAX_RETRY_AFTER_S; None when the header is absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,12}", value):
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
        delay = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, OverflowError, IndexError, AttributeError):
        return None
    return min(max(0.0, delay), MAX_RETRY_AFTER_S)


def _json_body(response: urllib3.BaseHTTPResponse) -> dict[str, Any]:
    try:
        body = json.loads(response.read(ERROR_BODY_BYTES, decode_content=True))
    except (ValueError, OSError, urllib3.exceptions.HTTPError):
        return {}
    return body if isinstance(body, dict) else {}


def _header_request_id(response: urllib3.BaseHTTPResponse) -> str | None:
    return response.headers.get("X-Request-Id")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
