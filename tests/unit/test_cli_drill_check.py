"""``drill check PATH...`` validates scenario files (each problem names the file and key path,
exit 2); ``runbook check`` checks the bundled scenarios too."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.resources import resource_path

GOOD = """
title = "Stripe failing"
summary = "Stripe answers 500."
impact = "major"

[[steps]]
at = "1m"
note = "Stripe starts answering 500."
on = [{ fault = "stripe_api_5xx" }]

[[expect]]
at = "2m"
triage = "external"
see = "Stripe's API fails: contact Stripe."
probes = { stripe-api = "down", api-health = "down" }
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_every_bundled_scenario_checks_and_the_rls_drill_expects_a_security_incident() -> None:
    paths = sorted(str(p) for p in resource_path("drills").glob("*.toml"))
    code, out, _ = run("drill", "check", "--json", *paths)
    assert code == 0
    reports = [json.loads(chunk) for chunk in out.replace("}\n{", "}\0{").split("\0")]
    rls = next(r for r in reports if r["path"].endswith("rls-disabled.toml"))
    assert rls["title"] == "RLS disabled on a protected table"
    assert rls["expect"][0] == {"at": "2m", "triage": "internal"}
    see = (resource_path("drills") / "rls-disabled.toml").read_text()
    assert "security incident" in see and "FCA" in see


def test_a_bad_scenario_names_its_file_and_key_and_exits_2(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('triage = "external"\n', ""))  # a probe down, no decision
    code, out, err = run("drill", "check", str(good), str(bad))
    assert code == 2
    assert f"{good}: OK" in out and "+2m: expect external" in out
    assert f"{bad}: expect[0]" in err and "say the triage decision" in err


def test_runbook_check_checks_the_bundled_scenarios() -> None:
    code, out, _ = run("runbook", "check")
    assert code == 0 and "Drill scenarios: 8 of 8 bundled valid" in out
    code, out, _ = run("runbook", "check", "--json")
    scenarios = json.loads(out)["scenarios"]
    assert all(s["ok"] for s in scenarios) and len(scenarios) == 8
