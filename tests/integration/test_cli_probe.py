"""``stratus-commander probe`` and ``config check`` through click's CliRunner, against loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stratus_commander.cli import main
from tests.integration.loopback import LoopbackServer

UR_KEY = "u1234567-0123456789abcdef01234567"


def serve_healthy_platform(loopback: LoopbackServer) -> None:
    loopback.json("/api/health", {"status": "ok"})
    loopback.json(
        "/supabase/api/v2/summary.json",
        {"status": {"indicator": "none"}, "components": [{"name": "DB", "status": "operational"}]},
    )
    loopback.json("/current", {"largestatus": "up", "statuses": {"api": "up"}})
    loopback.json(
        "/v2/getMonitors",
        {"stat": "ok", "monitors": [{"friendly_name": "API", "status": 2}]},
    )


def write_config(tmp_path: Path, base: str, health_path: str = "/api/health") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[[probes]]
id = "api-health"
kind = "http"
check = "api"
url = "{base}{health_path}"
expect_json = {{ status = "ok" }}

[[probes]]
id = "supabase-status"
kind = "statuspage"
url = "{base}/supabase"

[[probes]]
id = "stripe-status"
kind = "stripe-status"
url = "{base}"

[[probes]]
id = "uptimerobot"
kind = "uptimerobot"
api_key = "env:UR_KEY"
api_base = "{base}"
""",
        encoding="utf-8",
    )
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"UR_KEY": UR_KEY}, catch_exceptions=False)


def test_probe_once_json_prints_one_contract_line_per_probe_and_exits_0(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    serve_healthy_platform(loopback)
    config = write_config(tmp_path, loopback.url)
    result = invoke("--config", str(config), "probe", "--once", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["probe"] for line in lines] == [
        "api-health",
        "supabase-status",
        "stripe-status",
        "uptimerobot",
    ]
    for line in lines:
        assert set(line) == {"probe", "kind", "check", "outcome", "latency_ms", "detail", "at"}
        assert line["outcome"] == "up"
        assert isinstance(line["latency_ms"], float)
        assert line["at"].endswith("Z")
    assert [line["check"] for line in lines] == ["api", "external", "external", "external"]


def test_probe_once_exits_1_when_something_is_not_up(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    serve_healthy_platform(loopback)
    loopback.json("/api/broken", {"status": "error"}, status=503)
    config = write_config(tmp_path, loopback.url, health_path="/api/broken")
    result = invoke("--config", str(config), "probe", "--once", "--json")
    assert result.exit_code == 1
    first = json.loads(result.stdout.splitlines()[0])
    assert first["outcome"] == "down"
    assert "HTTP 503" in first["detail"]


def test_probe_once_table_shows_results_and_the_triage_hint(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    serve_healthy_platform(loopback)
    loopback.json("/api/broken", {"status": "error"}, status=503)
    config = write_config(tmp_path, loopback.url, health_path="/api/broken")
    result = invoke("--config", str(config), "probe", "--once")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PROBE", "KIND", "CHECK", "OUTCOME", "LATENCY", "DETAIL"]
    assert lines[1].split()[:4] == ["api-health", "http", "api", "down"]
    assert "Triage hint: internal — Our own checks fail — API health: api-health down" in (
        result.stdout
    )


def test_probe_missing_credential_is_unknown_not_a_crash(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    serve_healthy_platform(loopback)
    config = write_config(tmp_path, loopback.url)
    result = CliRunner().invoke(
        main, ["--config", str(config), "probe", "--once", "--json"], env={"UR_KEY": ""}
    )
    assert result.exit_code == 1
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["outcome"] == "unknown"
    assert last["detail"] == "credential env:UR_KEY not set"
    assert "env:UR_KEY is not set here" in result.stderr  # the config warning


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[probes]]\nid = "a"\nkind = "http"\ncheck = "api"\n', "probes[0].url: required"),
        ("", "no [[probes]] configured"),
        ("[[probes]\n", "not valid TOML"),
    ],
)
def test_probe_with_bad_config_exits_2(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    result = invoke("--config", str(config), "probe", "--once", "--json")
    assert result.exit_code == 2
    assert str(config) in result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_probe_without_config_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    result = invoke("--config", str(missing), "probe", "--once")
    assert result.exit_code == 2
    assert f"{missing}: config file not found" in result.stderr


def test_config_check_lists_probes_and_warns_about_literal_secrets(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[probes]]\nid = "ur"\nkind = "uptimerobot"\n'
        f'api_key = "{UR_KEY}"\ninterval_s = 60\ntimeout_s = 10\n',
        encoding="utf-8",
    )
    result = invoke("config", "check", str(config))
    assert result.exit_code == 0
    assert f"{config}: 1 probe(s)" in result.stdout
    assert "ur" in result.stdout and "every 60 s, timeout 10 s" in result.stdout
    assert "warning:" in result.stderr and "looks like a literal secret" in result.stderr
    assert UR_KEY not in result.output


def test_config_check_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[probes]]\nid = "a"\nkind = "http"\ncheck = "api"\nurl = "https://a.test"\n'
        "timeout_s = -1\n\n"
        '[[probes]]\nid = "b"\nkind = "nope"\n',
        encoding="utf-8",
    )
    result = invoke("config", "check", str(config))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{config}: probes[0].timeout_s: must be > 0 (got -1)",
        f"{config}: probes[1].kind: unknown kind 'nope' (known: http, statuspage, "
        "stripe-status, uptimerobot, stripe, webhook-signature, supabase, postgres)",
    ]


def test_config_check_defaults_to_the_config_option(tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text('[[probes]]\nid = "s"\nkind = "stripe-status"\n', encoding="utf-8")
    result = invoke("--config", str(config), "config", "check")
    assert result.exit_code == 0
    assert f"{config}: 1 probe(s)" in result.stdout
