"""A real HTTP server on 127.0.0.1 that implements POST /build per DWS-PROTOCOL.md.

    server = DWSTestServer(api_key="k").start()      # random port; server.base_url
    server.inject(Fault.status(429, retry_after="1"), file="a.pdf")
    ... run clients ...
    server.count("a.pdf"); server.received[-1].instructions
    server.stop()

Order of work per request: the Bearer token is checked before the body is parsed (401),
then a planned fault (if any) is served, then the multipart body is parsed (400 on bad
multipart), the instructions are validated strictly (unknown keys rejected), and the
instructions are executed with batchproc's local engine (see execute.py).
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import multipart, schema
from .execute import Rejected, execute, json_error

MAX_BODY_BYTES = 200 << 20


@dataclass(frozen=True)
class Fault:
    """A planned misbehaviour for one request."""

    kind: str  # "status" | "delay" | "drop"
    status: int = 0
    retry_after: str | None = None
    delay_s: float = 0.0

    @classmethod
    def status_code(cls, status: int, retry_after: str | None = None) -> "Fault":
        return cls("status", status=status, retry_after=retry_after)

    @classmethod
    def slow(cls, delay_s: float) -> "Fault":
        """Answer only after `delay_s` (past the client's read timeout)."""
        return cls("delay", delay_s=delay_s)

    @classmethod
    def drop(cls) -> "Fault":
        """Start a 200 response, then close the connection mid-body."""
        return cls("drop")


@dataclass
class Received:
    """One /build request as the server saw it."""

    document: str | None  # filename of the first uploaded file part
    instructions: Any = None
    filenames: dict[str, str] = field(default_factory=dict)
    user_agent: str | None = None
    status: int = 0
    fault: Fault | None = None


class DWSTestServer:
    def __init__(self, *, api_key: str = "test-api-key", latency_s: float = 0.0) -> None:
        self.api_key = api_key
        self.latency_s = latency_s
        """Added to every /build answer, outside the execution lock: a remote API's round
        trip, for the benchmarks (benchmarks/remote_server.py)."""
        self.received: list[Received] = []
        self._faults: dict[str | None, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._execute_lock = threading.Lock()  # pdfium is not thread-safe: run one job at a time
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control API -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "DWSTestServer":
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def inject(self, *faults: Fault, file: str | None = None) -> None:
        """Serve `faults`, in order, to the next requests for `file` (None: any request)."""
        with self._lock:
            self._faults.setdefault(file, deque()).extend(faults)

    def count(self, document: str) -> int:
        """How many /build requests named `document` as their first file part's filename."""
        return sum(1 for r in self.received if r.document == document)

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self._faults.clear()

    def _next_fault(self, filename: str | None) -> Fault | None:
        with self._lock:
            for key in (filename, None):
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
        return None

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)


class _Handler(BaseHTTPRequestHandler):
    server_state: DWSTestServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK, adding ~40 ms to every keep-alive request (measured).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        state = self.server_state
        request_id = f"req-{next(state._ids)}-{uuid.uuid4().hex[:8]}"
        if self.path.rstrip("/") != "/build":
            self._drain()
            return self._error(404, "no such endpoint", request_id)
        if self.headers.get("Authorization") != f"Bearer {state.api_key}":
            self._drain()
            state._record(Received(None, user_agent=self.headers.get("User-Agent"), status=401))
            return self._error(401, "invalid or missing API token", request_id)
        body = self._drain()
        if body is None:
            return self._error(411, "a Content-Length is required", request_id)
        received = Received(None, user_agent=self.headers.get("User-Agent"))
        state._record(received)
        fields = self._multipart(body)
        if fields is None:
            received.status = 400
            return self._error(400, "the body is not valid multipart/form-data", request_id)
        received.filenames = {name: filename for name, (filename, _) in fields.items() if filename is not None}
        received.document = next(iter(received.filenames.values()), None)
        try:
            received.instructions = json.loads(fields.pop("instructions", (None, b""))[1] or b"null")
        except ValueError:
            received.instructions = None
        received.fault = fault = state._next_fault(received.document)
        if fault is not None:
            received.status = self._serve_fault(fault, request_id)
            if fault.kind != "delay":
                return
        time.sleep(state.latency_s)
        received.status = self._build(received.instructions, fields, request_id)

    def _build(self, instructions: Any, fields: dict[str, tuple[str | None, bytes]], request_id: str) -> int:
        """Validate and execute; send the answer; return its status."""
        if not isinstance(instructions, dict):
            self._error(400, "missing or invalid instructions", request_id,
                        [{"path": "$.instructions", "details": "must be a JSON object"}])
            return 400
        files = {name: (filename or name, data) for name, (filename, data) in fields.items()}
        problems = schema.problems(instructions, set(files))
        if problems:
            self._error(400, "the instructions do not follow the schema", request_id, problems)
            return 400
        try:
            with self.server_state._execute_lock:
                result, content_type = execute(instructions, files, self.headers.get("pspdfkit-pdf-password"))
        except Rejected as exc:
            self._error(exc.status, exc.details, request_id, exc.failing_paths)
            return exc.status
        cost = len(instructions.get("actions", [])) + sum(len(p.get("actions", [])) for p in instructions["parts"])
        self._send(200, result, content_type, request_id, {"x-pspdfkit-request-cost": str(max(cost, 1) * 0.5)})
        return 200

    # -- helpers -------------------------------------------------------------------------------
    def _drain(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(int(length))

    def _multipart(self, body: bytes) -> dict[str, tuple[str | None, bytes]] | None:
        return multipart.parse(self.headers.get("Content-Type", ""), body)

    def _serve_fault(self, fault: Fault, request_id: str) -> int:
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._error(fault.status, f"injected fault {fault.status}", request_id, headers=headers)
            return fault.status
        if fault.kind == "delay":
            time.sleep(fault.delay_s)
            return 0  # then the request is served normally (to a client that gave up)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"%PDF-1.7\n% truncated by an injected fault\n")
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return -1

    def _error(self, status: int, details: str, request_id: str,
               failing_paths: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> None:
        body = json_error(status, details, request_id, failing_paths or [])
        self._send(status, body, "application/json", request_id, headers or {})

    def _send(self, status: int, body: bytes, content_type: str, request_id: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Request-Id", request_id)
            for key, value in headers.items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test)
