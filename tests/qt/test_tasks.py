"""Coroutines held until they end (qt/tasks.py): the cockpit's and OffThread's one helper."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from stratus_commander.qt.tasks import Tasks

from .conftest import ARun


def test_a_task_is_held_until_it_ends(arun: ARun) -> None:
    tasks = Tasks()

    async def main() -> tuple[int, int, int]:
        release = asyncio.Event()

        async def wait() -> int:
            await release.wait()
            return 7

        task = tasks.spawn(wait())
        assert task is not None
        held = len(tasks.pending())
        release.set()
        result = await task
        await asyncio.sleep(0)  # the done callback runs one turn later
        return held, result, len(tasks.pending())

    assert arun(main()) == (1, 7, 0)


def test_an_unhandled_error_goes_to_the_excepthook(
    arun: ARun, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, tb: seen.append(error))
    tasks = Tasks()

    async def fail() -> None:
        raise LookupError("no samples table")

    async def main() -> None:
        task = tasks.spawn(fail())
        assert task is not None
        await asyncio.wait([task])
        await asyncio.sleep(0)

    arun(main())
    assert [str(e) for e in seen] == ["no samples table"]
    assert tasks.pending() == set()


def test_cancel_stops_what_still_runs_and_reports_nothing(
    arun: ARun, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: seen.append(exc))
    tasks = Tasks()

    async def main() -> bool:
        task = tasks.spawn(asyncio.sleep(60))
        assert task is not None
        await asyncio.sleep(0)
        tasks.cancel()
        await asyncio.wait([task])
        await asyncio.sleep(0)
        return task.cancelled()

    assert arun(main())
    assert seen == [] and tasks.pending() == set()


def test_without_a_running_loop_nothing_starts(caplog: Any) -> None:
    tasks = Tasks()
    ran: list[int] = []

    async def work() -> None:
        ran.append(1)

    coro = work()
    assert tasks.spawn(coro) is None
    assert coro.cr_frame is None  # closed: no "never awaited" warning later
    assert ran == [] and tasks.pending() == set()
    assert "not started" in caplog.text
