"""Where user data lives (platformdirs), overridable by flag or environment."""

from __future__ import annotations

import hashlib
import os
import re
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


def outbox_path(location: str) -> Path:
    """The local outbox file of the team database at ``location`` (its URL without a password):
    in the user data dir's ``outbox/``, one file per URL, named so a person can tell which."""
    readable = re.sub(r"[^A-Za-z0-9@._-]+", "_", location.split("://", 1)[-1]).strip("_")[:80]
    tag = hashlib.sha256(location.encode()).hexdigest()[:10]
    return Path(platformdirs.user_data_dir(APP)) / "outbox" / f"{readable}-{tag}.db"
