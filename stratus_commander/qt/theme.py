"""The light and the dark palette: one set of colours for the QSS, the painted shapes and graphs.

``resources/styles/<name>.qss`` holds the style sheet with ``$token`` placeholders filled from
:data:`THEMES` when applied, so a colour is defined once. Urgent (red) and warning (yellow) fills
carry their own text colour and read the same in both palettes — and every state is also said in
words and by shape, never by colour alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from string import Template

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from stratus_commander.resources import resource_path

__all__ = ["THEMES", "Theme", "apply_theme", "current"]


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    border: str
    accent: str
    ok: str  # met clocks, probes up
    pending: str  # clocks running with time to spare
    warn_bg: str  # due soon, degraded
    warn_fg: str
    urgent_bg: str  # overdue, down
    urgent_fg: str
    unknown: str  # waiting clocks, probes that could not run
    drill_bg: str
    drill_fg: str
    plot_bg: str
    plot_fg: str

    def color(self, token: str) -> QColor:
        return QColor(getattr(self, token))


_SHARED = {
    "warn_bg": "#ffd54f",
    "warn_fg": "#000000",
    "urgent_bg": "#b3261e",
    "urgent_fg": "#ffffff",
    "drill_bg": "#6a1b9a",
    "drill_fg": "#ffffff",
}

THEMES: dict[str, Theme] = {
    "light": Theme(
        name="light",
        window="#eef0f3",
        base="#ffffff",
        alt_base="#f6f7f9",
        text="#101418",
        muted="#4a5360",
        border="#9aa3ad",
        accent="#0b57d0",
        ok="#146c2e",
        pending="#0b57d0",
        unknown="#5f6368",
        plot_bg="#ffffff",
        plot_fg="#202124",
        **_SHARED,
    ),
    "dark": Theme(
        name="dark",
        window="#14171b",
        base="#1d2126",
        alt_base="#23282e",
        text="#f1f3f4",
        muted="#b0b8c1",
        border="#5c6670",
        accent="#8ab4f8",
        ok="#6dd58c",
        pending="#8ab4f8",
        unknown="#9aa0a6",
        plot_bg="#111417",
        plot_fg="#e8eaed",
        **_SHARED,
    ),
}

_current = THEMES["light"]


def current() -> Theme:
    return _current


def _palette(t: Theme) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: t.window,
        QPalette.ColorRole.WindowText: t.text,
        QPalette.ColorRole.Base: t.base,
        QPalette.ColorRole.AlternateBase: t.alt_base,
        QPalette.ColorRole.Text: t.text,
        QPalette.ColorRole.Button: t.alt_base,
        QPalette.ColorRole.ButtonText: t.text,
        QPalette.ColorRole.ToolTipBase: t.base,
        QPalette.ColorRole.ToolTipText: t.text,
        QPalette.ColorRole.PlaceholderText: t.muted,
        QPalette.ColorRole.Highlight: t.accent,
        QPalette.ColorRole.HighlightedText: t.base,
        QPalette.ColorRole.Link: t.accent,
        QPalette.ColorRole.Mid: t.border,
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    disabled = QColor(t.muted)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def style_sheet(t: Theme) -> str:
    source = resource_path("styles", f"{t.name}.qss").read_text(encoding="utf-8")
    return Template(source).substitute(asdict(t))


def apply_theme(app: QApplication, name: str) -> Theme:
    """Switch the whole application to the named palette (unknown names: light)."""
    global _current
    _current = THEMES.get(name, THEMES["light"])
    app.setStyle("Fusion")  # the same look everywhere; the native styles ignore parts of a QSS
    app.setPalette(_palette(_current))
    app.setStyleSheet(style_sheet(_current))
    return _current
