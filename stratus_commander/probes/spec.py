"""The keys every ``[[probes]]`` table has: each kind's ``Spec`` subclasses :class:`ProbeSpec`.

Apart from the probe contract (base.py), which the cockpit's first frame imports for the probe
records: this one imports pydantic, which a config's validation loads when it comes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from stratus_commander.probes.checks import Check

__all__ = ["ProbeSpec"]


class ProbeSpec(BaseModel):
    """Keys common to every ``[[probes]]`` table; kinds subclass it with their own keys."""

    # Schemas are built when a config is first validated, not when a kind's module is imported.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: str
    check: Check
    interval_s: float = Field(default=60.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)
    retries: int = Field(default=0, ge=0, le=5)
    fail_threshold: int = Field(default=3, ge=1)  # consecutive failures before the state flips down
    success_threshold: int = Field(default=2, ge=1)  # consecutive successes before it flips back up
