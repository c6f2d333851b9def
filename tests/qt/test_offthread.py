"""Slow reads off the UI thread (qt/offthread.py), and garbage collected only on the UI thread."""

from __future__ import annotations

import gc
import itertools
import threading
import weakref
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QTimer

from stratus_commander.clock import FakeClock
from stratus_commander.errors import StoreError
from stratus_commander.incident import Incidents
from stratus_commander.qt.offthread import OffThread
from stratus_commander.store import Store, open_store

from .conftest import T0, ARun


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.db"
    with open_store(path) as store:
        Incidents(store, FakeClock(T0)).declare("Checkout failing", "Major")
    return path


def titles(store: Store) -> tuple[int, list[str]]:
    return threading.get_ident(), [row["title"] for row in store.incident_rows()]


def test_a_job_reads_on_a_worker_thread_and_is_awaited_on_the_ui_thread(
    qtbot: Any, arun: ARun, db: Path
) -> None:
    worker = OffThread(db, readonly=True)
    try:
        thread, found = arun(worker.run(titles))
    finally:
        worker.shutdown()
    assert found == ["Checkout failing"]
    assert thread != threading.get_ident()


def test_submit_calls_back_on_the_ui_thread_with_the_result_or_the_error(
    qtbot: Any, tmp_path: Path, db: Path
) -> None:
    worker = OffThread(db, readonly=True)
    got: list[tuple[int, object]] = []
    worker.submit(titles, lambda r: got.append((threading.get_ident(), r[1])), got.append)
    qtbot.waitUntil(lambda: len(got) == 1)
    assert got == [(threading.get_ident(), ["Checkout failing"])]
    worker.shutdown()

    missing = OffThread(tmp_path / "typo.db", readonly=True)
    errors: list[BaseException] = []
    missing.submit(titles, lambda r: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], StoreError) and "typo.db" in str(errors[0])
    missing.shutdown()


def test_a_job_that_ended_before_submit_returned_is_delivered_from_the_event_loop(
    qtbot: Any, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = OffThread(db, readonly=True)
    ended: Future[int] = Future()
    ended.set_result(1)  # as when the worker thread ran it before the UI thread got back
    monkeypatch.setattr(worker, "start", lambda job: ended)
    got: list[object] = []
    worker.submit(titles, got.append, got.append)
    assert got == []  # not called back from inside submit(): its caller is not done yet
    qtbot.waitUntil(lambda: got == [1])
    worker.shutdown()


def test_after_shutdown_nothing_starts_and_nothing_is_delivered(qtbot: Any, db: Path) -> None:
    worker = OffThread(db, readonly=True)
    release = threading.Event()
    got: list[object] = []

    def slow(store: Store) -> int:
        release.wait(5)
        return 1

    worker.submit(slow, got.append, got.append)
    threading.Timer(0.1, release.set).start()
    worker.shutdown()  # waits for the running job; its result is dropped
    assert worker.start(titles).cancelled()
    qtbot.wait(50)
    assert got == []


def test_a_worker_thread_never_collects_a_qt_object(qtbot: Any, db: Path) -> None:
    """A cycle holding a QObject, dropped on the UI thread, outlives a worker job that allocates
    past every collection threshold; the UI thread's own collector frees it afterwards."""
    assert not gc.isenabled(), "the app runs the collector from the UI thread only"

    class Holder(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.timer = QTimer(self)
            self.me = self  # a cycle: only the collector frees it

    holder = Holder()
    alive = weakref.ref(holder)
    del holder

    def allocate(store: Store) -> list[list[int]]:
        # Far past gen 0's threshold of 700, and kept (the collector counts the living).
        junk = [[i] for i in range(200_000)]
        for a, b in itertools.pairwise(junk):
            a.append(b)
        return junk

    worker = OffThread(db, readonly=True)
    try:  # waited for without running the event loop, so the UI thread collects nothing yet
        junk = worker.start(allocate).result(timeout=30)
    finally:
        worker.shutdown()
    assert alive() is not None, "collected on the worker thread"
    qtbot.waitUntil(lambda: alive() is None, timeout=5000)
    assert len(junk) == 200_000


def test_call_hands_a_result_nobody_waits_for_any_more_to_its_clean_up(
    qtbot: Any, db: Path
) -> None:
    """A connection given up (Cancel while connecting) is closed when it arrives, not leaked,
    and the caller is not called back."""
    worker = OffThread(db, readonly=True, workers=1)
    got: list[object] = []
    worker.call(lambda: "first", got.append, got.append, dropped=got.append)
    qtbot.waitUntil(lambda: got == ["first"])  # delivered on the UI thread as submit() does

    started, release = threading.Event(), threading.Event()
    dropped: list[tuple[int, str]] = []

    def slow() -> str:
        started.set()
        release.wait(10)
        return "late"

    worker.call(
        slow, got.append, got.append, dropped=lambda r: dropped.append((threading.get_ident(), r))
    )
    assert started.wait(10)
    worker.shutdown(wait=False)  # returns at once: the job still runs
    release.set()
    qtbot.waitUntil(lambda: len(dropped) == 1)
    assert dropped[0][1] == "late" and dropped[0][0] != threading.get_ident()
    assert got == ["first"]
