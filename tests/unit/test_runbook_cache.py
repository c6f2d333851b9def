"""The cockpit's runbook cache: a file validated once is read back; any change validates afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus_commander.errors import RunbookError
from stratus_commander.resources import resource_path
from stratus_commander.runbook import RunbookInvalid, load_runbook
from stratus_commander.runbook import cache as runbook_cache
from stratus_commander.runbook.cache import KEEP, cached_runbook

SEED = resource_path("runbooks", "stratusconnect.toml").read_text(encoding="utf-8")


def _runbook(tmp_path: Path, text: str = SEED) -> Path:
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _no_validation(*args: object, **kwargs: object) -> None:
    raise AssertionError("validated again")


def test_a_file_validated_once_is_read_back(tmp_path: Path, monkeypatch) -> None:
    path, folder = _runbook(tmp_path), tmp_path / "cache"
    first = cached_runbook(path, folder)
    assert first == load_runbook(path)
    monkeypatch.setattr(runbook_cache, "load_runbook", _no_validation)
    assert cached_runbook(path, folder) == first


def test_an_edited_file_is_validated_again_and_its_problems_reported(tmp_path: Path) -> None:
    path, folder = _runbook(tmp_path), tmp_path / "cache"
    cached_runbook(path, folder)
    path.write_text(SEED.replace('due_after = "10m"', 'due_after = "-10m"', 1), encoding="utf-8")
    with pytest.raises(RunbookInvalid) as caught:
        cached_runbook(path, folder)
    assert str(caught.value) == str(_problems_of(path))
    assert len(list(folder.glob("*.pickle"))) == 1  # nothing invalid is kept


def _problems_of(path: Path) -> RunbookInvalid:
    with pytest.raises(RunbookInvalid) as caught:
        load_runbook(path, templates=False)
    return caught.value


def test_a_changed_validation_code_misses(tmp_path: Path, monkeypatch) -> None:
    path, folder = _runbook(tmp_path), tmp_path / "cache"
    cached_runbook(path, folder)
    monkeypatch.setattr(runbook_cache, "_code", lambda: b"another version of the model")
    cached_runbook(path, folder)
    assert len(list(folder.glob("*.pickle"))) == 2


def test_a_damaged_entry_is_validated_again_and_rewritten(tmp_path: Path) -> None:
    path, folder = _runbook(tmp_path), tmp_path / "cache"
    good = cached_runbook(path, folder)
    (entry,) = folder.glob("*.pickle")
    entry.write_bytes(b"\x80\x05 cut short")
    assert cached_runbook(path, folder) == good
    assert entry.read_bytes() != b"\x80\x05 cut short"


def test_an_unwritable_cache_costs_only_time(tmp_path: Path) -> None:
    path, blocked = _runbook(tmp_path), tmp_path / "a file, not a folder"
    blocked.write_text("", encoding="utf-8")
    assert cached_runbook(path, blocked) == load_runbook(path)


def test_a_missing_file_is_said_as_load_runbook_says_it(tmp_path: Path) -> None:
    with pytest.raises(RunbookError) as caught:
        cached_runbook(tmp_path / "nope.toml", tmp_path / "cache")
    assert str(caught.value) == f"{tmp_path / 'nope.toml'}: no such file"


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    for n in range(KEEP + 2):
        cached_runbook(_runbook(tmp_path, SEED.replace("motto = ", f"# {n}\nmotto = ")), folder)
    assert len(list(folder.glob("*.pickle"))) == KEEP
