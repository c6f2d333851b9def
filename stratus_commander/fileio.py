"""Writing files so that a crash or an error never leaves one half-written.

Every refusal is an :class:`InputError` naming the path and saying why (no such directory, a
directory, permission denied, disk full), so the CLI exits 2 and the GUI shows it.

A path that is not a regular file is written in place, not replaced: ``-o /dev/null`` or
``-o /dev/stdout`` (or a named pipe) must keep being what they are — renaming a temporary file
over ``/dev/null`` would turn the device into a file for every program on the machine. A
symbolic link is followed, so the link stays and its target gets the new text.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from stratus_commander.errors import InputError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    shown = str(path)
    path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=shown) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError("is a directory", where=shown)
    if mode is not None and not stat.S_ISREG(mode):
        _write_in_place(path, data, shown)
        return
    if not path.parent.is_dir():
        # Not created for the user: a mistyped directory would hide the export where nobody
        # looks for it.
        raise InputError(f"cannot write: no such directory {path.parent}", where=shown)
    try:
        # The temporary name must fit the file system's limit too (255 bytes on most).
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=shown) from None
    try:
        # mkstemp makes the file private (0600); an export is meant to be handed on, so give it
        # the permissions a plain open() would (0666 less the umask).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a quota: the old file stays as it was
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror or exc}", where=shown) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_in_place(path: Path, data: bytes, shown: str) -> None:
    """A device, a pipe or a socket: written like any program would, nothing to rename."""
    try:
        with path.open("wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", where=shown) from None


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def create_text(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a new file, refusing one that exists: it appears whole or not at all.

    The text goes to a temporary file beside ``path`` first, which is then linked to the name;
    linking, unlike renaming, fails when the name is taken, even by a file created meanwhile.
    ``mode``: private by default (a config file is where someone pastes a secret one day).
    """
    shown = str(path)
    if os.path.lexists(path):
        raise InputError("already exists; not overwritten (move it away first)", where=shown)
    if not path.parent.is_dir():
        raise InputError(f"cannot write: no such directory {path.parent}", where=shown)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=shown) from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        raise InputError(
            "already exists; not overwritten (move it away first)", where=shown
        ) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", where=shown) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
