"""Secret references and redaction.

The config never holds a secret, only a reference to one:

    "env:STRIPE_KEY"                   an environment variable
    "keyring:stratus-commander/stripe" the OS keychain (service "stratus-commander", name "stripe")

:func:`resolve_secret` turns a reference into its value (``None`` when missing, so the probe
reports ``unknown``); a value that is not a reference is returned as it is (``config check`` warns
about it).

:func:`redact` removes secrets from any text that is stored, logged or exported: every key family
we use (Stripe, Supabase, UptimeRobot, JWTs, Authorization headers, ``api_key=``/``token=``/
``password=`` parameters, URL passwords) by pattern, also when percent-encoded, plus every
value that :func:`resolve_secret` ever returned (or :func:`register_secret` was given), literally.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "RedactingFilter",
    "is_secret_ref",
    "looks_like_secret",
    "missing_credential",
    "redact",
    "redact_data",
    "register_secret",
    "resolve_secret",
]

log = logging.getLogger(__name__)

REDACTED = "[REDACTED]"

# Not preceded by a letter or digit: "key=sk_live_…" and "my_sk_live_…" are both caught, while
# "task_live_…" is not. Text is matched after percent-decoding (see redact), so "api_key%3Du1…"
# reads "api_key=u1…" here.
_START = r"(?<![A-Za-z0-9])"
# No pattern matches a double quote, a backslash or a control character: redacting the JSON text
# of redacted values changes nothing, and redacting any JSON text leaves it valid JSON.
# Each pattern keeps the family prefix (group "keep") so a redacted text still says what was there.
_PATTERNS: tuple[str, ...] = (
    # Stripe secret and restricted keys, webhook signing secrets.
    _START + r"(?P<keep>(?:sk|rk)_(?:live|test)_)[0-9A-Za-z]{8,}",
    _START + r"(?P<keep>whsec_)[0-9A-Za-z+/=]{8,}",
    # Supabase secret keys and personal access tokens.
    _START + r"(?P<keep>sb_secret_)[0-9A-Za-z_-]{8,}",
    _START + r"(?P<keep>sbp_)[0-9A-Za-z]{16,}",
    # JWTs (Supabase anon/service_role keys, access tokens): header.payload.signature.
    _START + r"(?P<keep>eyJ)[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}",
    # UptimeRobot: account (u…), monitor-specific (m…) and read-only (ur…) API keys.
    _START + r"(?P<keep>(?:ur|u|m))\d{4,12}-[0-9a-f]{16,}",
)
# Credentials by their context rather than their shape. A known key found inside one of these
# keeps its family prefix ("api_key=sk_live_[REDACTED]"): the family pattern wins.
_CONTEXTS: tuple[str, ...] = (
    # Authorization headers (Bearer, Basic, Token schemes) and bare bearer tokens in logs.
    r"(?P<keep>\b(?i:authorization)['\"]?\s*[:=]\s*['\"]?(?:(?i:bearer|basic|token)\s+)?)"
    r"[0-9A-Za-z._~+/=-]{8,}",
    r"(?P<keep>\b(?i:bearer)\s+)[0-9A-Za-z._~+/=-]{12,}",
    # Credentials as key=value: URL query parameters (?api_key=…&token=…) and libpq DSN words
    # (host=db password=…). Spaces only around "=", and no brackets in the value: a context
    # must not reach across a line or over a key already cut ("api_key=\nu[REDACTED]token=…").
    r"(?P<keep>(?<![A-Za-z0-9_-])(?i:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret"
    r"|client[_-]?secret|password|passwd|pwd) *= *)[^\s\x00-\x1f\x7f&#\"'<>;,\\\[\]]{4,}",
    # user:password@ in URLs (postgres://user:pw@host/db).
    r"(?P<keep>://[^:/@\s\x00-\x1f\x7f\"\\]+:)[^@/\s\x00-\x1f\x7f\"\\]+(?=@)",
)
_FAMILY = re.compile("|".join(f"(?:{p})" for p in _PATTERNS + _CONTEXTS).replace("?P<keep>", "?:"))
_EACH = tuple(re.compile(p) for p in _PATTERNS)
_EACH_CONTEXT = tuple(re.compile(p) for p in _CONTEXTS)
_PERCENT_ESCAPE = re.compile(r"%([0-2][0-9A-Fa-f]|[3-7][0-9A-Fa-f])")  # ASCII only

# Registered literal values: replaced by one alternation, longest first (a value that contains
# another must win). Shorter values are too likely to be ordinary words to replace blindly.
_MIN_LITERAL = 6
_lock = threading.Lock()
_literals: frozenset[str] = frozenset()
_literal_re: re.Pattern[str] | None = None


def is_secret_ref(value: str) -> bool:
    """True for ``env:NAME`` and ``keyring:SERVICE/NAME`` references."""
    return value.startswith("env:") or value.startswith("keyring:")


def resolve_secret(ref: str) -> str | None:
    """The value a reference names, or ``None`` when it is not set (never raises).

    A value that is not a reference is a literal secret from the config: it is returned (and
    registered for redaction) so the probe still runs; ``config check`` warns about it.
    """
    if ref.startswith("env:"):
        value = os.environ.get(ref[4:]) or None
    elif ref.startswith("keyring:"):
        value = _from_keyring(ref[8:])
    else:
        value = ref or None
    if value is not None:
        register_secret(value)
    return value


def missing_credential(ref: str) -> str:
    """The detail a probe reports when a credential reference does not resolve."""
    return f"credential {ref} not set"


def _from_keyring(path: str) -> str | None:
    service, _, name = path.rpartition("/")
    if not service or not name:
        log.warning("keyring reference %r is not SERVICE/NAME", f"keyring:{path}")
        return None
    import keyring  # lazily: its backend discovery costs start-up time
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(service, name) or None
    except KeyringError as exc:
        # A locked or absent keychain reads as "not set"; say why in the log.
        log.warning("keyring:%s unavailable: %s", path, exc)
        return None


def register_secret(value: str) -> None:
    """Redact ``value`` literally from now on (every resolved secret goes through here)."""
    global _literals, _literal_re
    if len(value) < _MIN_LITERAL or value in _literals:
        return
    # Also as it reads inside a JSON string (a quote or backslash in it is escaped there).
    escaped = json.dumps(value, ensure_ascii=False)[1:-1]
    with _lock:
        literals = _literals | {value, escaped}
        ordered = sorted(literals, key=len, reverse=True)
        # Publish the new pattern in one assignment: redact() may run on another thread.
        _literal_re = re.compile("|".join(re.escape(v) for v in ordered))
        _literals = literals


def looks_like_secret(text: str) -> bool:
    """True when ``text`` contains something of a known secret family (used for config warnings)."""
    return _may_hold_key(text) and _FAMILY.search(text) is not None


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``[REDACTED]`` (the family prefix is kept).

    Matching reads the text with its ASCII percent-escapes decoded (a key in a redirect's
    ``Location`` or a logged URL is often encoded), and the secret's span is cut from the text as
    it was. Redacting twice changes nothing more than redacting once: a key glued to another
    (``u…-0123sk_live_…``) shows only once its neighbour is cut, so this repeats until nothing
    changes.
    """
    for _ in range(8):
        cleaned = _redact_once(text)
        if cleaned == text:
            break
        text = cleaned
    return text


