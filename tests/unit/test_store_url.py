"""``--db postgresql://...``: which locations are URLs, the password rule, the sslmode default
(no server needed: these are refused or decided before anything connects)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.errors import StoreError
from stratus_commander.session import Session
from stratus_commander.store import as_location, open_store
from stratus_commander.store.postgres.url import is_postgres_url, parse_url


def test_a_url_stays_text_and_anything_else_is_a_file() -> None:
    url = "postgresql://alice@db.example.com:5432/incidents"
    assert as_location(url) == url  # a Path would fold "//" into "/"
    assert as_location("postgres://alice@/incidents") == "postgres://alice@/incidents"
    assert as_location("incidents.db") == Path("incidents.db")
    assert as_location(Path("postgresql:/x")) == Path("postgresql:/x")
    assert is_postgres_url("POSTGRESQL://h/db") and not is_postgres_url(Path("x"))
    assert Session(url).db_path == url


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:hunter2-secret@db.example.com/incidents",
        "postgresql://alice:@db.example.com/incidents",
        "postgresql://db.example.com/incidents?user=alice&password=hunter2-secret",
    ],
)
def test_a_password_in_the_url_is_refused_without_showing_it(url: str) -> None:
    with pytest.raises(StoreError, match="password in the URL is refused") as refused:
        parse_url(url)
    assert "hunter2-secret" not in str(refused.value)
    result = CliRunner().invoke(main, ["--db", url, "incidents", "list"])
    assert result.exit_code == 2 and "password in the URL is refused" in result.stderr
    assert "hunter2-secret" not in result.output + result.stderr


def test_a_password_in_the_environment_url_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATUS_COMMANDER_DB", "postgresql://alice:hunter2-secret@db/x")
    result = CliRunner().invoke(main, ["incidents", "list"])
    assert result.exit_code == 2 and "password in the URL is refused" in result.stderr
    assert "hunter2-secret" not in result.stderr
    with pytest.raises(StoreError, match="password in the URL"):
        open_store("postgresql://alice:hunter2-secret@db/x")


def test_a_keychain_reference_is_the_way_to_name_a_password() -> None:
    target = parse_url("postgresql://alice@db.example.com/x?password=keyring:stratus/alice")
    assert target.password_ref == "keyring:stratus/alice"
    assert "password" not in target.conninfo  # resolved apart, handed to libpq as a keyword
    with pytest.raises(StoreError, match="not keyring:SERVICE/NAME"):
        parse_url("postgresql://alice@db.example.com/x?password=keyring:alice")


def test_an_unset_keychain_password_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://alice@127.0.0.1:1/x?password=keyring:stratus-commander/alice"
    with pytest.raises(StoreError, match="keyring:stratus-commander/alice is not set"):
        open_store(url)  # the keychain answers nothing in tests (conftest)


@pytest.mark.parametrize(
    ("url", "sslmode"),
    [
        ("postgresql://alice@db.example.com/incidents", "require"),
        ("postgresql://alice@10.0.0.5:5432/incidents", "require"),
        ("postgresql://alice@localhost/incidents", None),
        ("postgresql://alice@127.0.0.1:5433/incidents", None),
        ("postgresql://alice@[::1]:5433/incidents", None),
        ("postgresql://alice@%2Fvar%2Frun%2Fpostgresql/incidents", None),
        ("postgresql:///incidents?host=/var/run/postgresql", None),
        ("postgresql:///incidents", None),  # libpq's default: the local socket
        ("postgresql://localhost,db.example.com/incidents", "require"),  # any remote host
        ("postgresql://alice@db.example.com/incidents?sslmode=verify-full", "verify-full"),
        ("postgresql://alice@db.example.com/incidents?sslmode=disable", "disable"),  # asked for
        ("postgresql:///incidents?service=team", None),  # the service file decides
    ],
)
def test_sslmode_is_required_for_a_host_that_is_not_this_machine(
    url: str, sslmode: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGHOST", raising=False)
    monkeypatch.delenv("PGSSLMODE", raising=False)
    conninfo = parse_url(url).conninfo
    modes = [p.split("=", 1)[1] for p in conninfo.partition("?")[2].split("&") if "sslmode=" in p]
    assert modes == ([sslmode] if sslmode else [])


def test_libpq_environment_counts_for_host_and_sslmode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGSSLMODE", raising=False)
    monkeypatch.setenv("PGHOST", "db.example.com")
    assert "sslmode=require" in parse_url("postgresql:///incidents").conninfo
    monkeypatch.setenv("PGSSLMODE", "verify-ca")  # the user chose one: it is theirs
    assert "sslmode" not in parse_url("postgresql:///incidents").conninfo
