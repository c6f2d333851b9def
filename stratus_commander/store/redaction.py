"""Redaction at the store boundary: every text a backend writes passes :func:`clean_params`.

Each text parameter is redacted (:func:`~stratus_commander.secrets.redact`) and each :class:`Json`
document has its strings redacted before it is serialised. No secret reaches the database,
whichever feature wrote it; anything hashed or digested over stored text hashes the redacted form
(:func:`digest`, the timeline's chain), so integrity checks and redaction agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stratus_commander.secrets import redact, redact_data


@dataclass(frozen=True, slots=True)
class Json:
    """A JSON document to store: its strings are redacted, then it is serialised (compact keys
    order kept unless ``sort_keys``)."""

    value: Any
    sort_keys: bool = False

    def text(self) -> str:
        return json.dumps(redact_data(self.value), ensure_ascii=False, sort_keys=self.sort_keys)


def digest(data: Any) -> str:
    """SHA-256 of a document as it is stored (redacted, canonical JSON): what integrity checks
    compare a stored record with."""
    text = json.dumps(redact_data(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean(value: Any) -> Any:
    kind = type(value)  # exact types: this runs for every parameter of every row
    if kind is str:
        return redact(value)
    if kind is Json:
        return value.text()
    return value


def clean_params(params: Any) -> Any:
    if isinstance(params, Mapping):
        return {k: clean(v) for k, v in params.items()}
    return [*map(clean, params)]
