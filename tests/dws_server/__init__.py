"""A DWS /build server for tests: real HTTP on 127.0.0.1, strict schema, local execution,
fault injection. See server.py."""

from .server import DWSTestServer, Fault, Received

__all__ = ["DWSTestServer", "Fault", "Received"]
