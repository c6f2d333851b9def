"""Find the bundled data (``resources/``, ``ui/``) from a checkout or from an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _root(name: str) -> Path:
    # Wheel: hatch force-includes the folders under stratus_commander/_data/.
    # Checkout (and editable install): they sit beside the package.
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found beside {_PACKAGE}")


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``, e.g. ``resource_path("runbooks", "x.toml")``."""
    return _root("resources").joinpath(*parts)


def ui_path(name: str) -> Path:
    """Path of a Designer form under ``ui/``."""
    return _root("ui") / name
