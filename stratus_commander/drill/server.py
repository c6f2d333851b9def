"""The drill simulator: one loopback HTTP server for the platform and every provider it fakes.

    with Simulator("payment-processing-down", speed=60) as sim:   # starts on 127.0.0.1
        sim.base_url                                                 # "http://127.0.0.1:PORT"
        sim.advance_to("4m")                                         # jump, no waiting

One port, routed by the first path segment: ``/platform``, ``/stripe``, ``/stripe-status``,
``/statuspage/<page>``, ``/uptimerobot``, ``/supabase``, and ``/_drill`` (``GET /_drill/state``,
``POST /_drill/advance?to=4m``) for the GUI and tests. The server runs in its own threads, so the
caller's event loop (asyncio, qasync) is free to probe it.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import sys
import threading
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from stratus_commander.clock import Clock, SystemClock
from stratus_commander.drill.config import drill_secrets
from stratus_commander.drill.faults import ActiveFaults
from stratus_commander.drill.platform import Platform
from stratus_commander.drill.providers import (
    StatuspagePages,
    StripeStatusPage,
    Supabase,
    UptimeRobot,
)
from stratus_commander.drill.routing import Provider, Request, Response, World, json_response
from stratus_commander.drill.scenario import (
    Scenario,
    ScenarioClock,
    Step,
    load_scenario,
    parse_offset,
)
from stratus_commander.drill.stripe_api import StripeApi
from stratus_commander.timefmt import duration_notation

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # loopback only: the drill's keys and faults are nobody else's business
MAX_BODY_BYTES = 1024 * 1024


class Simulator:
    """The fake StratusConnect world playing one scenario."""

    def __init__(
        self,
        scenario: Scenario | str | Path,
        *,
        port: int = 0,
        speed: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0..65535, got {port}")
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        # Scenario time starts now, at creation.
        self.clock = ScenarioClock(clock or SystemClock(), speed)
        self.secrets = drill_secrets()
        self._port = port
        self._providers: dict[str, Provider] = {
            "platform": Platform(),
            "stripe": StripeApi(),
            "stripe-status": StripeStatusPage(),
            "statuspage": StatuspagePages(),
            "uptimerobot": UptimeRobot(),
            "supabase": Supabase(),
        }
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> str:
        """Bind 127.0.0.1 (``port`` 0: any free port), serve in a thread; return the base URL."""
        if self._server is not None:
            raise RuntimeError("simulator already started")
        server = _Server((HOST, self._port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            # stop() waits up to one poll for the loop to notice; idle cost is one wakeup a poll.
            kwargs={"poll_interval": 0.02},
            name=f"drill-simulator:{server.port}",
        )
        self._thread.start()
        log.info("drill simulator %s on %s", self.scenario.name, self.base_url)
        return self.base_url

    def stop(self) -> None:
        """Stop serving; in-flight requests are cut short and every thread is joined."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.stopping.set()  # wakes handlers waiting out injected latency
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # --- the scenario -----------------------------------------------------------------------

    def elapsed(self) -> timedelta:
        return self.clock.elapsed()

    def advance_to(self, at: str | timedelta) -> None:
        """Jump forward to scenario time ``at`` (``"4m"``); the faults switch at once."""
        self.clock.advance_to(parse_offset(at) if isinstance(at, str) else at)

    def active_faults(self) -> ActiveFaults:
        return self.scenario.faults_at(self.elapsed())

    def state(self) -> dict[str, Any]:
        """What ``GET /_drill/state`` answers."""
        elapsed = self.elapsed()
        reached = self.scenario.steps_reached(elapsed)
        steps = self.scenario.steps
        expectation = self.scenario.expectation_at(elapsed)
        return {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "speed": self.clock.speed,
            "elapsed_s": round(elapsed.total_seconds(), 3),
            "elapsed": duration_notation(elapsed),
            "active_faults": [
                {"key": key, **fault.model_dump(mode="json")}
                for key, fault in sorted(self.scenario.faults_at(elapsed).items())
            ],
            "steps_reached": reached,
            "last_step": _step_json(steps[reached - 1]) if reached else None,
            "next_step": _step_json(steps[reached]) if reached < len(steps) else None,
            "expect": None
            if expectation is None
            else {
                "at": duration_notation(expectation.at),
                "see": expectation.see,
                "triage": expectation.triage,
                "probes": {p: sorted(o) for p, o in expectation.outcomes().items()},
            },
        }

    # --- requests ---------------------------------------------------------------------------

    def dispatch(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """Answer one request (``target`` is the request line's path and query)."""
        url = urlsplit(target)
        segment, _, rest = url.path.lstrip("/").partition("/")
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        request = Request(method, "/" + rest, query, headers, body)
        if segment == "_drill":
            return self._control(request)
        provider = self._providers.get(segment)
        if provider is None:
            known = ", ".join(f"/{p}" for p in [*self._providers, "_drill"])
            return json_response(404, {"error": f"no drill service at /{segment}; try {known}"})
        world = World(
            faults=self.active_faults(),
            now=self.clock.clock.now(),
            base_url=self.base_url,
            secrets=self.secrets,
        )
        try:
            return provider.handle(request, world)
        except Exception:  # a simulator bug must answer, not hang the probe under test
            log.exception("drill simulator failed on %s %s", method, target)
            return json_response(500, {"error": "drill simulator bug (see its log)"})

    def _control(self, request: Request) -> Response:
        route = (request.method, request.path)
        if route == ("GET", "/state"):
            return json_response(200, self.state())
        if route == ("POST", "/advance"):
            try:
                self.advance_to(request.query.get("to", ""))
            except ValueError as exc:
                return json_response(400, {"error": str(exc)})
            return json_response(200, self.state())
        return json_response(
            404, {"error": "drill control: GET /_drill/state, POST /_drill/advance?to=4m"}
        )


def _step_json(step: Step) -> dict[str, Any]:
    return {"at": duration_notation(step.at), "note": step.note}


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    # Not http.server.HTTPServer: its server_bind resolves the host name, which can stall.
    allow_reuse_address = True
    daemon_threads = False  # server_close() joins every handler: nothing outlives stop()

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handlers blocked reading idle keep-alive connections (after shutdown())."""
        with self._connections_lock:
            for connection in self._connections:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.stopping.is_set():
            return  # a connection cut by stop(): expected
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away (a probe
            return  # timing out, a cockpit quitting): nothing the simulator did wrong
        log.exception("drill simulator: error on a connection from %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the probes' pooled client expects
    server_version = "StratusDrill/1"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection is dropped after this
    # Headers and body go out in two writes; with Nagle on, the body waits for a delayed ACK
    # (40 ms a response on keep-alive connections, which would read as latency in every probe).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._answer(json_response(411, {"error": "send a Content-Length"}), close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self._answer(json_response(413, {"error": "body too large or bad length"}), close=True)
            return
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.simulator.dispatch(self.command, self.path, headers, body)
        if response.delay_ms and self.server.stopping.wait(response.delay_ms / 1000):
            self.close_connection = True  # stopped while waiting: answer nothing
            return
        self._answer(response)

    def _answer(self, response: Response, *, close: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)
