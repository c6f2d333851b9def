"""After the outage, on PostgreSQL: close and review records, action items, lessons, maintenance
windows, credit reports and the uptime they rest on (the SQLite backend's ``reviews.py``, in
PostgreSQL's SQL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from stratus_commander.store.postgres.connection import RedactingConnection
from stratus_commander.store.postgres.search import words
from stratus_commander.store.redaction import Json

# A minute is down when any of the groups is; maintenance minutes are left out; a minute with no
# known sample is not counted (the caller says how unobserved minutes count).
_UPTIME_SQL = """
WITH maint (lo, hi) AS (
    SELECT * FROM unnest(%(maint_lo)s::bigint[], %(maint_hi)s::bigint[])
),
group_minutes AS (
    SELECT "check" AS grp, minute, bool_or(n_down > 0) AS down, bool_or(n_known > 0) AS known
    FROM sample_minutes_exact
    WHERE "check" = ANY (%(groups)s::text[]) AND minute >= %(lo)s AND minute < %(hi)s
    GROUP BY "check", minute
),
minutes AS (
    SELECT minute, bool_or(down) AS down, bool_or(known) AS known FROM group_minutes g
    WHERE NOT EXISTS (SELECT 1 FROM maint WHERE g.minute >= maint.lo AND g.minute < maint.hi)
    GROUP BY minute
)
SELECT count(*) FILTER (WHERE known) AS counted,
       count(*) FILTER (WHERE known AND down) AS down