def _redact_once(text: str) -> str:
    decoded, offsets = _percent_decoded(text)
    spans = _secret_spans(decoded)
    if not spans:
        return text
    if offsets is not None:
        spans = [(offsets[start], offsets[end]) for start, end in spans]
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], REDACTED]
        last = end
    out.append(text[last:])
    return "".join(out)


def redact_data(value: Any) -> Any:
    """``value`` with every string inside it redacted, keys included (a JSON-like document: a
    probe's detail quoted in an event, a close record, a credit report)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def _secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the secrets in ``text`` are (family prefixes left out), sorted and merged."""
    found: list[tuple[int, int]] = []
    keys: list[re.Match[str]] = []
    # Families first, so a key of a known family, registered or found in a context, still reads
    # "sk_live_[REDACTED]"; the literals catch what no pattern knows (a DSN password, an odd token).
    if _may_hold_key(text) and _FAMILY.search(text) is not None:
        keys = [m for pattern in _EACH for m in pattern.finditer(text)]
        found += [(m.end("keep"), m.end()) for m in keys]
        for pattern in _EACH_CONTEXT:
            for m in pattern.finditer(text):
                start, end = m.end("keep"), m.end()
                inside_key = any(k.start() < end and start < k.end() for k in keys)
                # On a second pass, "sk_live_" before "[REDACTED]" is a key already cut.
                done = REDACTED in m.group() or text.startswith(REDACTED, end)
                if not inside_key and not done:
                    found.append((start, end))
    literal_re = _literal_re
    if literal_re is not None:
        for m in literal_re.finditer(text):
            if not any(k.start() <= m.start() and m.end() <= k.end() for k in keys):
                found.append(m.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _may_hold_key(text: str) -> bool:
    """False only when no pattern can match: every one needs one of these (a substring test is
    thirty times cheaper than the patterns' search, and most stored text holds none of them)."""
    if "_" in text or "-" in text or "=" in text or "eyJ" in text or "://" in text:
        return True
    lowered = text.lower()
    return "bearer" in lowered or "authorization" in lowered


def _percent_decoded(text: str) -> tuple[str, list[int] | None]:
    """``text`` with ASCII ``%XX`` escapes decoded, and for every position of the decoded text
    (and its end) the position in ``text`` it came from; ``None`` when there was nothing to
    decode."""
    if "%" not in text or _PERCENT_ESCAPE.search(text) is None:
        return text, None
    chars: list[str] = []
    offsets: list[int] = []
    last = 0
    for m in _PERCENT_ESCAPE.finditer(text):
        chars.append(text[last : m.start()])
        offsets += range(last, m.start())
        chars.append(chr(int(m.group(1), 16)))
        offsets.append(m.start())
        last = m.end()
    chars.append(text[last:])
    offsets += range(last, len(text) + 1)
    return "".join(chars), offsets


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's final message and its traceback (install on a
    handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatted here so the handler's formatter finds it done (it reuses exc_text).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
