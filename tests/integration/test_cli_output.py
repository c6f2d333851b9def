"""What ``probe`` and ``simulator`` print to a terminal: colours only when wanted (NO_COLOR,
--no-color), a server's words escaped, and an output file refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stratus_commander.cli import main
from tests.integration.loopback import LoopbackServer

ANSI = "\x1b["


def config(tmp_path: Path, loopback: LoopbackServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[probes]]\nid = "api-health"\nkind = "http"\ncheck = "api"\n'
        f'url = "{loopback.url}/api/health"\n',
        encoding="utf-8",
    )
    return path


def probe_once(tmp_path: Path, loopback: LoopbackServer, *flags: str, **env: str) -> Result:
    # color=True: click's runner then behaves as a terminal that shows colours.
    return CliRunner().invoke(
        main,
        [*flags, "--config", str(config(tmp_path, loopback)), "probe", "--once"],
        color=True,
        env=env,
        catch_exceptions=False,
    )


def test_a_terminal_gets_colours_by_default(tmp_path: Path, loopback: LoopbackServer) -> None:
    loopback.json("/api/health", {"status": "ok"})
    result = probe_once(tmp_path, loopback, NO_COLOR="")  # set but empty: colours stay
    assert result.exit_code == 0
    assert f"{ANSI}32m" in result.stdout  # "up" in green


@pytest.mark.parametrize("value", ["1", "0", "true", "anything"])
def test_no_color_with_any_value_turns_colours_off(
    tmp_path: Path, loopback: LoopbackServer, value: str
) -> None:
    loopback.json("/api/health", {"status": "ok"})
    result = probe_once(tmp_path, loopback, NO_COLOR=value)
    assert result.exit_code == 0
    assert "api-health" in result.stdout and " up " in result.stdout
    assert ANSI not in result.stdout + result.stderr


def test_the_no_color_flag_turns_colours_off(tmp_path: Path, loopback: LoopbackServer) -> None:
    loopback.json("/api/health", {"status": "ok"})
    result = probe_once(tmp_path, loopback, "--no-color")
    assert result.exit_code == 0 and " up " in result.stdout
    assert ANSI not in result.stdout + result.stderr


def test_what_a_server_answers_is_shown_escaped(tmp_path: Path, loopback: LoopbackServer) -> None:
    """A probe's detail quotes the body of a failing answer: a hostile or broken server must
    not be able to clear the commander's screen or retitle the window."""
    loopback.route(
        "/api/health",
        lambda h: h.reply(500, b"oops\x1b[2J\x1b]0;all green\x07\xe2\x80\xae", "text/plain"),
    )
    result = probe_once(tmp_path, loopback, "--no-color")
    assert result.exit_code == 1
    assert "HTTP 500" in result.stdout
    assert "oops\\x1b[2J\\x1b]0;all green\\x07\\u202e" in result.stdout
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout


def test_simulator_write_config_into_a_missing_directory_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "drill.toml"
    result = CliRunner().invoke(
        main,
        ["simulator", "--port", "0", "--write-config", str(target)],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert f"--write-config: {target}: cannot write: no such directory" in result.stderr
    assert not target.parent.exists()
