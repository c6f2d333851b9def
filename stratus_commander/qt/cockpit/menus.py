"""The cockpit's menus and keys: every command is in a menu, with its shortcut beside it.

Menu titles carry no Alt+letter: the panels' own Alt+letters (Alt+I: internal issue,
investigating...) must never be ambiguous. :data:`SHORTCUT_HINTS` is what the clock banners
name as the key to press. F1 (:func:`show_help`) says what the page in front is for and which
runbook step it serves (:data:`PAGE_HELP`, with the step's deadline read from the runbook), then
lists the keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QWidget

from stratus_commander.qt import theme
from stratus_commander.qt.cockpit.notify import BannerArea
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import human_duration

__all__ = [
    "KEYS_HELP",
    "PAGE_HELP",
    "SHORTCUT_HINTS",
    "Commands",
    "Menus",
    "build_menus",
    "page_help",
    "show_help",
]

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
Ctrl+D          Start a drill (the scenario chosen on the welcome page)
Ctrl+Shift+N    Add a note to the timeline
Ctrl+1 … Ctrl+5 Triage · Graphs · Communicate · Mitigate · Escalate
Ctrl+6          Timeline (N in the list: note)
Ctrl+L          Incident library (again: back)
Ctrl+F          Search the incident library
Ctrl+Shift+O    Open a team database (postgresql://): its incidents, live
Ctrl+Shift+L    Switch between the light and the dark palette
Ctrl+Shift+C    Close the incident (once resolved): RCA, fix, lessons
Ctrl+Shift+R    Post-incident review: timeline, durations, credits, actions
Ctrl+Shift+H    Hand over command to another responder
Esc             Dismiss the top warning banner
Tab / Space     Move between controls / tick a check
Alt+letter      The underlined choice (e.g. Alt+E: external dependency)
F1              This help: the page in front, then the keys
Ctrl+Q          Quit (everything is already saved)"""

#: For each page the commander can have in front: the runbook phase it serves ("escalation":
#: the runbook's escalation table; None: no one step) and what it is for.
PAGE_HELP: dict[str, tuple[str | None, str]] = {
    "welcome": (
        "declare",
        "Nothing is open. Declare an incident (Ctrl+N) as soon as a failure is confirmed: the "
        "DECLARE clock runs from the first failing probe. Or start a drill, or open an "
        "incident from the library.",
    ),
    "triage": (
        "triage",
        "Work through the runbook's four checks in order — API, webhooks, database, external "
        "providers — with the live probe rows beside them, tick what you checked, then decide: "
        "internal issue, external dependency or unknown. The decision meets TRIAGE and names "
        "the next step.",
    ),
    "graphs": (
        "triage",
        "Latency, error rate and availability of every probe over time, with the timeline's "
        "events as markers: the evidence behind the triage decision and for when it started.",
    ),
    "communicate": (
        "communicate",
        "Write the status update from the runbook's templates, filled from the incident, and "
        "record where you sent it. The first update meets COMMUNICATE; every update restarts "
        "the NEXT UPDATE clock.",
    ),
    "mitigate": (
        "mitigate",
        "The checklist for the triage decision (internal issue, external dependency), with "
        "check-back reminders; every tick goes on the timeline.",
    ),
    "escalate": (
        "escalation",
        "Whom to page for the incident's impact, their contacts, and a record of whom you "
        "paged and how. Recording it meets ESCALATE.",
    ),
}


class Commands(Protocol):
    """What the menus and keys call: the cockpit window."""

    banners: BannerArea
    theme_choice: str  # a palette's name, or theme.SYSTEM

    def declare(self) -> None: ...
    def focus_note(self) -> None: ...
    def toggle_library(self) -> None: ...
    def search_library(self) -> None: ...
    def open_team_database(self) -> None: ...
    def start_drill(self) -> None: ...
    def close_incident(self) -> None: ...
    def open_review(self) -> None: ...
    def hand_over(self) -> None: ...
    def close(self) -> bool: ...
    def show_tab(self, index: int) -> None: ...
    def focus_timeline(self) -> None: ...
    def set_theme(self, name: str) -> None: ...
    def switch_theme(self) -> None: ...
    def show_keys(self) -> None: ...
    def show_about(self) -> None: ...


@dataclass(frozen=True)
class Menus:
    """The actions the window changes later."""

    declare: QAction  # its text says whether another incident is being declared
    themes: dict[str, QAction]  # choice (theme.CHOICES) -> its checkable action
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
    add(m, "Start a d&rill", "Ctrl+D", do.start_drill)
    add(m, "Incident &library", "Ctrl+L", do.toggle_library)
    add(m, "&Search the library", "Ctrl+F", do.search_library)
    add(m, "Open &team database…", "Ctrl+Shift+O", do.open_team_database)
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
    labels = {
        theme.SYSTEM: "Palette of the &system (light or dark, as the desktop)",
        "light": "&Light palette",
        "dark": "&Dark palette",
    }
    for name, label in labels.items():
        action = QAction(label, window, checkable=True)
        action.triggered.connect(lambda _=False, n=name: do.set_theme(n))
        group.addAction(action)
        v.addAction(action)
        themes[name] = action
    themes[do.theme_choice].setChecked(True)
    add(v, "Switch palette", "Ctrl+Shift+L", do.switch_theme)

    v.addSeparator()
    add(v, "Dismiss the top &warning", "Esc", do.banners.dismiss_top)

    h = bar.addMenu("Help")
    add(h, "&This page and the keys", "F1", do.show_keys)  # F1 everywhere, as KEYS_HELP says
    add(h, "&About Stratus Commander", "Ctrl+Shift+A", do.show_about)
    return Menus(declare, themes, m)


def page_help(runbook: Runbook, page: str) -> str:
    """What ``page`` (a key of :data:`PAGE_HELP`) is for and the runbook step it serves."""
    step, purpose = PAGE_HELP[page]
    if step == "escalation":
        rows = "; ".join(
            f"{row.impact} within {human_duration(row.response)}: {', '.join(row.who)}"
            for row in runbook.escalation
        )
        serves = f"Runbook: escalation by impact — {rows}."
    else:
        numbered = [(n, p) for n, p in enumerate(runbook.phases, 1) if p.id == step]
        serves = "".join(f"Runbook step {n}, {p.title}: {p.when}." for n, p in numbered[:1])
    return "\n".join(line for line in (purpose, serves) if line)


def show_help(parent: QWidget, runbook: Runbook, page: str) -> QMessageBox:
    """F1: the page in front (what for, which runbook step), then the keys."""
    title = "Welcome page" if page == "welcome" else f"The {page.capitalize()} tab"
    text = f"{title}\n\n{page_help(runbook, page)}\n\nKeys\n\n{KEYS_HELP}"
    box = QMessageBox(QMessageBox.Icon.Information, "Help", text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setAccessibleName("Help")
    box.setAccessibleDescription("What the page in front is for, and the keys")
    font = box.font()
    font.setFamilies(["DejaVu Sans Mono", "monospace"])
    box.setFont(font)
    box.open()  # not exec(): a nested event loop would stall the probes' loop
    return box
