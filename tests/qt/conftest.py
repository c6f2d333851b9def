"""Fixtures for the Qt tests (offscreen; the user dirs are already isolated by tests/conftest.py).

Async parts run to completion on a qasync loop through ``arun`` from a *sync* test, so pytest-qt's
own waiting (``qtbot.waitSignal``/``waitUntil``) never runs inside a coroutine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
import qasync

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.app import open_settings
from stratus_commander.qt.application import collect_on_ui_thread
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import Store, open_store

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


def hm(minutes: float = 0, fmt: str = "%H:%M") -> str:
    """T0 + minutes as the cockpit prints it (local time: the machine's zone is not assumed)."""
    return (T0 + timedelta(minutes=minutes)).astimezone().strftime(fmt)


def open_cockpit(
    qtbot: Any, db_path: Path | str, runbook: Runbook, clock: FakeClock
) -> tuple[Store, Incidents, Bus, Cockpit]:
    """A cockpit window on its own store at ``db_path`` (call again to "restart" on the file; a
    ``postgresql://`` URL opens a team database)."""
    store = open_store(db_path)
    incidents = Incidents(store, clock)
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock, db_path=db_path, settings=open_settings())
    qtbot.addWidget(window)
    window.show()
    return store, incidents, bus, window


ARun = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(scope="session", autouse=True)
def collector_on_ui_thread(qapp: Any) -> None:
    """As in the app (``ensure_app``): worker threads (qt/offthread.py) must never collect a
    widget, and the last window a test closes does not quit the application, which would stop
    a qasync loop (``arun``) before its coroutine ends."""
    collect_on_ui_thread(qapp)
    qapp.setQuitOnLastWindowClosed(False)


@pytest.fixture(scope="session")
def runbook() -> Runbook:
    return load_runbook()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "incidents.db"


@pytest.fixture
def incidents(db_path: Path, clock: FakeClock) -> Iterator[Incidents]:
    store = open_store(db_path)
    yield Incidents(store, clock)
    store.close()


@pytest.fixture
def bus(incidents: Incidents) -> Bus:
    """A bus that hears every change made through the ``incidents`` fixture."""
    bus = Bus()
    bus.watch_incidents(incidents)
    return bus


PanelT = TypeVar("PanelT")


class MountPanel(Protocol):
    def __call__(self, cls: Callable[..., PanelT], bus: Bus, incidents: Incidents) -> PanelT: ...


@pytest.fixture
def mount_panel(qtbot: Any, runbook: Runbook, clock: FakeClock) -> MountPanel:
    """``mount_panel(PanelClass, bus, incidents)``: a cockpit panel on the shared runbook and clock,
    closed by qtbot after the test. Pass another bus/incidents to rebuild a panel from the store."""

    def mount(cls: Callable[..., PanelT], bus: Bus, incidents: Incidents) -> PanelT:
        panel = cls(bus, incidents, runbook, clock)
        qtbot.addWidget(panel)
        return panel

    return mount


@pytest.fixture
def arun(qapp: Any) -> Iterator[ARun]:
    """``arun(coro)``: run a coroutine to completion on a qasync loop (Qt events flow meanwhile)."""
    runner = asyncio.Runner(loop_factory=qasync.QEventLoop)
    yield runner.run
    runner.close()


@pytest.fixture
def app_style(qapp: Any) -> Iterator[None]:
    """For tests that switch palettes: put the application's look back afterwards."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    yield
    theme.apply_theme(qapp, "light")  # the module's current palette back to the default
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)
