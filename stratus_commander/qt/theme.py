"""The light and the dark palette: one set of colours for the QSS, the painted shapes and graphs.

``resources/styles/palettes.toml`` defines each palette's colours (data, once);
``resources/styles/cockpit.qss`` is the one style sheet, its ``$token`` placeholders filled from
the palette when applied. Urgent (red) and warning (yellow) fills carry their own text colour and
read the same in both palettes — and every state is also said in words and by shape, never by
colour alone.

The commander's choice is a palette's name or :data:`SYSTEM` (the default until they pick one):
the desktop's colour scheme (``QStyleHints.colorScheme``), followed live by the cockpit.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path
from string import Template

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from stratus_commander.resources import resource_path

__all__ = [
    "CHOICES",
    "SYSTEM",
    "THEMES",
    "Theme",
    "apply_theme",
    "current",
    "load_palettes",
    "resolve",
    "scheme_theme",
    "set_state",
    "style_sheet",
]


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
    late: str  # clocks met after their deadline: done, not on time
    pending: str  # clocks running with time to spare
    warn_bg: str  # due soon, degraded
    warn_fg: str
    urgent_bg: str  # overdue, down
    urgent_fg: str
    unknown: str  # waiting clocks, probes that could not run
    drill_bg: str
    drill_fg: str
    tile: str  # a clock tile's background
    plot_bg: str
    plot_fg: str

    def color(self, token: str) -> QColor:
        return QColor(getattr(self, token))


_SHARED = "both"  # the palettes file's table of colours every palette has


def load_palettes(path: Path) -> dict[str, Theme]:
    """Every palette in ``path``: each must name every colour token once (with ``[both]``)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    shared = data.pop(_SHARED, {})
    tokens = {f.name for f in fields(Theme)} - {"name"}
    themes = {}
    for name, own in data.items():
        where = f"{path.name}: {name}"
        if not isinstance(own, dict):
            raise ValueError(f"{where}: must be a table of colours")
        values = {**shared, **own}
        if twice := sorted(shared.keys() & own.keys()):
            raise ValueError(f"{where}.{twice[0]}: already set in [{_SHARED}]")
        if unknown := sorted(values.keys() - tokens):
            raise ValueError(f"{where}.{unknown[0]}: not a colour token of the style sheet")
        if missing := sorted(tokens - values.keys()):
            raise ValueError(f"{where}.{missing[0]}: missing")
        for token, value in values.items():
            if not (isinstance(value, str) and QColor.isValidColorName(value)):
                raise ValueError(f"{where}.{token}: {value!r} is not a colour")
        themes[name] = Theme(name=name, **values)
    return themes


THEMES: dict[str, Theme] = load_palettes(resource_path("styles", "palettes.toml"))
_current = THEMES["light"]


def current() -> Theme:
    return _current


#: Follow the desktop's colour scheme (the choice until the commander picks a palette).
SYSTEM = "system"
CHOICES = (SYSTEM, "light", "dark")


def scheme_theme(scheme: Qt.ColorScheme) -> str:
    """The palette for a desktop colour scheme (unknown: light)."""
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def resolve(choice: str, app: QApplication) -> str:
    """The palette a choice means now: :data:`SYSTEM` is the desktop's scheme of the moment."""
    if choice == SYSTEM:
        return scheme_theme(app.styleHints().colorScheme())
    return choice if choice in THEMES else "light"


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


@cache
def _template() -> Template:
    return Template(resource_path("styles", "cockpit.qss").read_text(encoding="utf-8"))


def style_sheet(t: Theme) -> str:
    """The style sheet in palette ``t``'s colours."""
    return _template().substitute(asdict(t))


def apply_theme(app: QApplication, name: str) -> Theme:
    """Switch the whole application to the named palette (unknown names: light)."""
    global _current
    _current = THEMES.get(name, THEMES["light"])
    app.setStyle("Fusion")  # the same look everywhere; the native styles ignore parts of a QSS
    app.setPalette(_palette(_current))
    app.setStyleSheet(style_sheet(_current))
    return _current


def set_state(
    widget: QWidget, value: str, name: str = "state", *, also: Iterable[QWidget] = ()
) -> None:
    """Say ``widget``'s state to the style sheet: ``QLabel#deadline[state="overdue"]`` then
    styles it. Qt matches property selectors only when it polishes a widget, so a widget on
    screen is re-polished (with ``also``: descendants whose rules read this widget's property,
    ``QFrame#clockTile[state="met"] QLabel``); one not yet polished is styled when first shown.
    """
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    for w in (widget, *also):
        if w.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
            style = w.style()
            style.unpolish(w)
            style.polish(w)
            # What setStyleSheet sends after polishing: without it a new padding or border
            # never reaches the widget's margins and size hint (only colours and fonts change).
            QApplication.sendEvent(w, QEvent(QEvent.Type.StyleChange))
