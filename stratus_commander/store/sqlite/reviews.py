"""After the outage, in the SQLite file: close and review records, action items, lessons,
maintenance windows, credit reports and the uptime they rest on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from stratus_commander.store.redaction import Json
from stratus_commander.store.sqlite.connection import RedactingConnection

# A minute is down when any of the groups is; maintenance minutes are left out; a minute with no
# known sample is not counted (the caller says how unobserved minutes count).
_UPTIME_SQL = """
WITH maint(lo, hi) AS (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:maint)
),
group_minutes AS (
    SELECT "check" AS grp, minute, max(n_down > 0) AS down, max(n_known > 0) AS known
    FROM sample_minutes
    WHERE "check" IN (SELECT value FROM json_each(:groups)) AND minute >= :lo AND minute < :hi
    GROUP BY "check", minute
),
minutes AS (
    SELECT minute, max(down) AS down, max(known) AS known FROM group_minutes
    WHERE NOT EXISTS (SELECT 1 FROM maint WHERE minute >= maint.lo AND minute < maint.hi)
    GROUP BY minute
)
SELECT coalesce(sum(known), 0) AS counted, coalesce(sum(known AND down), 0) AS down FROM minutes
"""

_CREDIT_COLUMNS = (
    "incident_id",
    "account_id",
    "name",
    "currency",
    "monthly_fee",
    "groups",
    "month",
    "uptime",
    "credit_percent",
    "due_amount",
    "previously_credited",
    "amount",
    "explanation",
)


class ReviewQueries:
    """Mixed into :class:`~stratus_commander.store.sqlite.backend.SqliteStore`."""

    conn: RedactingConnection

    if TYPE_CHECKING:  # the backend's own

        def write(self) -> AbstractContextManager[RedactingConnection]: ...

        def query(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[dict[str, Any]]: ...

    # --- close and review records --------------------------------------------------------------

    def review_record(self, incident_id: int) -> tuple[Any, Any] | None:
        """The incident's close record and review (JSON documents, ``None`` when not written),
        or ``None`` when it has neither."""
        rows = self.query("SELECT close, pir FROM reviews WHERE incident_id = ?", [incident_id])
        if not rows:
            return None
        close, pir = rows[0]["close"], rows[0]["pir"]
        return (json.loads(close) if close else None, json.loads(pir) if pir else None)

    def save_review(
        self,
        incident_id: int,
        updated_at: str,
        close: Mapping[str, Any] | None = None,
        pir: Mapping[str, Any] | None = None,
    ) -> None:
        """Create or touch the incident's review row; replace the documents given."""
        with self.write() as conn:
            conn.execute(
                "INSERT INTO reviews (incident_id, updated_at) VALUES (?, ?) "
                "ON CONFLICT (incident_id) DO UPDATE SET updated_at = excluded.updated_at",
                [incident_id, updated_at],
            )
            if close is not None:
                conn.execute(
                    "UPDATE reviews SET close = ? WHERE incident_id = ?",
                    [Json(close), incident_id],
                )
            if pir is not None:
                conn.execute(
                    "UPDATE reviews SET pir = ? WHERE incident_id = ?", [Json(pir), incident_id]
                )

    def set_search_text(self, incident_id: int, text: str) -> None:
        """The words the incident library finds this incident's review by."""
        self.conn.execute(
            "UPDATE reviews SET search_text = ? WHERE incident_id = ?", [text, incident_id]
        )

    def add_search_text(self, incident_id: int, text: str) -> None:
        """One more line the library finds this incident's review by (a lesson added later)."""
        self.conn.execute(
            "UPDATE reviews SET search_text = search_text || char(10) || ? WHERE incident_id = ?",
            [text, incident_id],
        )

    # --- action items --------------------------------------------------------------------------

    def action_item_rows(self, incident_id: int) -> list[dict[str, Any]]:
        return self.query(
            "SELECT * FROM action_items WHERE incident_id = ? ORDER BY id", [incident_id]
        )

    def action_item_row(self, item_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM action_items WHERE id = ?", [item_id])
        return rows[0] if rows else None

    def insert_action_item(self, values: Mapping[str, Any]) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(
            f"INSERT INTO action_items ({columns}) VALUES ({marks})", list(values.values())
        )
        return int(cursor.lastrowid or 0)

    def update_action_item(self, item_id: int, values: Mapping[str, Any]) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(
            f"UPDATE action_items SET {sets} WHERE id = ?", [*values.values(), item_id]
        )

    # --- lessons -------------------------------------------------------------------------------

    def insert_learnings(
        self, incident_id: int, lessons: Sequence[tuple[str, str]], actor: str, created_at: str
    ) -> list[int]:
        """Lessons (runbook step, text) of an incident; their ids."""
        ids = []
        for step, text in lessons:
            cursor = self.conn.execute(
                "INSERT INTO learnings (incident_id, step, text, actor, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [incident_id, step, text, actor, created_at],
            )
            ids.append(int(cursor.lastrowid or 0))
        return ids

    def learning_rows(
        self, step: str | None = None, incident_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Lessons with their incident's title, oldest first; of one runbook step and its
        sub-steps, or of one incident, when given."""
        where: list[str] = []
        args: list[Any] = []
        if step:
            where.append("(l.step = ? OR l.step LIKE ? ESCAPE '\\')")
            args += [step, _like(step) + ".%"]
        if incident_id is not None:
            where.append("l.incident_id = ?")
            args.append(incident_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self.query(
            "SELECT l.id, l.incident_id, i.title, l.step, l.text, l.actor, l.created_at "
            f"FROM learnings l JOIN incidents i ON i.id = l.incident_id {clause} "
            "ORDER BY l.created_at, l.id",
            args,
        )

    # --- evidence, maintenance and uptime ------------------------------------------------------

    def first_failing_flip(self, lo_ms: int, hi_ms: int) -> int | None:
        """When a probe first turned down or degraded between the two times (ms), if one did."""
        rows = self.query(
            "SELECT min(at_ms) AS at FROM flips WHERE at_ms >= ? AND at_ms <= ? "
            "AND current IN ('down', 'degraded')",
            [lo_ms, hi_ms],
        )
        return rows[0]["at"] if rows else None

    def save_maintenance(self, start_ms: int, end_ms: int, reason: str, created_at: str) -> None:
        """A service-wide maintenance window; the same start and end replaces its reason."""
        with self.write() as conn:
            conn.execute(
                "INSERT INTO maintenance_windows (start_ms, end_ms, reason, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (start_ms, end_ms) DO UPDATE SET reason = "
                "excluded.reason",
                [start_ms, end_ms, reason, created_at],
            )

    def maintenance_rows(self, lo_ms: int, hi_ms: int) -> list[dict[str, Any]]:
        """Windows overlapping [lo_ms, hi_ms), oldest first."""
        return self.query(
            "SELECT start_ms, end_ms, reason FROM maintenance_windows "
            "WHERE end_ms > ? AND start_ms < ? ORDER BY start_ms",
            [lo_ms, hi_ms],
        )

    def uptime_minutes(
        self, groups: Sequence[str], lo: int, hi: int, maintenance: Sequence[Sequence[int]]
    ) -> tuple[int, int]:
        """(minutes with a known sample, of which down) in minutes [lo, hi) of ``groups``
        together, the ``maintenance`` minute ranges left out (read from the per-minute rollup)."""
        row = self.query(
            _UPTIME_SQL,
            {
                "maint": json.dumps([list(r) for r in maintenance]),
                "groups": json.dumps(list(groups)),
                "lo": lo,
                "hi": hi,
            },
        )[0]
        return int(row["counted"]), int(row["down"])

    # --- credits -------------------------------------------------------------------------------

    def save_credit_report(
        self,
        incident_id: int,
        month: str,
        report: Mapping[str, Any],
        digest: str,
        computed_at: str,
        accounts: Iterable[Mapping[str, Any]],
    ) -> None:
        """One month's credit report of an incident and its per-account rows (replacing that
        month's; other months stay)."""
        with self.write() as conn:
            conn.execute(
                "DELETE FROM credits WHERE incident_id = ? AND month = ?", [incident_id, month]
            )
            conn.execute(
                "INSERT OR REPLACE INTO credit_runs (incident_id, month, data, digest, "
                "computed_at) VALUES (?, ?, ?, ?, ?)",
                [incident_id, month, Json(report), digest, computed_at],
            )
            conn.executemany(
                f"INSERT INTO credits ({', '.join(_CREDIT_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _CREDIT_COLUMNS)})",
                [
                    [
                        {"incident_id": incident_id, "month": month, **row}[c]
                        for c in _CREDIT_COLUMNS
                    ]
                    for row in accounts
                ],
            )

    def credit_reports(self, incident_id: int) -> list[tuple[Any, str]]:
        """Each stored month's report (a JSON document) of an incident with the digest stored
        beside it, oldest month first."""
        rows = self.query(
            "SELECT data, digest FROM credit_runs WHERE incident_id = ? ORDER BY month",
            [incident_id],
        )
        return [(json.loads(r["data"]), r["digest"]) for r in rows]

    def every_credit_report(self) -> list[tuple[int, Any, str]]:
        rows = self.query(
            "SELECT incident_id, data, digest FROM credit_runs ORDER BY incident_id, month", []
        )
        return [(r["incident_id"], json.loads(r["data"]), r["digest"]) for r in rows]

    def credits_of_others(self, month: str, incident_id: int) -> list[dict[str, Any]]:
        """What other incidents already credited in ``month``: account, currency, amount,
        incident, in incident order."""
        return self.query(
            "SELECT account_id, currency, amount, incident_id FROM credits "
            "WHERE month = ? AND incident_id <> ? ORDER BY incident_id",
            [month, incident_id],
        )


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching itself literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
