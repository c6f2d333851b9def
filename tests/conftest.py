"""Every test runs with the user's real data and config dirs pointed at tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolate_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("STRATUS_COMMANDER_DB", raising=False)
    monkeypatch.delenv("STRATUS_COMMANDER_CONFIG", raising=False)
    # Deadline alerts must never pop up on the developer's desktop (tests start their own bus).
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    # keyring must never reach a real OS keychain from tests.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
