"""Slow reads off the UI thread.

:class:`OffThread` runs a job ``job(store)`` on a worker thread with a
:class:`~stratus_commander.store.Store` connection of its own, opened and closed there (sqlite
connections belong to the thread that opened them). The result comes back on the UI thread, two
ways from the one helper: awaited from the qasync loop (``await worker.run(job)``), or delivered
to slots (``worker.submit(job, done, failed)``, through a queued signal, so it works with or
without an asyncio loop running). :meth:`OffThread.spawn` starts a coroutine that awaits it from
a slot (a button, a file dialog), holding it until it ends. :meth:`OffThread.call` runs a job that
needs no connection of this one's (opening a team database's, which may take seconds) the same
way, and hands a result nobody waits for any more to a clean-up of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from stratus_commander.qt.tasks import Tasks
from stratus_commander.store import Store, as_location, open_store

__all__ = ["OffThread"]

T = TypeVar("T")


class OffThread(QObject):
    """Worker threads reading ``store_path`` (``readonly``: ``mode=ro`` connections)."""

    _finished = Signal(object, object)

    def __init__(
        self,
        store_path: Path | str,
        *,
        readonly: bool,
        workers: int = 2,
        name: str = "offthread",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store_path = as_location(store_path)  # a file, or a postgresql:// URL
        self.readonly = readonly
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._closed = False
        self._tasks = Tasks()
        # Queued even when emitted on the UI thread (a job that ended before submit() added its
        # callback): the caller gets its result from the event loop, never from inside submit().
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def start(self, job: Callable[[Store], T]) -> Future[T]:
        """``job(store)`` on a worker thread; after :meth:`shutdown`, a cancelled future."""
        if self._closed:
            cancelled: Future[T] = Future()
            cancelled.cancel()
            return cancelled
        path, readonly = self.store_path, self.readonly

        def work() -> T:
            with open_store(path, create=False, readonly=readonly) as store:
                return job(store)

        return self._pool.submit(work)

    async def run(self, job: Callable[[Store], T]) -> T:
        """Await ``job(store)`` from the qasync loop: its result, or what it raised."""
        return await asyncio.wrap_future(self.start(job))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Run ``coro`` on the running (qasync) loop, held until it ends; :meth:`shutdown`
        cancels it. An error it did not handle goes to ``sys.excepthook`` (the crash dialog)."""
        return self._tasks.spawn(coro)

    def submit(
        self,
        job: Callable[[Store], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        """Call ``done(result)`` or ``failed(exception)`` on the UI thread when ``job`` ends
        (neither once :meth:`shutdown` has run)."""
        self.start(job).add_done_callback(lambda f: self._emit((done, failed, None), f))

    def call(
        self,
        job: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None],
        *,
        dropped: Callable[[T], None] | None = None,
    ) -> None:
        """``job()`` on a worker thread, then ``done(result)`` or ``failed(exception)`` on the
        UI thread, as :meth:`submit`. A result that ends after :meth:`shutdown` (nobody waits for
        it) goes to ``dropped`` instead, on whichever thread it ends (e.g. to close the
        connection it opened)."""
        if self._closed:
            return
        callbacks = (done, failed, dropped)
        self._pool.submit(job).add_done_callback(lambda f: self._emit(callbacks, f))

    def _emit(self, callbacks: tuple[Any, ...], future: Future[Any]) -> None:
        if self._closed:
            self._drop(callbacks, future)
            return
        # Emitted from the worker thread, queued to the UI thread. RuntimeError: the owner was
        # deleted without shutdown(), so nobody is waiting for this.
        with suppress(RuntimeError):
            self._finished.emit(callbacks, future)

    @staticmethod
    def _drop(callbacks: tuple[Any, ...], future: Future[Any]) -> None:
        dropped = callbacks[2]
        if dropped is not None and not future.cancelled() and future.exception() is None:
            dropped(future.result())

    def _deliver(self, callbacks: tuple[Any, ...], future: Future[Any]) -> None:
        if future.cancelled():
            return
        if self._closed:
            self._drop(callbacks, future)
            return
        done, failed, _ = callbacks
        error = future.exception()
        if error is not None:
            failed(error)
        else:
            done(future.result())

    def shutdown(self, *, wait: bool = True) -> None:
        """Cancel started coroutines, wait for running jobs (``wait``: else let them end on
        their own, e.g. a connection attempt given up), cancel queued ones; later results are
        dropped."""
        self._closed = True
        self._tasks.cancel()
        self._pool.shutdown(wait=wait, cancel_futures=True)
