"""The probe check groups, in the runbook's triage order: what every probe is filed under."""

from __future__ import annotations

from typing import Literal

__all__ = ["CHECK_ORDER", "Check"]

Check = Literal["api", "webhooks", "database", "external"]
#: The runbook's triage order.
CHECK_ORDER: tuple[Check, ...] = ("api", "webhooks", "database", "external")
