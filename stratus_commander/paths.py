"""Where user data lives (platformdirs), overridable by flag or environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "stratus-commander"


def default_db_path() -> Path | str:
    """``STRATUS_COMMANDER_DB`` (a file, or a ``postgresql://`` URL kept as text), else the
    user data dir's ``incidents.db``."""
    env = os.environ.get("STRATUS_COMMANDER_DB")
    if env and env.lower().startswith(("postgresql://", "postgres://")):
        return env
    return Path(env) if env else Path(platformdirs.user_data_dir(APP)) / "incidents.db"


def default_config_path() -> Path:
    env = os.environ.get("STRATUS_COMMANDER_CONFIG")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP)) / "config.toml"
