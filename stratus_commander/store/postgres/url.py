"""A ``postgresql://`` location: recognised, checked and made ready for libpq (no psycopg here:
the command line checks ``--db`` with it before anything connects).

Rules, in the order they are applied:

- ``postgresql://`` and ``postgres://`` URLs name a PostgreSQL database; anything else is a file.
- No password in the URL: neither ``user:secret@`` nor ``?password=secret`` (a URL is shown in
  errors and logs, kept in shell history and in ``STRATUS_COMMANDER_DB``). libpq finds the
  password itself (``PGPASSWORD``, ``~/.pgpass``, a ``service=`` entry of the service file), or
  the URL names one in the OS keychain: ``?password=keyring:SERVICE/NAME`` (or ``env:NAME``),
  resolved by :func:`stratus_commander.secrets.resolve_secret` and handed to libpq apart from
  the URL.
- ``sslmode=require`` is added unless the URL (or ``PGSSLMODE``) chooses a mode, when a host the
  connection may go to is not this machine (``localhost``, a loopback address or a unix socket
  folder). A URL that leaves the host to a ``service=`` entry gets that entry's mode.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from stratus_commander.errors import StoreError

SCHEMES = ("postgresql://", "postgres://")
#: Where a password may be named in the URL: a reference, never the secret.
PASSWORD_REFS = ("keyring:", "env:")


def is_postgres_url(location: object) -> bool:
    """``location`` names a PostgreSQL database (a URL string), not a file."""
    return isinstance(location, str) and location.lower().startswith(SCHEMES)


@dataclass(frozen=True)
class Target:
    """A checked URL: what libpq is given, and what people are shown."""

    conninfo: str  # the URL for libpq, sslmode added, any password reference taken out
    shown: str  # the URL as given, for messages (it holds no password)
    hosts: tuple[str, ...]  # the hosts named (empty: libpq's default, or the service file's)
    password_ref: str | None  # keyring:SERVICE/NAME or env:NAME, resolved at connect time


def parse_url(url: str) -> Target:
    """Check ``url`` (see the module's rules); :class:`StoreError` names what is wrong."""
    if not is_postgres_url(url):
        raise StoreError("not a postgresql:// URL", where=url)
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False)
    except ValueError as exc:
        raise StoreError(f"not a valid URL ({exc})", where=_shown(url)) from exc
    netloc = parts.netloc
    userinfo, _, hostports = netloc.rpartition("@")
    if ":" in userinfo:
        raise StoreError(
            "a password in the URL is refused (it would be shown and kept in shell history); "
            "leave it out and let libpq find it (PGPASSWORD, ~/.pgpass, a service file), or "
            "name it in the keychain with ?password=keyring:SERVICE/NAME",
            where=_shown(url),
        )
    refs = [v for k, v in query if k == "password"]
    if any(not v.startswith(PASSWORD_REFS) for v in refs):
        raise StoreError(
            "a password in the URL is refused; use ?password=keyring:SERVICE/NAME (the OS "
            "keychain), or leave it out and let libpq find it (PGPASSWORD, ~/.pgpass)",
            where=_shown(url),
        )
    if len(refs) > 1:
        raise StoreError("password= is given more than once", where=_shown(url))
    ref = refs[0] if refs else None
    if ref is not None and ref.startswith("keyring:") and "/" not in ref[8:].strip("/"):
        raise StoreError(f"{ref} is not keyring:SERVICE/NAME", where=_shown(url))
    hosts = _hosts(hostports, query)
    kept = [(k, v) for k, v in query if k != "password"]
    chosen = any(k == "sslmode" for k, _ in kept) or bool(os.environ.get("PGSSLMODE"))
    if not chosen and any(not is_local(h) for h in hosts):
        kept.append(("sslmode", "require"))
    conninfo = urlunsplit((parts.scheme, netloc, parts.path, urlencode(kept, quote_via=quote), ""))
    return Target(conninfo=conninfo, shown=_shown(url), hosts=hosts, password_ref=ref)


def _hosts(hostports: str, query: list[tuple[str, str]]) -> tuple[str, ...]:
    """Every host the connection may go to: the URL's (``h1:5432,h2``), ``?host=``, else
    ``PGHOST``; none when libpq picks (its default socket, or the service file's host)."""
    named = [unquote(h) for h in _split_hosts(hostports)]
    named += [h for k, v in query if k == "host" for h in v.split(",") if h]
    if not named and not any(k == "service" for k, _ in query) and os.environ.get("PGHOST"):
        named = [h for h in os.environ["PGHOST"].split(",") if h]
    return tuple(named)


def _split_hosts(hostports: str) -> list[str]:
    out = []
    for item in hostports.split(","):
        if not item:
            continue
        if item.startswith("["):  # [::1]:5432
            out.append(item[1 : item.index("]")] if "]" in item else item[1:])
        else:
            out.append(item.rsplit(":", 1)[0] if item.count(":") == 1 else item)
    return [h for h in out if h]


def is_local(host: str) -> bool:
    """This machine: a unix socket folder, ``localhost`` or a loopback address."""
    if host.startswith("/") or host.startswith("@") or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(url: str) -> str:
    """The URL as it may be shown: any password cut out, should one be there."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("@")[-1]
    userinfo, at, hostports = parts.netloc.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":[REDACTED]"
    query = [
        (k, v if k != "password" or v.startswith(PASSWORD_REFS) else "[REDACTED]")
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = f"{userinfo}{at}{hostports}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe=":/[]"), ""))
