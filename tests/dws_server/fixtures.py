"""pytest fixtures for the DWS test server, registered for every test module by
`pytest_plugins` in tests/conftest.py; API_KEY is the key the server accepts."""

from __future__ import annotations

import pytest

from .server import DWSTestServer

API_KEY = "pdf_live_TESTKEY_9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def _running_server():
    server = DWSTestServer(api_key=API_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def dws_server(_running_server: DWSTestServer) -> DWSTestServer:
    """The module's server, with no requests recorded and no faults planned."""
    _running_server.reset()
    return _running_server
