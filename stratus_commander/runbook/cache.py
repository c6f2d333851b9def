"""A runbook validated once, read back on later starts (the cockpit's start-up time).

    runbook = cached_runbook(path)    # as load_runbook(path, templates=False)

Validating imports pydantic and builds every schema of the runbook, a sixth of the cockpit's way
to its first frame; the runbook itself is plain dataclasses (model.py), read back without
pydantic. The cockpit validates a runbook file once and keeps the result in the user cache dir,
under a key made of the file's bytes, this package's source and the versions of pydantic and
Python: a change to any of them misses, and the file is validated afresh (and its problems
reported exactly as :func:`~.loader.load_runbook` reports them; nothing invalid is ever kept).
A cache entry that cannot be read back is ignored and written again; one that cannot be
written is not kept. Only the newest :data:`KEEP` entries stay. The command line (``runbook
check`` included) always validates.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path

import platformdirs

from stratus_commander.paths import APP
from stratus_commander.runbook.loader import load_runbook, runbook_file
from stratus_commander.runbook.model import Runbook

__all__ = ["KEEP", "cache_dir", "cached_runbook"]

#: Cache entries kept (one per runbook file and version of the code).
KEEP = 8


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP)) / "runbooks"


def _pydantic_version() -> bytes:
    """pydantic's version file, found without importing pydantic (which the cache spares)."""
    spec = importlib.util.find_spec("pydantic")
    if spec is None or spec.origin is None:
        return b"no pydantic"
    try:
        return Path(spec.origin).with_name("version.py").read_bytes()
    except OSError:
        return b"no pydantic version"


@cache
def _code() -> bytes:
    """What the validation depends on: this package's source, pydantic's and Python's versions."""
    parts = [_pydantic_version(), sys.version.encode()]
    for source in sorted(Path(__file__).parent.glob("*.py")):
        parts.append(source.name.encode() + source.read_bytes())
    return b"\0".join(parts)


def cached_runbook(path: Path | None = None, folder: Path | None = None) -> Runbook:
    """``load_runbook(path, templates=False)``, read back from ``folder`` (default
    :func:`cache_dir`) when this file was validated by this code before."""
    try:
        data = runbook_file(path).read_bytes()
    except OSError:
        return load_runbook(path, templates=False)  # says what is wrong with the file
    folder = folder if folder is not None else cache_dir()
    key = hashlib.sha256(_code() + b"\0" + data).hexdigest()[:40]
    entry = folder / f"{key}.pickle"
    try:
        kept = pickle.loads(entry.read_bytes())
    except Exception:  # missing, cut short, another version's: validated again below
        kept = None
    if isinstance(kept, Runbook):
        return kept
    runbook = load_runbook(path, templates=False)
    _keep(folder, entry, runbook)
    return runbook


def _keep(folder: Path, entry: Path, runbook: Runbook) -> None:
    """Write ``entry`` whole or not at all (a crash leaves no half file), then prune."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pickle.dumps(runbook, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full cache dir: validated again next time, nothing lost
