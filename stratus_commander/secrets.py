"""Secret references and redaction.

The config never holds a secret, only a reference to one:

    "env:STRIPE_KEY"                   an environment variable
    "keyring:stratus-commander/stripe" the OS keychain (service "stratus-commander", name "stripe")

:func:`resolve_secret` turns a reference into its value (``None`` when missing, so the probe
reports ``unknown``); a value that is not a reference is returned as it is (``config check`` warns
about it).

:func:`redact` removes secrets from any text that is stored, logged or exported: every key family
we use (Stripe, Supabase, UptimeRobot, JWTs, bearer tokens, URL passwords) by pattern, plus every
value that :func:`resolve_secret` ever returned (or :func:`register_secret` was given), literally.
"""

from __future__ import annotations

import logging
import os
import re
import threading

__all__ = [
    "REDACTED",
    "RedactingFilter",
    "is_secret_ref",
    "looks_like_secret",
    "missing_credential",
    "redact",
    "register_secret",
    "resolve_secret",
]

log = logging.getLogger(__name__)

REDACTED = "[REDACTED]"

# Not preceded by a letter or digit: "key=sk_live_…" and "my_sk_live_…" are both caught, while
# "task_live_…" is not.
_START = r"(?<![A-Za-z0-9])"
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
    # Bearer tokens in headers or logs.
    r"(?P<keep>\b(?i:bearer)\s+)[0-9A-Za-z._~+/=-]{12,}",
    # user:password@ in URLs (postgres://user:pw@host/db).
    r"(?P<keep>://[^:/@\s]+:)[^@/\s]+(?=@)",
)
_FAMILY = re.compile("|".join(f"(?:{p})" for p in _PATTERNS).replace("?P<keep>", "?:"))
_EACH = tuple(re.compile(p) for p in _PATTERNS)

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
    with _lock:
        literals = _literals | {value}
        ordered = sorted(literals, key=len, reverse=True)
        # Publish the new pattern in one assignment: redact() may run on another thread.
        _literal_re = re.compile("|".join(re.escape(v) for v in ordered))
        _literals = literals


def looks_like_secret(text: str) -> bool:
    """True when ``text`` contains something of a known secret family (used for config warnings)."""
    return _FAMILY.search(text) is not None


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``[REDACTED]`` (the family prefix is kept)."""
    # Families first, so a registered key of a known family still reads "sk_live_[REDACTED]";
    # then the literals catch what no pattern knows (a DSN password, an odd token).
    if _FAMILY.search(text) is not None:
        for pattern in _EACH:
            text = pattern.sub(lambda m: m.group("keep") + REDACTED, text)
    literal_re = _literal_re
    if literal_re is not None:
        text = literal_re.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's final message (install on a handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
