"""Service credits: uptime measured from samples, the ladder, money, storing and the CLI."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from stratus_commander import credits as cr
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.errors import DomainRefused, InputError
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import Store, open_store
from tests.unit.credits_kit import GOOD, T0, account, cli_at, incidents, per_minute, resolved


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


@pytest.fixture
def inc() -> Incidents:
    return incidents()


@pytest.fixture
def cli(tmp_path: Path):
    return cli_at(tmp_path / "incidents.db")


# ---------------------------------------------------------------- measuring

# November 2026 has 30 days: 43,200 minutes. Unobserved minutes count as available, so uptime is
# 100 − 100 × down / (43,200 − maintenance) whatever the probes happened to observe.
NOVEMBER_MINUTES = 30 * 24 * 60
MAINTENANCE_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # far from the samples at T0


def maintain(store: Store, minutes: int) -> None:
    cr.add_maintenance(
        store, MAINTENANCE_AT, MAINTENANCE_AT + timedelta(minutes=minutes), "DB upgrade", T0
    )


@pytest.mark.parametrize(
    ("maintenance", "down", "uptime", "credit"),
    [
        # 200 maintenance minutes leave 43,000 counted: 43 down is exactly 99.9 %.
        (200, 43, "99.9000", "0"),  # exactly the target: not below it, no credit
        (200, 44, "99.8976", "10"),  # one minute more
        (200, 86, "99.8000", "10"),
        (0, 432, "99.0000", "10"),  # 432 of 43,200 = exactly 99.0: below 99.9 only
        (0, 433, "98.9976", "25"),
        (0, 864, "98.0000", "25"),
        (0, 2160, "95.0000", "25"),  # exactly 95.0: below 99.0 only
        (0, 2161, "94.9976", "100"),
        (0, 4320, "90.0000", "100"),
        (0, 0, "100.0000", "0"),
    ],
)
def test_ladder_boundaries_are_exact(
    inc: Incidents, runbook: Runbook, maintenance: int, down: int, uptime: str, credit: str
) -> None:
    observed = down + 60  # the outage, then an hour of the probes seeing it up
    per_minute(inc.store, T0, observed, range(down))
    if maintenance:
        maintain(inc.store, maintenance)
    iid = resolved(inc, T0)
    report = cr.compute_credits(
        inc.store, inc.get(iid), [account()], runbook.sla.ladder, inc.clock.now()
    )
    (row,) = report.accounts
    assert row.uptime.period_minutes == NOVEMBER_MINUTES
    assert row.uptime.maintenance_minutes == maintenance
    assert row.uptime.counted_minutes == observed
    assert row.uptime.unobserved_minutes == NOVEMBER_MINUTES - maintenance - observed
    assert row.uptime.down_minutes == down
    assert row.uptime.percent_text == uptime
    assert row.credit_percent == Decimal(credit)
    assert row.amount == Decimal(1000) * Decimal(credit) / 100
    counted = NOVEMBER_MINUTES - maintenance
    assert f"{down:,} of {counted:,} minutes unavailable = {uptime} %" in row.explanation
    if credit == "0":
        assert "→ no credit" in row.explanation
    else:
        assert f"→ {credit} % of the monthly fee" in row.explanation
        assert f"GBP {row.amount:,.2f}" in row.explanation


def test_uptime_is_never_rounded_up_to_the_threshold(inc: Incidents, runbook: Runbook) -> None:
    # 43 of 42,999 minutes down (201 of maintenance) = 99.89999767…%: rounded to four places it
    # would read 99.9000 and look like no credit is due; it is shown truncated, and credited.
    per_minute(inc.store, T0, 100, range(43))
    maintain(inc.store, 201)
    report = cr.compute_credits(
        inc.store, inc.get(resolved(inc, T0)), [account()], runbook.sla.ladder, inc.clock.now()
    )
    assert report.accounts[0].uptime.percent_text == "99.8999"
    assert report.accounts[0].credit_percent == Decimal(10)


def test_probes_that_ran_only_during_the_incident_do_not_make_it_a_full_credit(
    inc: Incidents, runbook: Runbook
) -> None:
    # Why unobserved minutes count as available: the probes run while the cockpit is open,
    # usually only during an incident. 30 observed minutes, all down, must not read as 0 %
    # uptime (a 100 % credit): it is 30 of November's 43,200 minutes, 100 − 3000/43200.
    per_minute(inc.store, T0, 30, range(30))
    report = cr.compute_credits(
        inc.store, inc.get(resolved(inc, T0)), [account()], runbook.sla.ladder, inc.clock.now()
    )
    (row,) = report.accounts
    assert (row.uptime.counted_minutes, row.uptime.down_minutes) == (30, 30)
    assert row.uptime.percent == Fraction(100 * (43_200 - 30), 43_200)
    assert row.uptime.percent_text == "99.9305"
    assert (row.credit_percent, row.amount) == (Decimal(0), Decimal("0.00"))
    assert "99.9305 % is not below 99.9 % → no credit" in row.explanation
    assert "43,170 minutes without samples counted as available" in row.explanation
    assert report.summary() == "None due (November 2026 uptime api 99.9305 %; SLA 99.9 %)"


def test_degraded_unknown_and_gaps_count_as_available(inc: Incidents) -> None:
    store = inc.store
    per_minute(store, T0, 10, [0, 1], outcome="degraded")
    per_minute(store, T0 + timedelta(minutes=10), 10, range(10), outcome="unknown")
    # Minutes 20-29 have no sample at all; 30-39 are up again with one down.
    per_minute(store, T0 + timedelta(minutes=30), 10, [9])
    period = cr.Period(T0, T0 + timedelta(minutes=40), "test")
    uptime = cr.measure_uptime(store, ["api"], period)
    assert (uptime.period_minutes, uptime.counted_minutes, uptime.down_minutes) == (40, 20, 1)
    assert uptime.unobserved_minutes == 20  # the unknown minutes and the gap
    # 1 of 40 minutes down: the 20 unobserved ones count as up (not 1 of 20 = 95 %).
    assert uptime.percent_text == "97.5000"
    assert uptime.describe() == (
        "api in test: 1 of 40 minutes unavailable = 97.5000 % "
        "(20 minutes without samples counted as available)"
    )


def test_nothing_observed_is_not_measurable(inc: Incidents) -> None:
    # Only unknown samples: no minute was observed, so there is no figure (not 100 %).
    per_minute(inc.store, T0, 10, range(10), outcome="unknown")
    uptime = cr.measure_uptime(inc.store, ["api"], cr.Period(T0, T0 + timedelta(minutes=10), "x"))
    assert uptime.percent is None and uptime.percent_text == "n/a"
    assert uptime.describe() == "api: no observed minutes in x, uptime not measurable"


def test_a_minute_is_down_when_any_probe_of_the_group_is(inc: Incidents) -> None:
    per_minute(inc.store, T0, 10, [3], probe="api-health")
    per_minute(inc.store, T0, 10, [7], probe="api-latency")
    per_minute(inc.store, T0, 10, [3, 5], probe="stripe-webhooks", check="webhooks")
    period = cr.Period(T0, T0 + timedelta(minutes=10), "test")
    assert cr.measure_uptime(inc.store, ["api"], period).down_minutes == 2
    assert cr.measure_uptime(inc.store, ["webhooks"], period).down_minutes == 2
    # Together: minutes 3, 5, 7 — the overlap at minute 3 counts once.
    assert cr.measure_uptime(inc.store, ["api", "webhooks"], period).down_minutes == 3


def test_a_replaced_sample_is_not_counted_twice(inc: Incidents) -> None:
    per_minute(inc.store, T0, 5, [2])
    per_minute(inc.store, T0, 5, [])  # the same five samples, re-recorded as up
    uptime = cr.measure_uptime(inc.store, ["api"], cr.Period(T0, T0 + timedelta(minutes=5), "x"))
    assert (uptime.counted_minutes, uptime.down_minutes) == (5, 0)


def test_month_with_maintenance_excludes_it_from_both_sides(
    inc: Incidents, runbook: Runbook
) -> None:
    # 1200 observed minutes from 10:00, down minutes 100-151 (52); a 200-minute maintenance
    # window over minutes 143-342 holds 9 of the down minutes.
    per_minute(inc.store, T0, 1200, range(100, 152))
    iid = resolved(inc, T0 + timedelta(minutes=100), minutes=52)
    incident = inc.get(iid)
    without = cr.compute_credits(inc.store, incident, [account()], runbook.sla.ladder, T0)
    # 52 of 43,200: 100 − 5200/43200.
    assert without.accounts[0].uptime.percent_text == "99.8796"
    assert without.accounts[0].credit_percent == Decimal(10)
    cr.add_maintenance(
        inc.store, T0 + timedelta(minutes=143), T0 + timedelta(minutes=343), "DB upgrade", T0
    )
    report = cr.compute_credits(inc.store, incident, [account()], runbook.sla.ladder, T0)
    (row,) = report.accounts
    assert row.uptime.maintenance_minutes == 200
    assert (row.uptime.counted_minutes, row.uptime.down_minutes) == (1000, 43)
    assert row.uptime.unobserved_minutes == 43_200 - 200 - 1000
    # 43 of 43,000: exactly the target.
    assert row.uptime.percent_text == "99.9000"
    assert row.amount == Decimal("0.00")
    assert "43 of 43,000 minutes unavailable = 99.9000 %" in row.explanation
    assert "200 maintenance minutes excluded" in row.explanation
    assert [w.reason for w in report.maintenance] == ["DB upgrade"]
    assert report.month_label == "November 2026"


def test_overlapping_incidents_share_one_monthly_downtime(inc: Incidents, runbook: Runbook) -> None:
    # 1000 observed minutes from 10:00, down minutes 20-883 (864): 98.0 % of November.
    per_minute(inc.store, T0, 1000, range(20, 884))
    first = resolved(inc, T0, minutes=500)  # minutes 0-499
    second = resolved(inc, T0 + timedelta(minutes=400), minutes=500)  # minutes 400-899
    now = T0 + timedelta(days=1)
    one = cr.compute_credits(inc.store, inc.get(first), [account()], runbook.sla.ladder, now)
    two = cr.compute_credits(inc.store, inc.get(second), [account()], runbook.sla.ladder, now)
    assert one.month_uptime["api"].down_minutes == two.month_uptime["api"].down_minutes == 864
    assert one.accounts[0].uptime.percent_text == "98.0000"
    # The windows hold 480 and 484 down minutes; their 100 shared ones count once in the month.
    assert one.window_uptime["api"].down_minutes == 480
    assert two.window_uptime["api"].down_minutes == 484
    # The month's 25 % is due once, not once per incident.
    cr.record_credits(inc, one)
    two = cr.compute_credits(inc.store, inc.get(second), [account()], runbook.sla.ladder, now)
    (row,) = two.accounts
    assert (row.due, row.previously_credited, row.amount) == (
        Decimal("250.00"),
        Decimal("250.00"),
        Decimal("0.00"),
    )
    assert f"already credited for this month under INC-{first}" in row.explanation


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("fee", "currency", "percent", "expected"),
    [
        ("333.33", "GBP", "10", "33.33"),
        ("0.05", "GBP", "10", "0.01"),  # 0.005: half-up, not banker's (0.00)
        ("0.25", "EUR", "10", "0.03"),  # 0.025
        ("1005", "JPY", "10", "101"),  # no minor unit
        ("10.005", "KWD", "25", "2.501"),  # three decimals
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(
    fee: str, currency: str, percent: str, expected: str
) -> None:
    amount = cr.round_money(Decimal(fee) * Decimal(percent) / 100, currency)
    assert str(amount) == expected


def test_custom_ladder_and_bad_ladders(inc: Incidents) -> None:
    steps = cr.parse_ladder("99.9:10,99.0:15,98.0:20,96.0:30")
    assert [str(s.credit) for s in steps] == ["10", "15", "20", "30"]
    assert cr.credit_percent(Fraction(97), steps) == Decimal(20)
    for bad in ("99.0:25,99.9:10", "99.9", "99.9:ten", "99.9:10,99.0:5"):
        with pytest.raises(InputError) as info:
            cr.parse_ladder(bad)
        assert info.value.where == "--ladder"
    with pytest.raises(InputError) as info:
        cr.parse_ladder("99.0:25,99.9:10")  # in the ladder's own words, not pydantic's prefix
    assert info.value.message == (
        "ladder: each step must have a lower 'below' and a higher 'credit'"
    )


# ---------------------------------------------------------------- storing and the CLI


def test_credits_are_stored_chained_and_exported_as_csv(inc: Incidents, runbook: Runbook) -> None:
    per_minute(inc.store, T0, 500, range(5, 437))  # 432 of November's 43,200 minutes: 99.0 %
    iid = resolved(inc, T0)
    rows = cr.parse_accounts(GOOD, "accounts.csv")
    report = cr.compute_credits(inc.store, inc.get(iid), rows, runbook.sla.ladder, T0)
    (event,) = cr.record_credits(inc, report)
    assert event.kind == "credits" and event.data["digest"] == report.digest()
    assert event.data["totals"] == {"GBP": "125.00", "USD": "9.95", "JPY": "1200"}
    ((stored, digest),) = cr.stored_reports(inc.store, iid)
    assert digest == report.digest() == stored.digest()
    assert inc.verify(iid).ok
    table = list(csv.DictReader(io.StringIO(cr.credits_csv(stored))))
    assert [r["credit"] for r in table] == ["125.00", "9.95", "1200"]
    assert table[0]["uptime_percent"] == "99.0000" and table[0]["month"] == "2026-11"
    assert [table[0][c] for c in ("period_minutes", "maintenance_minutes", "down_minutes")] == [
        "43200",
        "0",
        "432",
    ]
    assert table[0]["observed_minutes"] == "500"
    assert "432 of 43,200 minutes unavailable = 99.0000 %" in table[0]["calculation"]
    assert "10 % × GBP 1,250.00 = GBP 125.00" in table[0]["calculation"]


def test_credits_wait_for_resolution(inc: Incidents, runbook: Runbook) -> None:
    iid = inc.declare("still burning", "Major").id
    report = cr.compute_credits(inc.store, inc.get(iid), [account()], runbook.sla.ladder, T0)
    with pytest.raises(DomainRefused, match="once it is resolved"):
        cr.record_credits(inc, report)


def test_cli_bad_csv_imports_nothing_and_keeps_the_previous_run(cli, tmp_path: Path) -> None:
    with open_store(cli.db) as store:
        per_minute(store, T0, 500, range(5, 437))  # 99.0 % of November: 10 %
        inc = Incidents(store, FakeClock(T0))
        iid = resolved(inc, T0)
    good = tmp_path / "accounts.csv"
    good.write_text(GOOD)
    out_csv = tmp_path / "credits.csv"
    code, out, err = cli(
        "incidents", "credits", str(iid), "--accounts", str(good), "--csv", str(out_csv)
    )
    assert code == 0, err
    assert "acme" in out and "GBP 125.00" in out and out_csv.exists()
    assert "WARNING: the probes saw under half of the month" in out  # 500 of 43,200 minutes
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "acme,Acme twice,10.00,GBP,\n")
    code, _, err = cli("incidents", "credits", str(iid), "--accounts", str(bad))
    assert code == 2
    assert f"{bad}:5:1: account_id: duplicate 'acme' (first on line 2)" in err
    code, out, _ = cli("incidents", "credits", str(iid), "--json")
    assert code == 0 and '"source": "accounts.csv"' in out  # still the first, good run
    code, _, err = cli(
        "incidents", "credits", str(iid), "--accounts", str(good), "--ladder", "99:x"
    )
    assert code == 2 and "--ladder" in err


def test_rollup_follows_deletes_and_walks_only_dirty_minutes(inc: Incidents) -> None:
    from stratus_commander.store import refresh_sample_minutes
    from stratus_commander.store.sqlite.rollup import _REFRESH_MINUTES

    per_minute(inc.store, T0, 5, [1])
    period = cr.Period(T0, T0 + timedelta(minutes=5), "x")
    assert cr.measure_uptime(inc.store, ["api"], period).down_minutes == 1
    with inc.store.write() as conn:
        conn.execute("DELETE FROM samples WHERE at_ms < ?", [to_ms(T0) + 2 * 60_000])
    uptime = cr.measure_uptime(inc.store, ["api"], period)
    assert (uptime.counted_minutes, uptime.down_minutes) == (3, 0)
    assert refresh_sample_minutes(inc.store) == 0  # nothing left to do
    # A day of 1 Hz data must be walked minute by minute, never scanned whole or sorted.
    plan = [r[3] for r in inc.store.conn.execute("EXPLAIN QUERY PLAN " + _REFRESH_MINUTES)]
    assert plan[1] == "SCAN d"
    assert any(p.startswith("SEARCH s USING PRIMARY KEY") for p in plan)
    assert not any("TEMP B-TREE" in p for p in plan)


def test_a_month_observed_less_than_half_is_flagged_as_thin() -> None:
    period = cr.Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), "Nov")

    def uptime(counted: int, maintenance: int = 0) -> cr.Uptime:
        return cr.Uptime(("api",), period, 43_200, maintenance, counted, 0)

    assert uptime(21_599).thinly_observed  # the rest, counted as up, may hide downtime
    assert not uptime(21_600).thinly_observed
    assert not uptime(20_000, maintenance=3_200).thinly_observed  # half of the measurable time
