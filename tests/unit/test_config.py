"""The probe config: validated per kind, problems named by file and key path, secret warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus_commander.errors import ConfigError
from stratus_commander.probes import http, statuspage, stripe_status, uptimerobot
from stratus_commander.probes.config import ConfigInvalid, load_config, parse_config

GOOD = """
[[probes]]
id = "api-health"
kind = "http"
check = "api"
interval_s = 30
timeout_s = 5
url = "https://app.example.test/api/health"
expect_json = { status = "ok", "checks.database" = "ok" }
headers = { Authorization = "env:HEALTH_TOKEN" }

[[probes]]
id = "supabase-status"
kind = "statuspage"
url = "https://status.supabase.test"
components = ["Database", "Auth"]

[[probes]]
id = "stripe-status"
kind = "stripe-status"
services = ["api", "webhooks"]

[[probes]]
id = "uptimerobot"
kind = "uptimerobot"
api_key = "keyring:stratus-commander/uptimerobot"
monitors = ["API"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigInvalid) as info:
        parse_config(text, source="config.toml")
    return [str(p) for p in info.value.problems]


def test_a_good_config_loads_each_kind_with_its_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTH_TOKEN", "Bearer whatever")
    config = load_config(write(tmp_path, GOOD))
    assert [p.id for p in config.probes] == [
        "api-health",
        "supabase-status",
        "stripe-status",
        "uptimerobot",
    ]
    api, supa, stripe, robot = config.probes
    assert isinstance(api, http.Spec) and api.expect_json == {
        "status": "ok",
        "checks.database": "ok",
    }
    assert api.interval_s == 30 and api.timeout_s == 5 and api.fail_threshold == 3
    assert isinstance(supa, statuspage.Spec) and supa.check == "external"
    assert isinstance(stripe, stripe_status.Spec) and stripe.url == "https://status.stripe.com"
    assert isinstance(robot, uptimerobot.Spec) and robot.api_base == "https://api.uptimerobot.com"
    assert config.warnings == []
    assert config.path == tmp_path / "config.toml"


def test_error_names_file_and_key_path(tmp_path: Path) -> None:
    text = GOOD.replace("timeout_s = 5", "timeout_s = 0")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    path = str(tmp_path / "config.toml")
    assert info.value.where == f"{path}: probes[0].timeout_s"
    assert str(info.value) == f"{path}: probes[0].timeout_s: must be > 0 (got 0)"


def test_every_problem_is_collected() -> None:
    text = """
[[probes]]
id = "a"
kind = "http"
check = "apis"
url = "ftp://x"
expect_status = [200, 999]
typo_key = 1

[[probes]]
id = "b"
kind = "teleport"
check = "api"

[[probes]]
id = "c"
check = "api"

[[probes]]
id = "d"
kind = "uptimerobot"
interval_s = "often"
"""
    assert problems(text) == [
        "config.toml: probes[0].check: must be one of 'api', 'webhooks', 'database' or "
        "'external' (got 'apis')",
        "config.toml: probes[0].url: must be an http:// or https:// URL with a host",
        "config.toml: probes[0].expect_status[1]: must be <= 599 (got 999)",
        "config.toml: probes[0].typo_key: unknown key",
        "config.toml: probes[1].kind: unknown kind 'teleport' (known: http, statuspage, "
        "stripe-status, uptimerobot, stripe, webhook-signature, supabase, postgres)",
        "config.toml: probes[2].kind: required (one of: http, statuspage, stripe-status, "
        "uptimerobot, stripe, webhook-signature, supabase, postgres)",
        "config.toml: probes[3].interval_s: must be a number (got 'often')",
        "config.toml: probes[3].api_key: required",
    ]


def test_duplicate_ids_and_bad_ids() -> None:
    text = """
[[probes]]
id = "api"
kind = "http"
check = "api"
url = "https://a.test"

[[probes]]
id = "api"
kind = "stripe-status"

[[probes]]
id = "has space"
kind = "stripe-status"
"""
    found = problems(text)
    assert found[0] == "config.toml: probes[1].id: duplicate id 'api' (first used by probes[0])"
    assert found[1].startswith("config.toml: probes[2].id: must match ^[A-Za-z0-9_.:-]+$")


def test_top_level_mistakes() -> None:
    assert problems('[[probe]]\nid = "x"\n') == [
        "config.toml: probe: unknown top-level key (known: person, probes, retention)"
    ]
    assert problems('probes = "none"\n') == [
        "config.toml: probes: must be an array of tables ([[probes]])"
    ]


def test_malformed_secret_references_are_errors() -> None:
    text = """
[[probes]]
id = "ur"
kind = "uptimerobot"
api_key = "keyring:no-name"

[[probes]]
id = "ur2"
kind = "uptimerobot"
api_key = "env:NOT A NAME"
"""
    assert problems(text) == [
        "config.toml: probes[0].api_key: a keyring reference is keyring:SERVICE/NAME",
        "config.toml: probes[1].api_key: an env reference is env:NAME (letters, digits, _)",
    ]


def test_literal_secrets_warn_but_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTH_TOKEN", "x")
    text = """
[[probes]]
id = "ur"
kind = "uptimerobot"
api_key = "u1234567-0123456789abcdef01234567"

[[probes]]
id = "api"
kind = "http"
check = "api"
url = "https://a.test"
headers = { Authorization = "Basic dXNlcjpwYXNz", "X-Trace" = "abc" }
"""
    config = parse_config(text, source="config.toml")
    assert [p.id for p in config.probes] == ["ur", "api"]
    assert len(config.warnings) == 2
    assert config.warnings[0].startswith(
        "config.toml: probes[0].api_key: looks like a literal secret"
    )
    assert config.warnings[1].startswith(
        "config.toml: probes[1].headers.Authorization: looks like a literal secret"
    )
    assert all("u1234567-0123" not in w for w in config.warnings)  # the secret is not echoed


def test_unset_env_reference_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTIMEROBOT_API_KEY", raising=False)
    text = '[[probes]]\nid = "ur"\nkind = "uptimerobot"\napi_key = "env:UPTIMEROBOT_API_KEY"\n'
    config = parse_config(text, source="config.toml")
    assert config.warnings == [
        "config.toml: probes[0].api_key: env:UPTIMEROBOT_API_KEY is not set here "
        "(the probe will report unknown)"
    ]


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert info.value.where == str(missing)
    assert "config file not found" in str(info.value)


def test_invalid_toml_and_encoding_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config.toml: not valid TOML: .*line 2"):
        parse_config('[[probes]]\nid = "x\n', source="config.toml")
    path = tmp_path / "config.toml"
    path.write_bytes(b'[[probes]]\nid = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path)


def test_an_empty_file_is_a_config_with_no_probes() -> None:
    assert parse_config("", source="config.toml").probes == []
