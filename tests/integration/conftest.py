"""Integration fixtures: a real loopback HTTP server (see loopback.py) and its hostile routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.loopback import HOSTILE, LoopbackServer, Route


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A fresh server per test; it fails the test if a route raised unexpectedly."""
    server = LoopbackServer()
    try:
        yield server
    finally:
        server.close()
    assert not server.errors, server.errors


@pytest.fixture
def hostile() -> dict[str, Route]:
    """The hostile routes by name: mount one with ``loopback.route("/h/*", hostile[name])``."""
    return HOSTILE
