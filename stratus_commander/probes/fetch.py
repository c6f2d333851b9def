"""Bounded HTTP for probes: one request that cannot eat the laptop's memory or hang on redirects.

Every kind that speaks HTTP through the shared client can use :func:`fetch`:

    try:
        got = await fetch(ctx, "GET", url, headers={"apikey": key})
    except FetchFailed as exc:
        return make_result(spec, ctx, Outcome.DOWN, exc.reason)
    data = got.json()          # raises FetchFailed("body is not valid JSON: …")

What it guarantees:

- the body is streamed and capped at ``ctx.max_body_bytes`` *after* decompression (gzip and
  deflate are decoded here with a bounded zlib call, so a small compressed bomb cannot expand in
  memory; other encodings are not advertised and are refused);
- at most :data:`MAX_REDIRECTS` redirects are followed (httpx builds each next request, so
  ``Authorization`` is dropped on a cross-origin hop), and a loop is named as a loop;
- every failure is a :class:`FetchFailed` whose ``reason`` is one short sentence for a person
  ("connection refused", "body larger than 1 MiB", "redirect loop: /a → /b → /a");
- :meth:`Fetched.snippet`, the body quoted in a detail, is redacted before it is cut short.

The whole-check deadline is the engine's (``asyncio.timeout`` around the check), not ours.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator

from stratus_commander.probes.base import CheckContext
from stratus_commander.secrets import redact

__all__ = [
    "MAX_REDIRECTS",
    "FetchFailed",
    "Fetched",
    "HttpURL",
    "describe_http_error",
    "fetch",
    "get_json",
    "retry_after_seconds",
]

MAX_REDIRECTS = 5
_ACCEPT_ENCODING = "gzip, deflate"  # only what we can decode with a bound


def _check_http_url(value: str) -> str:
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value.rstrip("/")


#: A config field holding an http(s) URL; stored without a trailing slash so paths join cleanly.
HttpURL = Annotated[str, AfterValidator(_check_http_url)]


class FetchFailed(Exception):
    """The request did not produce a usable response; ``reason`` says why, for a person.

    ``elapsed_ms`` is set when the server did answer (the answer was not the one wanted), so the
    latency is still reported.
    """

    def __init__(self, reason: str, elapsed_ms: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.elapsed_ms = elapsed_ms


@dataclass(frozen=True, slots=True)
class Fetched:
    """A complete, bounded response."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: httpx.URL  # after redirects
    elapsed_ms: float  # first byte sent to last byte read, redirects included
    redirects: int

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ("" when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def text(self) -> str:
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:  # a charset name Python does not know
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; :class:`FetchFailed` naming the content type when it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            pass
        if self.content_type and "json" not in self.content_type:
            raise FetchFailed(
                f"expected JSON, got {self.content_type} (HTTP {self.status}): {self.snippet()}"
            )
        raise FetchFailed(f"body is not valid JSON (HTTP {self.status}): {self.snippet()}")

    def snippet(self, limit: int = 120) -> str:
        """The start of the body on one line, redacted, for a detail text."""
        # Redact the whole body before cutting it: a key cut in half (``sk_live_`` and a few
        # characters, half a JWT, part of a registered password) no longer matches redaction.
        text = " ".join(redact(self.text())[: limit * 2].split())
        if not text:
            return "(empty body)"
        return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_http_error(exc: httpx.HTTPError) -> str:
    """One short sentence for a transport error."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, httpx.ReadTimeout):
        return "read timed out"
    if isinstance(exc, httpx.PoolTimeout):
        return "no free connection in the client pool"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({text})"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text.lower():
            return "connection refused"
        return f"cannot connect: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"server broke the HTTP exchange: {text}"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "connection reset or closed by the server" + (f" ({exc})" if str(exc) else "")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL scheme: {text}"
    return f"{type(exc).__name__}: {text}"


def _size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


class _Decoder:
    """Decodes a body with a bound: never produces more than ``limit + 1`` bytes in total."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self.parts: list[bytes] = []
        # wbits 32+15 reads both gzip and zlib-wrapped deflate headers.
        self._zlib = zlib.decompressobj(32 + zlib.MAX_WBITS) if encoding else None

    def feed(self, raw: bytes) -> None:
        if self._zlib is None:
            self._add(raw)
            return
        data = raw
        while data and self.total <= self.limit:
            try:
                out = self._zlib.decompress(data, self.limit + 1 - self.total)
            except zlib.error as exc:
                raise FetchFailed(f"body is not valid compressed data ({exc})") from None
            self._add(out)
            data = self._zlib.unconsumed_tail

    def _add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > self.limit:
            raise FetchFailed(f"body larger than {_size(self.limit)}: not read further")
        self.parts.append(chunk)

    def body(self) -> bytes:
        return b"".join(self.parts)


def _short(url: str, base: httpx.URL) -> str:
    """A URL as a path when it is on the same origin as ``base`` (shorter loop messages)."""
    parsed = httpx.URL(url)
    same = (parsed.scheme, parsed.host, parsed.port) == (base.scheme, base.host, base.port)
    return parsed.raw_path.decode("ascii", "replace") if same else url


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchFailed(f"body larger than {_size(limit)} (Content-Length {declared}): not read")
    if response.is_stream_consumed:
        # The transport handed over a body already in memory (httpx.MockTransport does): httpx has
        # decoded it, so only the cap is left to apply.
        if len(response.content) > limit:
            raise FetchFailed(f"body larger than {_size(limit)}: not read further")
        return response.content
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        encoding = ""
    elif encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchFailed(f"unsupported Content-Encoding {encoding!r}")
    decoder = _Decoder(encoding, limit)
    async for raw in response.aiter_raw():
        decoder.feed(raw)
    return decoder.body()


async def fetch(
    ctx: CheckContext,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    json_body: Any = None,
    max_body_bytes: int | None = None,
) -> Fetched:
    """Send one request through ``ctx.client``; the complete, bounded response or FetchFailed."""
    limit = ctx.max_body_bytes if max_body_bytes is None else max_body_bytes
    merged = {"Accept-Encoding": _ACCEPT_ENCODING, **(headers or {})}
    started = time.perf_counter()
    try:
        request = ctx.client.build_request(method, url, headers=merged, data=data, json=json_body)
    except httpx.InvalidURL as exc:
        raise FetchFailed(f"invalid URL {url!r}: {exc}") from None
    seen = [str(request.url)]
    redirects = 0
    try:
        while True:
            response = await ctx.client.send(request, stream=True, follow_redirects=False)
            try:
                next_request = response.next_request
                if next_request is None:
                    body = await _read_capped(response, limit)
                    return Fetched(
                        status=response.status_code,
                        headers=response.headers,
                        body=body,
                        url=response.url,
                        elapsed_ms=(time.perf_counter() - started) * 1000.0,
                        redirects=redirects,
                    )
            finally:
                await response.aclose()
            redirects += 1
            target = str(next_request.url)
            if target in seen:
                hops = [_short(u, request.url) for u in [*seen[seen.index(target) :], target]]
                raise FetchFailed("redirect loop: " + " → ".join(hops))
            if redirects > MAX_REDIRECTS:
                raise FetchFailed(f"more than {MAX_REDIRECTS} redirects (last to {target})")
            seen.append(target)
            request = next_request
    except httpx.HTTPError as exc:
        raise FetchFailed(describe_http_error(exc)) from None


async def get_json(ctx: CheckContext, url: str, what: str) -> tuple[Fetched, Any]:
    """``GET url`` for an HTTP 200 JSON answer: the response and its decoded body.

    Anything else is :class:`FetchFailed` whose reason names ``what`` ("status page unreadable:
    connection refused", "status page answered HTTP 500: …").
    """
    try:
        got = await fetch(ctx, "GET", url)
    except FetchFailed as exc:
        raise FetchFailed(f"{what} unreadable: {exc.reason}") from None
    if got.status != 200:
        raise FetchFailed(f"{what} answered HTTP {got.status}: {got.snippet()}", got.elapsed_ms)
    try:
        return got, got.json()
    except FetchFailed as exc:
        raise FetchFailed(f"{what} unreadable: {exc.reason}", got.elapsed_ms) from None


def retry_after_seconds(headers: httpx.Headers, now: datetime, default: float = 60.0) -> float:
    """Seconds a 429/503 asks us to wait: ``Retry-After`` as seconds or an HTTP date."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        if when.tzinfo is None:  # HTTP dates are GMT
            return default
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return default
    # Never negative; never more than a day (a broken header must not silence a probe for good).
    return min(max(seconds, 0.0), 86400.0)
