"""Credits per calendar month: an outage across a month end owes a credit in each month."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from stratus_commander import credits as cr
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.errors import InputError
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import SqliteStore, open_store
from tests.unit.credits_kit import (
    CROSSING,
    USD_FEE,
    cli_at,
    crossing_incident,
    incidents,
    per_minute,
    resolved,
    usd_account,
)


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


@pytest.fixture
def inc() -> Incidents:
    return incidents()


@pytest.fixture
def cli(tmp_path: Path):
    return cli_at(tmp_path / "incidents.db")


def test_an_outage_across_a_month_end_owes_a_credit_in_each_month(
    inc: Incidents, runbook: Runbook
) -> None:
    iid = crossing_incident(inc)
    credits = cr.compute_incident_credits(
        inc.store, inc.get(iid), [usd_account()], runbook.sla.ladder, inc.clock.now()
    )
    assert credits.months == ("2026-09", "2026-10")
    september, october = (r.accounts[0] for r in credits.reports)
    # September: 30 days = 43,200 minutes; 60 down → 100 − 6000/43200 = 99.8611 % < 99.9 → 10 %.
    assert (september.uptime.period_minutes, september.uptime.down_minutes) == (43_200, 60)
    assert september.uptime.percent_text == "99.8611"
    # October: 31 days = 44,640 minutes; 60 down → 100 − 6000/44640 = 99.8655 % < 99.9 → 10 %.
    assert (october.uptime.period_minutes, october.uptime.down_minutes) == (44_640, 60)
    assert october.uptime.percent_text == "99.8655"
    # 10 % of USD 499.00 = 49.90 in each month.
    assert (september.amount, october.amount) == (Decimal("49.90"), Decimal("49.90"))
    assert credits.totals == {"USD": Decimal("99.80")}
    assert credits.summary() == (
        "USD 99.80 to 1 account over 2 months: September 2026 USD 49.90 (uptime api 99.8611 %); "
        "October 2026 USD 49.90 (uptime api 99.8655 %); SLA 99.9 %"
    )
    events = cr.record_credits(inc, credits)
    assert [(e.kind, e.data["month"], e.data["totals"]) for e in events] == [
        ("credits", "2026-09", {"USD": "49.90"}),
        ("credits", "2026-10", {"USD": "49.90"}),
    ]
    stored = cr.stored_credits(inc.store, iid)
    assert stored is not None and stored.months == ("2026-09", "2026-10")
    assert stored.digest() == credits.digest()
    table = list(csv.DictReader(io.StringIO(cr.credits_csv(stored))))
    assert [(r["month"], r["credit"]) for r in table] == [
        ("2026-09", "49.90"),
        ("2026-10", "49.90"),
    ]
    assert inc.verify(iid).ok


def test_only_months_holding_the_incidents_down_time_are_credited(
    inc: Incidents, runbook: Runbook
) -> None:
    # Down 23:00-23:50 on 30 September, resolved at 00:30 on 1 October: the window touches
    # October, the down time does not.
    per_minute(inc.store, CROSSING, 150, range(50))
    iid = resolved(inc, CROSSING, minutes=90)
    credits = cr.compute_incident_credits(
        inc.store, inc.get(iid), [usd_account()], runbook.sla.ladder, inc.clock.now()
    )
    assert credits.months == ("2026-09",)
    # Nothing measured down at all (no probe ran): the month of detection, which says so.
    quiet = resolved(inc, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), minutes=60)
    months = cr.credit_months(inc.store, inc.get(quiet), inc.clock.now(), cr.DEFAULT_SLA_GROUPS)
    assert [m.label for m in months] == ["October 2026"]


def test_maintenance_over_octobers_down_time_leaves_only_september(
    inc: Incidents, runbook: Runbook
) -> None:
    iid = crossing_incident(inc)
    window = cr.maintenance_window(
        datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 1, 1, tzinfo=UTC), "failover"
    )
    credits = cr.compute_incident_credits(
        inc.store, inc.get(iid), [usd_account()], runbook.sla.ladder, inc.clock.now(),
        maintenance=[window],
    )  # fmt: skip
    assert credits.months == ("2026-09",)
    assert cr.maintenance_windows(inc.store) == []  # computing stores nothing ...
    cr.record_credits(inc, credits, [window])
    assert cr.maintenance_windows(inc.store) == [window]  # ... recording does, with the report


def test_a_month_the_incident_did_not_touch_is_refused(inc: Incidents, runbook: Runbook) -> None:
    iid = crossing_incident(inc)
    with pytest.raises(InputError, match="2026-08 is not a month of INC-1") as info:
        cr.compute_incident_credits(
            inc.store, inc.get(iid), [usd_account()], runbook.sla.ladder, inc.clock.now(),
            month=datetime(2026, 8, 1, tzinfo=UTC),
        )  # fmt: skip
    assert info.value.where == "--month"


def test_cli_credits_both_months_and_recalculating_one_keeps_the_other(cli, tmp_path: Path) -> None:
    with open_store(cli.db) as store:
        iid = crossing_incident(Incidents(store, FakeClock(CROSSING)))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(USD_FEE)
    code, out, err = cli("incidents", "credits", str(iid), "--accounts", str(accounts))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"INC-{iid} service credits, September 2026 (UTC)"
    assert f"INC-{iid} service credits, October 2026 (UTC)" in lines
    assert [line.split()[:3] for line in lines if line.startswith("acme")] == [
        ["acme", "USD", "49.90"],
        ["acme", "USD", "49.90"],
    ]
    assert lines[-1].startswith("Total: USD 99.80 to 1 account over 2 months: September 2026")
    # Recalculating October (here: a maintenance hour now excludes its down time) replaces
    # October's report only; September's credit stays owed.
    code, out, err = cli(
        "incidents", "credits", str(iid), "--accounts", str(accounts), "--month", "2026-10",
        "--maintenance", "2026-10-01T00:00:00Z/2026-10-01T01:00:00Z",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[-1] == (
        "Total: USD 49.90 to 1 account over 2 months: September 2026 USD 49.90 "
        "(uptime api 99.8611 %); October 2026 none due (uptime api 100.0000 %); SLA 99.9 %"
    )
    code, out, _ = cli("incidents", "credits", str(iid), "--json")
    shown = json.loads(out)
    assert [m["month"] for m in shown["months"]] == ["2026-09", "2026-10"]
    assert shown["totals"] == {"USD": "49.90"}
    code, out, err = cli("incidents", "credits", str(iid), "--accounts", str(accounts), "--month",
                         "2026-08")  # fmt: skip
    assert code == 2 and "--month: 2026-08 is not a month of INC-1" in err


def test_credits_stored_before_months_were_counted_carry_over(
    tmp_path: Path, runbook: Runbook
) -> None:
    import sqlite3

    import sqlite_utils

    from stratus_commander.store.sqlite.migrations import migrations
    from stratus_commander.store.sqlite.rollup import rebuild_sample_minutes

    path = tmp_path / "incidents.db"
    # A database as the previous release left it: schema m001-m002, one report per incident.
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.apply(sqlite_utils.Database(conn), stop_before="m003_credits_by_month")
    inc = Incidents(SqliteStore(conn, path), FakeClock(CROSSING))
    # crossing_incident's samples, in that release's row layout (latency REAL, before m005).
    conn.execute(
        "INSERT INTO probes (id, name, kind, \"check\") VALUES (1, 'api-health', 'http', 'api')"
    )
    conn.executemany(
        "INSERT INTO samples (probe_id, at_ms, outcome, latency_ms) VALUES (1, ?, ?, 40.0)",
        [(to_ms(CROSSING) + m * 60_000 + 5_000, 2 if m < 120 else 0) for m in range(180)],
    )
    rebuild_sample_minutes(conn, before_m005=True)  # as that release kept its rollup
    iid = resolved(inc, CROSSING, minutes=120)
    report = cr.compute_credits(
        inc.store, inc.get(iid), [usd_account()], runbook.sla.ladder, inc.clock.now()
    )
    cr.record_credits(inc, report)
    assert conn.execute("SELECT count(*) FROM credits").fetchone()[0] == 1
    conn.close()

    with open_store(path) as store:
        inc = Incidents(store, FakeClock(CROSSING + timedelta(days=3)))
        ((kept, digest),) = cr.stored_reports(store, iid)
        assert (kept.month, digest, kept.digest()) == ("2026-09", report.digest(), report.digest())
        assert kept.accounts[0].amount == Decimal("49.90")
        rows = store.query("SELECT month, account_id, amount FROM credits")
        assert rows == [{"month": "2026-09", "account_id": "acme", "amount": "49.90"}]
        from stratus_commander.review import build_review

        assert build_review(inc, runbook, iid).record_problems == ()
        # October now goes beside September instead of replacing it.
        october = cr.compute_credits(
            store, inc.get(iid), [usd_account()], runbook.sla.ladder, inc.clock.now(),
            month=datetime(2026, 10, 1, tzinfo=UTC),
        )  # fmt: skip
        cr.record_credits(inc, october)
        assert cr.stored_credits(store, iid).totals == {"USD": Decimal("99.80")}  # type: ignore[union-attr]