FROM minutes
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
    """Mixed into :class:`~stratus_commander.store.postgres.backend.PostgresStore`."""

    conn: RedactingConnection

    if TYPE_CHECKING:  # the backend's own

        def write(self) -> AbstractContextManager[RedactingConnection]: ...

        def query(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[dict[str, Any]]: ...

    # --- close and review records --------------------------------------------------------------

    def review_record(self, incident_id: int) -> tuple[Any, Any] | None:
        rows = self.query("SELECT close, pir FROM reviews WHERE incident_id = %s", [incident_id])
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
        with self.write() as conn:
            conn.execute(
                "INSERT INTO reviews (incident_id, updated_at) VALUES (%s, %s) "
                "ON CONFLICT (incident_id) DO UPDATE SET updated_at = excluded.updated_at",
                [incident_id, updated_at],
            )
            if close is not None:
                conn.execute(
                    "UPDATE reviews SET close = %s WHERE incident_id = %s",
                    [Json(close), incident_id],
                )
            if pir is not None:
                conn.execute(
                    "UPDATE reviews SET pir = %s WHERE incident_id = %s", [Json(pir), incident_id]
                )

    def set_search_text(self, incident_id: int, text: str) -> None:
        self.conn.execute(
            "UPDATE reviews SET search_text = %s, words = to_tsvector('simple', %s) "
            "WHERE incident_id = %s",
            [text, words(text), incident_id],
        )

    def add_search_text(self, incident_id: int, text: str) -> None:
        self.conn.execute(
            "UPDATE reviews SET search_text = search_text || chr(10) || %s, "
            "words = words || to_tsvector('simple', %s) WHERE incident_id = %s",
            [text, words(text), incident_id],
        )

    # --- action items --------------------------------------------------------------------------

    def action_item_rows(self, incident_id: int) -> list[dict[str, Any]]:
        return self.query(
            "SELECT * FROM action_items WHERE incident_id = %s ORDER BY id", [incident_id]
        )

    def action_item_row(self, item_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM action_items WHERE id = %s", [item_id])
        return rows[0] if rows else None

    def insert_action_item(self, values: Mapping[str, Any]) -> int:
        columns = ", ".join(values)
        marks = ", ".join(f"%({k})s" for k in values)
        rows = self.query(
            f"INSERT INTO action_items ({columns}) VALUES ({marks}) RETURNING id", values
        )
        return int(rows[0]["id"])

    def update_action_item(self, item_id: int, values: Mapping[str, Any]) -> None:
        sets = ", ".join(f"{k} = %({k})s" for k in values)
        self.conn.execute(
            f"UPDATE action_items SET {sets} WHERE id = %(_id)s", {**values, "_id": item_id}
        )

    # --- lessons -------------------------------------------------------------------------------

    def insert_learnings(
        self, incident_id: int, lessons: Sequence[tuple[str, str]], actor: str, created_at: str
    ) -> list[int]:
        ids = []
        for step, text in lessons:
            rows = self.query(
                "INSERT INTO learnings (incident_id, step, text, actor, created_at) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                [incident_id, step, text, actor, created_at],
            )
            ids.append(int(rows[0]["id"]))
        return ids

    def learning_rows(
        self, step: str | None = None, incident_id: int | None = None
    ) -> list[dict[str, Any]]:
        where: list[str] = []
        args: list[Any] = []
        if step:
            where.append("(l.step = %s OR l.step LIKE %s ESCAPE '\\')")
            args += [step, _like(step) + ".%"]
        if incident_id is not None:
            where.append("l.incident_id = %s")
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
        rows = self.query(
            "SELECT min(at_ms) AS at FROM flips WHERE at_ms >= %s AND at_ms <= %s "
            "AND current IN ('down', 'degraded')",
            [lo_ms, hi_ms],
        )
        return rows[0]["at"] if rows else None

    def save_maintenance(self, start_ms: int, end_ms: int, reason: str, created_at: str) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO maintenance_windows (start_ms, end_ms, reason, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (start_ms, end_ms) DO UPDATE SET reason = "
                "excluded.reason",
                [start_ms, end_ms, reason, created_at],
            )

    def maintenance_rows(self, lo_ms: int, hi_ms: int) -> list[dict[str, Any]]:
        return self.query(
            "SELECT start_ms, end_ms, reason FROM maintenance_windows "
            "WHERE end_ms > %s AND start_ms < %s ORDER BY start_ms",
            [lo_ms, hi_ms],
        )

    def uptime_minutes(
        self, groups: Sequence[str], lo: int, hi: int, maintenance: Sequence[Sequence[int]]
    ) -> tuple[int, int]:
        row = self.query(
            _UPTIME_SQL,
            {
                "maint_lo": [int(r[0]) for r in maintenance],
                "maint_hi": [int(r[1]) for r in maintenance],
                "groups": list(groups),
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
        with self.write() as conn:
            conn.execute(
                "DELETE FROM credits WHERE incident_id = %s AND month = %s", [incident_id, month]
            )
            conn.execute(
                "INSERT INTO credit_runs (incident_id, month, data, digest, computed_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (incident_id, month) DO UPDATE SET "
                "data = excluded.data, digest = excluded.digest, "
                "computed_at = excluded.computed_at",
                [incident_id, month, Json(report), digest, computed_at],
            )
            rows = [
                [{"incident_id": incident_id, "month": month, **row}[c] for c in _CREDIT_COLUMNS]
                for row in accounts
            ]
            if rows:
                conn.executemany(
                    f"INSERT INTO credits ({', '.join(_CREDIT_COLUMNS)}) "
                    f"VALUES ({', '.join('%s' for _ in _CREDIT_COLUMNS)})",
                    rows,
                )

    def credit_reports(self, incident_id: int) -> list[tuple[Any, str]]:
        rows = self.query(
            "SELECT data, digest FROM credit_runs WHERE incident_id = %s ORDER BY month",
            [incident_id],
        )
        return [(json.loads(r["data"]), r["digest"]) for r in rows]

    def every_credit_report(self) -> list[tuple[int, Any, str]]:
        rows = self.query(
            "SELECT incident_id, data, digest FROM credit_runs ORDER BY incident_id, month", []
        )
        return [(r["incident_id"], json.loads(r["data"]), r["digest"]) for r in rows]

    def credits_of_others(self, month: str, incident_id: int) -> list[dict[str, Any]]:
        return self.query(
            "SELECT account_id, currency, amount, incident_id FROM credits "
            "WHERE month = %s AND incident_id <> %s ORDER BY incident_id",
            [month, incident_id],
        )


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching itself literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
