"""The postgres probe's judgement of the server's statistics, with no server (the reads themselves
are tested against a real PostgreSQL in tests/integration/test_postgres_probe.py)."""

from __future__ import annotations

from stratus_commander.probes import postgres
from stratus_commander.probes.base import Outcome
from stratus_commander.secrets import redact

LEAKED = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv"


def stats(*queries: str) -> postgres._Stats:
    return postgres._Stats(
        connections=5,
        max_connections=100,
        deadlocks=0,
        long_queries=[(4242 + i, 95.0, q) for i, q in enumerate(queries)],
        lock_waits=[],
        rls=[],
    )


def spec() -> postgres.Spec:
    return postgres.Spec(id="db", kind="postgres", check="database", dsn="env:DATABASE_URL")


def test_a_long_query_is_named_by_its_start_redacted_before_it_is_cut() -> None:
    # A query holding a key past the 80 characters shown: cut first (as the server's left() did),
    # "sk_live_" and 5 characters of the key would remain, too short to be recognised.
    query = "UPDATE   settings\n   SET value = '" + "x" * 36 + " " + LEAKED + "' WHERE id = 1"
    (finding,) = postgres._judge(spec(), stats(query))
    assert finding.outcome is Outcome.DEGRADED
    assert finding.text.startswith("1 query running > 30s (pid 4242 95s: UPDATE settings SET value")
    assert LEAKED[8:13] not in redact(finding.text)  # as the engine would show it
    shown = finding.text.split("95s: ", 1)[1].removesuffix(")")
    assert len(shown) == 80 and shown.endswith("…")
