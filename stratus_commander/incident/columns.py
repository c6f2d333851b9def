"""The stored times of many incidents as numpy columns: what counts across thousands of incidents
at once (the insights), each time parsed in C rather than as one ``datetime`` per field.

    times = time_columns(rows, ("detected_at", "resolved_at"))
    times["resolved_at"]        # datetime64[ms], NaT where the incident has no such time

numpy is imported on first use: the cockpit's first frame never reads columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stratus_commander.clock import from_iso, to_iso

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["time_columns"]


def _naive_utc(text: str) -> str:
    """``text`` as numpy reads a UTC time: without its zone (numpy refuses zones)."""
    return to_iso(from_iso(text))[:-1]


def time_columns(
    rows: Sequence[Mapping[str, Any]], names: Iterable[str]
) -> dict[str, npt.NDArray[np.datetime64]]:
    """Each of ``names`` (stored ISO times) over ``rows`` as a ``datetime64[ms]`` column, NaT
    where unset; a time that is not ISO with a zone raises ``ValueError`` naming it."""
    import numpy as np

    columns = {}
    for name in names:
        texts = [r[name] for r in rows]
        columns[name] = np.array(
            [
                # What to_iso writes (24 characters, "Z") inline: the only slow path is a call.
                (t[:-1] if len(t) == 24 and t[-1] == "Z" else _naive_utc(t)) if t else None
                for t in texts
            ],
            dtype="datetime64[ms]",
        )
    return columns
