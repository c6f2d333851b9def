"""The cockpit's menus and keys: every command has a shortcut of its own (F1 lists them).

Menu titles carry no Alt+letter: the panels' own Alt+letters (Alt+I: internal issue,
investigating...) must never be ambiguous. :data:`SHORTCUT_HINTS` is what the clock banners
name as the key to press.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QWidget

from stratus_commander.qt import theme
from stratus_commander.qt.cockpit.notify import BannerArea

__all__ = ["KEYS_HELP", "SHORTCUT_HINTS", "Commands", "Menus", "build_menus", "show_keys"]

#: Where each clock's work is done (the banners name the key).
SHORTCUT_HINTS = {
    "declare": "Ctrl+N",
    "triage": "Ctrl+1",
    "communicate": "Ctrl+3",
    "next_update": "Ctrl+3",
    "escalate": "Ctrl+5",
}
KEYS_HELP = """\
Ctrl+N          Declare an incident
Ctrl+Shift+N    Add a note to the timeline
Ctrl+1 … Ctrl+5 Triage · Graphs · Communicate · Mitigate · Escalate
Ctrl+6          Timeline (N in the list: note)
Ctrl+L          Incident library (again: back)
Ctrl+Shift+L    Switch between the light and the dark palette
Ctrl+Shift+C    Close the incident (once resolved): RCA, fix, lessons
Ctrl+Shift+R    Post-incident review: timeline, durations, credits, actions
Ctrl+Shift+H    Hand over command to another responder
Esc             Dismiss the top warning banner
Tab / Space     Move between controls / tick a check
Alt+letter      The underlined choice (e.g. Alt+E: external dependency)
Ctrl+Q          Quit (everything is already saved)"""


class Commands(Protocol):
    """What the menus and keys call: the cockpit window."""

    banners: BannerArea

    def declare(self) -> None: ...
    def focus_note(self) -> None: ...
    def toggle_library(self) -> None: ...
    def close_incident(self) -> None: ...
    def open_review(self) -> None: ...
    def hand_over(self) -> None: ...
    def close(self) -> bool: ...
    def show_tab(self, index: int) -> None: ...
    def focus_timeline(self) -> None: ...
    def set_theme(self, name: str) -> None: ...
    def switch_theme(self) -> None: ...
    def show_keys(self) -> None: ...


@dataclass(frozen=True)
class Menus:
    """The actions the window changes later."""

    declare: QAction  # its text says whether another incident is being declared
    themes: dict[str, QAction]  # palette name -> its checkable action
    incident: QMenu  # the Incident menu (team mode adds "Probe from this cockpit" to it)


def build_menus(window: QMainWindow, do: Commands, tab_titles: tuple[str, ...]) -> Menus:
    """The menu bar of ``window`` (Incident, View, Help) and the Esc key; what they call is
    ``do`` (the same window, seen as its commands)."""

    def add(menu: Any, text: str, keys: str | QKeySequence.StandardKey, slot: Callable) -> QAction:
        action = QAction(text, window)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    bar = window.menuBar()
    m = bar.addMenu("Incident")
    declare = add(m, "&Declare incident…", "Ctrl+N", do.declare)
    add(m, "Add &note", "Ctrl+Shift+N", do.focus_note)
    add(m, "Incident &library", "Ctrl+L", do.toggle_library)
    m.addSeparator()
    add(m, "&Close incident…", "Ctrl+Shift+C", do.close_incident)
    add(m, "Post-incident &review…", "Ctrl+Shift+R", do.open_review)
    add(m, "&Hand over command…", "Ctrl+Shift+H", do.hand_over)
    m.addSeparator()
    add(m, "&Quit", "Ctrl+Q", do.close)

    v = bar.addMenu("View")
    for i, title in enumerate(tab_titles):
        add(v, f"{i + 1}  {title}", f"Ctrl+{i + 1}", lambda _=False, n=i: do.show_tab(n))
    add(v, "6  Timeline", "Ctrl+6", do.focus_timeline)
    v.addSeparator()
    group = QActionGroup(window)
    themes: dict[str, QAction] = {}
    for name, label in (("light", "&Light palette"), ("dark", "&Dark palette")):
        action = QAction(label, window, checkable=True)
        action.triggered.connect(lambda _=False, n=name: do.set_theme(n))
        group.addAction(action)
        v.addAction(action)
        themes[name] = action
    themes[theme.current().name].setChecked(True)
    add(v, "Switch palette", "Ctrl+Shift+L", do.switch_theme)

    h = bar.addMenu("Help")
    add(h, "&Keyboard", QKeySequence.StandardKey.HelpContents, do.show_keys)

    esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
    esc.setContext(Qt.ShortcutContext.WindowShortcut)
    esc.activated.connect(do.banners.dismiss_top)
    return Menus(declare, themes, m)


def show_keys(parent: QWidget) -> None:
    """The keys, in a monospaced box (F1)."""
    box = QMessageBox(QMessageBox.Icon.Information, "Keyboard", KEYS_HELP, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    font = box.font()
    font.setFamilies(["DejaVu Sans Mono", "monospace"])
    box.setFont(font)
    box.open()  # not exec(): a nested event loop would stall the probes' loop
