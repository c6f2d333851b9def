"""Migration p002: samples in as few bytes as PostgreSQL allows, as the SQLite file keeps them
(its m005, ``store/sqlite/compact_samples.py``).

The latency was a ``double precision`` (eight bytes, padded to eight after the two-byte outcome).
It becomes an ``integer`` count of 0.1 ms (``latency_100us``), placed before the outcome so
nothing is padded: a row's fixed part goes from 32 bytes to 22. A probe's latency is not measured
finer than that, and both backends now read the same number back (the integer divided by ten as
a float). The per-minute rollup keeps ``lat_max`` in milliseconds, rounded the same way so it
agrees with its samples (max and rounding commute).

The table is rebuilt (PostgreSQL cannot reorder columns): its statement triggers and the exact
view of the rollup (``rollup.py``) are made again for the new table, in the upgrade's one
transaction.
"""

from __future__ import annotations

from stratus_commander.store.postgres.rollup import MAX_LATENCY, SAMPLE_TRIGGERS, exact_view

#: The stored latency's bounds (an ``integer``); no probe measures anything near them.
_LOWEST, _HIGHEST = -(2**31), 2**31 - 1


def latency_code(ms: float | None) -> int | None:
    """Milliseconds to the stored integer of 0.1 ms: half up, as the SQLite backend rounds."""
    return None if ms is None else max(_LOWEST, min(_HIGHEST, int(ms * 10 + 0.5)))


def _code_sql(ms: str) -> str:
    """The SQL twin of :func:`latency_code` (``trunc`` as Python's ``int`` and SQLite's cast;
    ``greatest`` and ``least`` would skip a NULL, hence the CASE)."""
    code = f"greatest({_LOWEST}, least({_HIGHEST}, trunc({ms} * 10 + 0.5)))::integer"
    return f"CASE WHEN {ms} IS NULL THEN NULL ELSE {code} END"


P002_COMPACT_SAMPLES = f"""
DROP VIEW sample_minutes_exact;
CREATE TABLE samples_compact (
    probe_id bigint NOT NULL,
    at_ms bigint NOT NULL,
    latency_100us integer,
    outcome smallint NOT NULL,
    detail text,
    metrics text
);
INSERT INTO samples_compact (probe_id, at_ms, latency_100us, outcome, detail, metrics)
SELECT probe_id, at_ms, {_code_sql("latency_ms")}, outcome, detail, metrics FROM samples;
DROP TABLE samples;
ALTER TABLE samples_compact RENAME TO samples;
ALTER TABLE samples ADD PRIMARY KEY (probe_id, at_ms);
{SAMPLE_TRIGGERS}
{exact_view(MAX_LATENCY)}
UPDATE sample_minutes SET lat_max = {_code_sql("lat_max")} / 10.0::float8
WHERE lat_max IS NOT NULL;
"""
