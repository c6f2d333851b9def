"""The log file: where it lives, what reaches it (levels, --verbose), and no secret in it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stratus_commander import logs
from stratus_commander.cli import main
from stratus_commander.secrets import register_secret

SECRET = "sk_live_51LogLeakAbCdEfGhIjKlMnOp"
DSN_PASSWORD = "pg-hunter2-never-in-a-log"


@pytest.fixture(autouse=True)
def _no_handlers_left() -> Iterator[None]:
    yield
    logs.teardown_logging()


def expected_log(tmp_path: Path) -> Path:
    """tests/conftest.py points XDG_STATE_HOME at tmp_path/home/.local/state."""
    return tmp_path / "home/.local/state/stratus-commander/log/stratus-commander.log"


def test_the_log_is_a_file_in_the_user_log_dir(tmp_path: Path) -> None:
    path = logs.setup_logging(stderr=False)
    assert path == expected_log(tmp_path)
    logging.getLogger("stratus_commander.test").info("the cockpit opened")
    text = path.read_text(encoding="utf-8")
    # UTC with milliseconds, the process, the level and the logger: readable after a crash.
    assert " INFO stratus_commander.test: the cockpit opened" in text
    assert text[:24].endswith("Z") and text[10] == "T"


def test_no_secret_reaches_the_log_file_not_even_in_a_traceback() -> None:
    register_secret(DSN_PASSWORD)  # as resolve_secret does for every credential it reads
    path = logs.setup_logging(stderr=False)
    assert path is not None
    log = logging.getLogger("stratus_commander.test")
    log.warning("calling Stripe with %s", SECRET)
    log.info("connecting to postgresql://commander:%s@db.internal/incidents", DSN_PASSWORD)
    try:
        raise ValueError(f"Stripe refused the key {SECRET}")
    except ValueError:
        log.exception("the probe failed")
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and DSN_PASSWORD not in text
    assert "calling Stripe with sk_live_[REDACTED]" in text
    assert "postgresql://commander:[REDACTED]@db.internal" in text
    assert "ValueError: Stripe refused the key sk_live_[REDACTED]" in text  # the traceback's


def test_every_handler_redacts(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup_logging()
    logging.getLogger("stratus_commander.test").error("bad key %s", SECRET)
    err = capsys.readouterr().err
    assert "ERROR: bad key sk_live_[REDACTED]" in err and SECRET not in err


def test_a_warning_on_the_terminal_shows_control_characters_without_obeying_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A server's answer or a host name from the config is quoted in warnings: an escape sequence
    # in it must not clear the commander's terminal or recolour what follows.
    logs.setup_logging()
    logging.getLogger("stratus_commander.test").warning("host %s down", "db\x1b[2J\u202eevil")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err
    assert "host db\\x1b[2J\\u202eevil down" in err
    assert err.endswith("\n")  # the record's own line end is kept


def test_the_file_rotates_and_keeps_a_few(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    path = logs.setup_logging(stderr=False)
    assert path is not None
    log = logging.getLogger("stratus_commander.test")
    for i in range(400):
        log.info("line %d %s", i, "x" * 40)
    kept = sorted(p.name for p in path.parent.iterdir())
    assert kept == [logs.LOG_NAME] + [f"{logs.LOG_NAME}.{n}" for n in range(1, logs.BACKUPS + 1)]
    assert "line 399" in path.read_text(encoding="utf-8")


def test_an_unwritable_log_dir_does_not_stop_the_tool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    assert logs.setup_logging(directory=blocked) is None
    assert logs.log_path() is None
    assert "cannot write the log file" in capsys.readouterr().err


@click.command("log-something")
def _log_something() -> None:
    log = logging.getLogger("stratus_commander.test")
    log.debug("debug detail")
    log.info("info line")
    log.warning("warning line")


@pytest.fixture
def cli_with_a_logging_command() -> Iterator[click.Group]:
    main.add_command(_log_something)
    yield main
    main.commands.pop("log-something")


@pytest.mark.parametrize("verbose", [False, True])
def test_the_cli_logs_to_the_file_and_warnings_to_stderr(
    verbose: bool, tmp_path: Path, cli_with_a_logging_command: click.Group
) -> None:
    args = ["--verbose", "log-something"] if verbose else ["log-something"]
    result = CliRunner().invoke(cli_with_a_logging_command, args)
    assert result.exit_code == 0, result.output
    text = expected_log(tmp_path).read_text(encoding="utf-8")
    assert "INFO stratus_commander.test: info line" in text
    assert "WARNING stratus_commander.test: warning line" in text
    assert ("DEBUG stratus_commander.test: debug detail" in text) is verbose
    assert "WARNING: warning line" in result.stderr
    assert ("info line" in result.stderr) is verbose
    assert logs.log_path() is None  # the command's end closed the file


def test_http_libraries_do_not_flood_the_log_unless_verbose() -> None:
    logs.setup_logging(stderr=False)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    logs.setup_logging(verbose=True, stderr=False)
    assert logging.getLogger("httpx").isEnabledFor(logging.DEBUG)
    logs.teardown_logging()
    assert logging.getLogger("httpx").level == logging.NOTSET  # as it was
