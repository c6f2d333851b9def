"""The desktop's view of the app: the .desktop file, its icon at the usual sizes, the app id."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

from PySide6.QtGui import QImage

from stratus_commander.qt.application import DESKTOP_FILE_NAME, ensure_app
from stratus_commander.resources import resource_path

ROOT = Path(__file__).resolve().parents[2]
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(resource_path("desktop", f"{DESKTOP_FILE_NAME}.desktop"), encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_file_launches_the_gui_script_with_our_icon(qapp) -> None:
    entry = _entry()
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Name"] == "Stratus Commander"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert entry["Exec"].split()[0] in project["gui-scripts"]
    assert entry["Icon"] == DESKTOP_FILE_NAME
    assert entry["Categories"].endswith(";")
    # The window says which desktop file it belongs to (Wayland's app id, the task bar's icon).
    assert ensure_app().desktopFileName() == DESKTOP_FILE_NAME


def test_the_icon_ships_at_the_usual_sizes() -> None:
    hicolor = resource_path("icons", "hicolor")
    for size in SIZES:
        image = QImage(str(hicolor / f"{size}x{size}" / "apps" / f"{DESKTOP_FILE_NAME}.png"))
        assert (image.width(), image.height()) == (size, size), size
        assert image.pixelColor(size // 2, size // 2).alpha() != 0  # not a blank square
    scalable = hicolor / "scalable" / "apps" / f"{DESKTOP_FILE_NAME}.svg"
    # The same drawing as the window's own icon.
    assert scalable.read_bytes() == resource_path("icons", "stratus-commander.svg").read_bytes()
