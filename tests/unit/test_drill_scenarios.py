"""Drill scenarios: the bundled files validate, bad files are refused by name and key path, each
step switches its faults at the compressed time, and the generated probe config is what the
probe loader reads, with secrets only as env: references."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.drill import Simulator, drill_secrets, probe_config_toml
from stratus_commander.drill.config import PROBE_IDS, drill_probes, probe_interval_s
from stratus_commander.drill.faults import ApiSlow, DbSlow, StripeApiSlow
from stratus_commander.drill.scenario import (
    Scenario,
    ScenarioClock,
    available_scenarios,
    load_scenario,
    load_scenario_file,
    parse_offset,
)
from stratus_commander.errors import InputError
from stratus_commander.probes.base import Outcome
from stratus_commander.timefmt import duration_notation

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
REQUIRED = {
    "payment-processing-down",
    "webhook-processing-failed",
    "database-connection-issues",
    "rls-disabled",
    "high-error-rates",
    "stripe-degraded",
}
SCENARIOS = available_scenarios()


def test_the_required_scenarios_are_bundled_and_load() -> None:
    assert set(SCENARIOS) >= REQUIRED
    for name in SCENARIOS:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.title and scenario.summary


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - {"baseline"}))
def test_each_drill_has_a_decision_and_ends_in_recovery(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.impact is not None
    assert scenario.steps, "a drill without faults teaches nothing"
    assert any(e.triage for e in scenario.expect), "no expected triage decision"
    last = scenario.expect[-1]
    # The commander can resolve: the last expectation comes after the last step, all green.
    assert last.at > scenario.steps[-1].at
    assert set(last.outcomes().values()) == {frozenset({Outcome.UP})}
    assert not scenario.faults_at(last.at)


def test_baseline_is_calm() -> None:
    baseline = load_scenario("baseline")
    assert not baseline.steps
    assert not baseline.faults_at(timedelta(hours=5))


@pytest.mark.parametrize("name", SCENARIOS)
def test_steps_switch_their_faults_at_the_compressed_time(name: str) -> None:
    """Speed 60: a step at 2m fires after 2 s of the injected clock, not a millisecond before."""
    scenario = load_scenario(name)
    clock = FakeClock(START)
    sim = Simulator(scenario, speed=60, clock=clock)  # not started: the clock alone decides
    for step in scenario.steps:
        fires_at = START + step.at / 60
        clock.set(fires_at - timedelta(milliseconds=1))
        before = sim.active_faults()
        clock.set(fires_at)
        after = sim.active_faults()
        for fault in step.on:
            assert after[fault.key] == fault
            assert before.get(fault.key) != fault, f"{fault.key} was already on before {step.at}"
        for key in step.off:
            assert key in before
            assert key not in after


def test_advance_to_jumps_forward_without_waiting_and_never_back() -> None:
    clock = FakeClock(START)
    sim = Simulator("rls-disabled", clock=clock)
    assert not sim.active_faults()
    sim.advance_to("2m")
    assert sim.elapsed() == timedelta(minutes=2)
    assert list(sim.active_faults()) == ["rls_disabled"]
    clock.advance(30)
    assert sim.elapsed() == timedelta(minutes=2, seconds=30)
    with pytest.raises(ValueError, match="cannot go back"):
        sim.advance_to("1m")


def test_scenario_clock_runs_speed_times_faster() -> None:
    clock = FakeClock(START)
    scenario_clock = ScenarioClock(clock, speed=60)
    clock.advance(2.5)
    assert scenario_clock.elapsed() == timedelta(minutes=2, seconds=30)
    with pytest.raises(ValueError, match="speed"):
        ScenarioClock(clock, speed=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("0s", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("2m", timedelta(minutes=2)),
        ("1m30s", timedelta(minutes=1, seconds=30)),
        ("1h", timedelta(hours=1)),
        ("1h2m3s", timedelta(hours=1, minutes=2, seconds=3)),
        ("1.5s", timedelta(seconds=1.5)),
    ],
)
def test_offsets(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["", "2", "5 minutes", "m", "2m1h", "-1m"])
def test_bad_offsets_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_offset(text)


@pytest.mark.parametrize("seconds", [0, 45, 240, 3605, 5400])
def test_offsets_written_in_the_notation_read_back(seconds: int) -> None:
    # The simulator's state and the CLI's step list write offsets so a scenario file can say them.
    offset = timedelta(seconds=seconds)
    assert parse_offset(duration_notation(offset)) == offset


GOOD_HEAD = 'title = "T"\nsummary = "S"\nimpact = "major"\n'
GOOD_STEP = '[[steps]]\nat = "1m"\nnote = "n"\non = [{ fault = "api_down" }]\n'
GOOD_EXPECT = (
    '[[expect]]\nat = "2m"\ntriage = "internal"\nsee = "s"\n[expect.probes]\napi-health = "down"\n'
)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (GOOD_HEAD + "[[steps]\n", "", "not valid TOML"),
        ('summary = "S"\n' + GOOD_EXPECT, "title", "Field required"),
        ('name = "x"\n' + GOOD_HEAD + GOOD_EXPECT, "name", "file name"),
        (
            GOOD_HEAD + GOOD_STEP.replace('"1m"', '"5 minutes"') + GOOD_EXPECT,
            "steps[0].at",
            "duration",
        ),
        (
            GOOD_HEAD + GOOD_STEP.replace("api_down", "api_melted") + GOOD_EXPECT,
            "steps[0].on[0]",
            "api_melted",
        ),
        (
            GOOD_HEAD + GOOD_STEP.replace('"api_down"', '"api_slow", ms = -5') + GOOD_EXPECT,
            "steps[0].on[0].api_slow.ms",
            "greater than 0",
        ),
        (
            GOOD_HEAD
            + GOOD_STEP.replace('"api_down" }', '"uptimerobot_down", monitor = "Nope" }')
            + GOOD_EXPECT,
            "steps[0].on[0].uptimerobot_down.monitor",
            "unknown monitor 'Nope'",
        ),
        (
            GOOD_HEAD
            + GOOD_STEP
            + '[[steps]]\nat = "3m"\nnote = "n"\noff = ["api_slow"]\n'
            + GOOD_EXPECT,
            "",
            "steps[1].off[0]: 'api_slow' is not on at 3m (on: api_down)",
        ),
        (
            GOOD_HEAD + GOOD_STEP + GOOD_STEP.replace('"1m"', '"30s"') + GOOD_EXPECT,
            "",
            "steps[1].at: 30s comes before steps[0].at",
        ),
        (
            GOOD_HEAD + GOOD_STEP + GOOD_EXPECT.replace("api-health", "api-heath"),
            "expect[0]",
            "api-heath",
        ),
        (
            GOOD_HEAD + GOOD_STEP + GOOD_EXPECT.replace('"down"', '"sideways"'),
            "expect[0].probes.api-health[0]",
            "'up', 'degraded', 'down' or 'unknown'",
        ),
        (
            GOOD_HEAD + GOOD_STEP + GOOD_EXPECT.replace('triage = "internal"\n', ""),
            "expect[0]",
            "triage",
        ),
        (GOOD_HEAD + GOOD_STEP, "expect", "Field required"),
        (
            GOOD_HEAD + '[[steps]]\nat = "1m"\nnote = "n"\n' + GOOD_EXPECT,
            "steps[0]",
            "at least one fault",
        ),
        ('colour = "red"\n' + GOOD_HEAD + GOOD_STEP + GOOD_EXPECT, "colour", "Extra inputs"),
        (
            GOOD_HEAD + GOOD_STEP + GOOD_EXPECT.replace('"down"', '"down"\nsupabase = 1'),
            "expect[0].probes.supabase",
            "frozenset",
        ),
    ],
)
def test_a_bad_scenario_file_is_refused_naming_file_and_key(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "bad-drill.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario_file(path)
    error = caught.value
    assert error.where == (f"{path}: {where}" if where else str(path))
    assert message in error.message


def test_the_good_parts_of_those_files_are_valid(tmp_path: Path) -> None:
    path = tmp_path / "good-drill.toml"
    path.write_text(GOOD_HEAD + GOOD_STEP + GOOD_EXPECT, encoding="utf-8")
    scenario = load_scenario(path)  # a path works where a name does
    assert scenario.name == "good-drill"
    assert scenario.expect[0].outcomes()["api-health"] == {Outcome.DOWN}
    assert scenario.expect[0].outcomes()["supabase"] == {Outcome.UP}


def test_an_unknown_scenario_name_lists_the_bundled_ones() -> None:
    with pytest.raises(InputError) as caught:
        load_scenario("payment-processing-sideways")
    for name in SCENARIOS:
        assert name in str(caught.value)


def test_a_missing_scenario_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_scenario(tmp_path / "nope.toml")


@pytest.mark.parametrize("name", SCENARIOS)
def test_injected_latency_fits_the_drill_probe_timeout(name: str) -> None:
    """A slowed target must read slow, not time out: a check makes up to three calls to it."""
    timeout_ms = drill_probes("http://127.0.0.1:1")[0]["timeout_s"] * 1000
    scenario = load_scenario(name)
    for step in scenario.steps:
        faults = scenario.faults_at(step.at)
        platform = sum(f.ms for f in faults.of(ApiSlow)) + sum(f.ms for f in faults.of(DbSlow))
        stripe = sum(f.ms for f in faults.of(StripeApiSlow))
        assert 3 * max(platform, stripe) < timeout_ms, f"{name} at {step.at}"


# --- the generated probe config ------------------------------------------------------------------

BASE = "http://127.0.0.1:8765"


def test_probe_config_points_every_probe_at_the_simulator() -> None:
    data = tomllib.loads(probe_config_toml(BASE))
    probes = data["probes"]
    assert [p["id"] for p in probes] == list(PROBE_IDS)
    for probe in probes:
        assert {"id", "kind", "check", "interval_s", "timeout_s"} <= set(probe)
        urls = [v for k, v in probe.items() if k in ("url", "api_base")]
        assert urls and all(u.startswith(BASE + "/") for u in urls), probe["id"]
    by_id = {p["id"]: p for p in probes}
    assert by_id["api-health"]["expect_json"] == {"status": "ok"}
    assert by_id["stripe-api"]["api_base"] == BASE + "/stripe"
    assert by_id["supabase-status"]["url"] == BASE + "/statuspage/supabase"


def test_probe_config_holds_only_env_references() -> None:
    text = probe_config_toml(BASE)
    for value in drill_secrets().values():
        assert value not in text
    refs = re.findall(r'"((?:env|keyring):[^"]*)"', text)
    assert sorted(set(refs)) == sorted(f"env:{name}" for name in drill_secrets())
    assert not re.search(r"sk_test_|whsec_[A-Za-z0-9]|eyJ|u\d{7}-", text)


def test_probe_config_is_what_the_probe_loader_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    from stratus_commander.probes.config import parse_config

    for name, value in drill_secrets().items():
        monkeypatch.setenv(name, value)
    config = parse_config(probe_config_toml(BASE, speed=60), "drill.toml")
    assert [p.id for p in config.probes] == list(PROBE_IDS)
    assert config.warnings == []


@pytest.mark.parametrize(("speed", "interval"), [(1, 5.0), (2, 2.5), (5, 1.0), (60, 1.0)])
def test_probe_intervals_shrink_with_speed_down_to_one_second(
    speed: float, interval: float
) -> None:
    assert probe_interval_s(speed) == interval
    assert all(
        p["interval_s"] == interval for p in tomllib.loads(probe_config_toml(BASE, speed))["probes"]
    )


def test_drill_keys_look_real_and_are_caught_by_redaction() -> None:
    from stratus_commander.secrets import redact

    keys = drill_secrets()
    assert keys == drill_secrets()  # stable: configs and printed exports stay valid
    assert re.fullmatch(r"sk_test_51Drill[0-9A-Za-z]{92}", keys["STRATUS_DRILL_STRIPE_KEY"])
    assert re.fullmatch(r"whsec_[0-9A-Za-z]{32}", keys["STRATUS_DRILL_WHSEC"])
    assert re.fullmatch(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", keys["STRATUS_DRILL_SUPABASE_ANON"])
    assert re.fullmatch(r"u1234567-[0-9a-f]{24}", keys["STRATUS_DRILL_UPTIMEROBOT"])
    for value in keys.values():
        assert value not in redact(f"leaked: {value}.")


def test_importing_the_drill_does_not_import_stripe() -> None:
    code = "import sys, stratus_commander.drill; sys.exit('stripe' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_scenarios_can_be_built_in_code() -> None:
    """Tests and the GUI build ad-hoc scenarios from plain data, as the loader does."""
    scenario = Scenario.model_validate(
        {
            "name": "adhoc",
            "title": "t",
            "summary": "s",
            "steps": [{"at": "0s", "note": "n", "on": [{"fault": "db_slow", "ms": 10}]}],
            "expect": [{"at": "0s", "see": "s"}],
        }
    )
    assert scenario.faults_at(timedelta(0))["db_slow"] == DbSlow(fault="db_slow", ms=10)
