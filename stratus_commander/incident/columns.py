"""The stored times of many incidents as numpy columns: what counts across thousands of incidents
at once (the insights), each time parsed in C rather than as one ``datetime`` per field.

    times = time_columns({"detected_at": [...], "resolved_at": [...]})   # stored ISO texts
    times["resolved_at"]        # datetime64[ms], NaT where the incident has no such time

numpy is imported on first use: the cockpit's first frame never reads columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from stratus_commander.clock import from_iso, to_iso

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["time_columns"]


def _naive_utc(text: str) -> str:
    """``text`` as numpy reads a UTC time: without its zone (numpy refuses zones)."""
    return to_iso(from_iso(text))[:-1]


def time_columns(
    texts: Mapping[str, Sequence[str | None]],
) -> dict[str, npt.NDArray[np.datetime64]]:
    """Each column of stored ISO times as ``datetime64[ms]``, NaT where unset; a time that is
    not ISO with a zone raises ``ValueError`` naming it."""
    import numpy as np

    columns = {}
    for name, column in texts.items():
        columns[name] = np.array(
            [
                # What to_iso writes (24 characters, "Z") inline: the only slow path is a call.
                (t[:-1] if len(t) == 24 and t[-1] == "Z" else _naive_utc(t)) if t else None
                for t in column
            ],
            dtype="datetime64[ms]",
        )
    return columns
