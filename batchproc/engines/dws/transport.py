"""Moving bytes to and from a DWS server: one requests.Session, streamed multipart uploads,
streamed downloads, and the one place where HTTP statuses and requests' exceptions become
batchproc errors.

The transport does not retry: it raises transient errors (429, 502/503/504, network
failures) and the caller's retry policy decides (batchproc.retry).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import requests
import urllib3
from requests_toolbelt import MultipartEncoder

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
from .options import DWSOptions

CHUNK_BYTES = 1 << 16
MAX_RETRY_AFTER_S = 3600.0
"""A longer Retry-After (or a garbled one that parses as huge) is read as this."""
POOL_CONNECTIONS = 64
"""Connections kept per host: more than any sensible max_workers, so threads never wait."""


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


class _BearerAuth(requests.auth.AuthBase):
    """Adds the API key to each request; its repr never shows the key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


class Transport:
    """A connection pool to one DWS server. Thread-safe for concurrent `build` calls."""

    def __init__(self, options: DWSOptions) -> None:
        self.base_url = options.base_url
        self.timeout = (options.connect_timeout_s, options.read_timeout_s)
        self.session = requests.Session()
        # Read the proxy and CA-bundle environment once, not on every request: requests
        # re-reads it per request when trust_env is on (~0.8 ms each, measured).
        environment = self.session.merge_environment_settings(self.base_url, {}, None, None, None)
        self.session.trust_env = False
        self.session.proxies = environment["proxies"]
        self.session.verify = environment["verify"]
        self.session.auth = _BearerAuth(options.api_key)
        self.session.headers["User-Agent"] = user_agent()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=POOL_CONNECTIONS)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def build(self, instructions: dict[str, Any], uploads: dict[str, Upload], target: Path) -> BuildResult:
        """POST /build; stream the body of a 200 to `target`, or raise the mapped error.

        Our errors are raised outside the `except` blocks on purpose: they then carry no
        __context__, so a pickler that keeps exception chains (tblib, installed by Dask)
        never meets requests' unpicklable internals.
        """
        with ExitStack() as stack:
            fields: list[tuple[str, Any]] = [("instructions", json.dumps(instructions))]
            for name, upload in uploads.items():
                content: IO[bytes] | bytes = (
                    stack.enter_context(upload.content.open("rb"))
                    if isinstance(upload.content, Path)
                    else upload.content
                )
                fields.append((name, (upload.filename, content, upload.content_type)))
            body = MultipartEncoder(fields=fields)
            failure: NetworkError | None = None
            try:
                response = self.session.post(
                    f"{self.base_url}/build", data=body, headers={"Content-Type": body.content_type},
                    timeout=self.timeout, stream=True,
                )
            except requests.RequestException as exc:
                failure = network_error(exc)
            if failure is not None:
                raise failure
            with response:
                if response.status_code != 200:
                    raise error_from_response(response)
                request_id = _header_request_id(response)
                try:
                    with target.open("wb") as out:
                        for chunk in response.iter_content(CHUNK_BYTES):
                            out.write(chunk)
                except requests.RequestException as exc:
                    failure = network_error(exc, request_id=request_id)
                if failure is not None:
                    raise failure
                return BuildResult(
                    content_type=response.headers.get("Content-Type", ""),
                    request_id=request_id,
                    cost=_float(response.headers.get("x-pspdfkit-request-cost")),
                )


def user_agent() -> str:
    """`batchproc/<installed version>`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"batchproc/{version('batchproc')}"
    except PackageNotFoundError:
        return "batchproc/0.0.0-dev"


def network_error(exc: requests.RequestException, *, request_id: str | None = None) -> NetworkError:
    """A requests exception (no usable response) as our transient NetworkError."""
    if isinstance(exc, requests.ConnectTimeout):
        what = "could not connect in time"
    elif isinstance(exc, requests.Timeout):
        what = "the server did not answer within the read timeout"
    elif isinstance(exc, requests.ConnectionError):
        what = "the connection failed"
    else:
        what = "the request failed"
    # type(exc).__name__ only: requests' messages can carry URLs with query strings.
    return NetworkError(f"DWS request failed: {what} ({type(exc).__name__})", request_id=request_id)


def error_from_response(response: requests.Response) -> APIError:
    """The batchproc error for a non-200 answer (body read, at most 64 KiB)."""
    status = response.status_code
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


def _json_body(response: requests.Response) -> dict[str, Any]:
    try:
        raw = response.raw.read(1 << 16, decode_content=True)
        body = json.loads(raw)
    except (ValueError, OSError, urllib3.exceptions.HTTPError):
        return {}
    return body if isinstance(body, dict) else {}


def _header_request_id(response: requests.Response) -> str | None:
    return response.headers.get("X-Request-Id")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
