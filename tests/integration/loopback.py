"""A real loopback HTTP server for integration tests (the ``loopback`` fixture in conftest.py).

    def test_x(loopback):
        loopback.json("/api/health", {"status": "ok"})
        loopback.route("/slow", slow_drip)          # any function taking the request handler
        url = loopback.url + "/api/health"

Threaded stdlib ``http.server`` speaking HTTP/1.1 with keep-alive, bound to 127.0.0.1 on a free
port. Handlers that stream (slow drip, endless bodies) stop when the client goes away or the test
ends, so no thread outlives its test for long.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[["LoopbackHandler"], None]

CHUNK = b"x" * 65536


class LoopbackHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        self.server.owner.hits[path] += 1
        self.server.owner.requests.append((self.command, self.path, dict(self.headers), self.body))
        route = self.server.owner.find(path)
        if route is None:
            self.reply(404, b'{"error": "no route"}')
        else:
            route(self)

    do_GET = do_POST = do_HEAD = do_PUT = _dispatch

    # --- helpers for routes ---------------------------------------------------------------------

    @property
    def stopping(self) -> threading.Event:
        return self.server.owner.stopping

    def reply(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), mid-exchange."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up on a hostile route is the point of the test, not an error.
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | OSError | ValueError):
            self.owner.errors.append(repr(exc))


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), LoopbackHandler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def route(self, path: str, handler: Route) -> None:
        """Serve ``path``; a path ending in ``/*`` serves everything below it."""
        self.routes[path] = handler

    def find(self, path: str) -> Route | None:
        if path in self.routes:
            return self.routes[path]
        prefixes = [p for p in self.routes if p.endswith("/*") and path.startswith(p[:-1])]
        return self.routes[max(prefixes, key=len)] if prefixes else None

    def json(
        self, path: str, payload: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode()
        self.route(path, lambda h: h.reply(status, body, headers=headers))

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- hostile routes ---------------------------------------------------------------------------


def slow_drip(h: LoopbackHandler) -> None:
    """Headers at once, then one byte every 0.1 s of a 1000-byte JSON body: reads never time out."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b"{")
    for _ in range(999):
        if h.stopping.wait(0.1):
            break
        h.wfile.write(b" ")


def huge_body(h: LoopbackHandler) -> None:
    """100 MB of body with no Content-Length (read until close): only streaming can cap it."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Connection", "close")
    h.end_headers()
    h.close_connection = True
    h.wfile.write(b'{"padding": "')
    for _ in range(100 * 1024 * 1024 // len(CHUNK)):
        if h.stopping.is_set():
            break
        h.wfile.write(CHUNK)


def invalid_json(h: LoopbackHandler) -> None:
    h.reply(200, b'{"status": "ok", "components": [')


def wrong_content_type(h: LoopbackHandler) -> None:
    h.reply(200, b"<html><body>Login required</body></html>", content_type="text/html")


def redirect_loop(h: LoopbackHandler) -> None:
    """Any path redirects to itself with ``?hop=1``, which redirects back: a two-step loop."""
    path, _, query = h.path.partition("?")
    h.reply(302, b"", headers={"Location": path if query else f"{path}?hop=1"})


def reset_connection(h: LoopbackHandler) -> None:
    h.reset()


#: Hostile behaviours by name; a test mounts them with ``loopback.route(path, HOSTILE[name])``.
HOSTILE: dict[str, Route] = {
    "slow-drip": slow_drip,
    "100MB-body": huge_body,
    "invalid-json": invalid_json,
    "wrong-content-type": wrong_content_type,
    "reset": reset_connection,
    "redirect-loop": redirect_loop,
}
