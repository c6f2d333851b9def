"""What the fake endpoints receive and return: plain data, no sockets (the server does the I/O)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

from stratus_commander.drill.faults import ActiveFaults


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # below the provider's prefix: "/v1/events" for "/stripe/v1/events"
    query: Mapping[str, str]
    headers: Mapping[str, str]  # names lower-cased
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body (the last value of a repeated key)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay_ms: int = 0  # injected latency, waited out by the server before it answers


def json_response(
    status: int,
    data: Any,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    delay_ms: int = 0,
    content_type: str = "application/json",
) -> Response:
    return Response(status, json.dumps(data).encode(), content_type, headers, delay_ms)


def text_response(status: int, text: str, *, delay_ms: int = 0) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8", (), delay_ms)


@dataclass(frozen=True, slots=True)
class World:
    """The drill at the instant a request arrives."""

    faults: ActiveFaults
    now: datetime  # the injected clock (UTC), for timestamps in payloads
    base_url: str  # "http://127.0.0.1:PORT"
    secrets: Mapping[str, str]  # env var name -> drill key


class Provider(Protocol):
    """One fake service, mounted under a path prefix."""

    def handle(self, request: Request, world: World) -> Response: ...
