"""What the cockpit says when its team server goes away.

A red banner — ``TEAM SERVER UNREACHABLE — postgresql://team@db:5432/incidents · 3 events
waiting…`` — as soon as an action or the check every :data:`RETRY_MS` finds the server gone, kept
up to date as actions queue, and cleared once the outbox has been sent. The check (``send``: the
session's ``send_outbox``) also sends the outbox when the server answers again. While the server
is away, whether it answers is asked on a worker thread (``answers``: the session's
``team_server_answers``; a dead network may take seconds to say no), never on the UI thread. The
state is the Qt-free ``store.offline.TeamLink``; this module only shows it.

:func:`unless_away` opens what reads the team server itself (the review desk, the close dialog):
while the server is away, an amber banner says it needs the server, instead of an error dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from stratus_commander.errors import StoreUnreachable
from stratus_commander.qt.cockpit.notify import Banner, BannerArea

__all__ = ["KEY", "NEEDS_KEY", "RETRY_MS", "TeamServerStatus", "team_text", "unless_away"]

KEY = "team-server"
#: The banner that says something needs the team server, which is away.
NEEDS_KEY = "needs-team-server"
RETRY_MS = 2000

T = TypeVar("T")


def unless_away(banners: BannerArea, what: str, open_: Callable[[], T]) -> T | None:
    """``open_()``; while the team server is away, None and a banner saying ``what`` needs it."""
    try:
        return open_()
    except StoreUnreachable as exc:
        banners.show_banner(
            NEEDS_KEY,
            "soon",
            f"{what} needs the team server, which is away ({exc.message}). Everything on the "
            "timeline keeps working; try again once the red banner has cleared.",
        )
        return None


class Link(Protocol):
    """``stratus_commander.store.offline.TeamLink``, as read here."""

    server: str
    reachable: bool
    waiting: int

    @property
    def clear(self) -> bool: ...

    def subscribe(self, callback: Callable[[], None]) -> None: ...


def _events(n: int) -> str:
    return f"{n} event{'s' if n != 1 else ''}"


def team_text(link: Link) -> str:
    """The banner's words ("" when all is well)."""
    if link.clear:
        return ""
    if not link.reachable:
        return (
            f"TEAM SERVER UNREACHABLE — {link.server} · {_events(link.waiting)} waiting. Keep "
            "working: each action is saved on this laptop and sent, in order, when it answers."
        )
    return f"TEAM SERVER BACK — {link.server} · sending {_events(link.waiting)} waiting…"


class TeamServerStatus(QObject):
    """The team server's banner, and the checks that raise and clear it."""

    _answered = Signal(object)  # from the worker thread: the future of ``answers()``

    def __init__(
        self,
        banners: BannerArea,
        link: Link,
        send: Callable[[], object],
        answers: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.banners = banners
        self.link = link
        self.send = send
        self.answers = answers
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="team-server")
        self._asking: Future[bool] | None = None
        self._answered.connect(self._on_answer)
        self._banner: Banner | None = None
        self._said: int | None = None  # the waiting count the banner was raised for
        self.timer = QTimer(self)
        self.timer.setInterval(RETRY_MS)
        self.timer.timeout.connect(self.retry)
        self.timer.start()
        link.subscribe(self.show)
        self.show()

    def show(self) -> None:
        """Say how the server is (called after every change of the link)."""
        text = team_text(self.link)
        if not text:
            self.banners.dismiss(KEY)
            self._banner, self._said = None, None
            return
        if KEY in self.banners.order() and self._banner is not None:
            self._banner.text.setText(text)  # in place: it keeps its place in the stack
        elif self._said != self.link.waiting:  # new: raised again, even if it was dismissed
            self._banner = self.banners.show_banner(KEY, "overdue", text)
        self._said = self.link.waiting

    def retry(self) -> None:
        """The timer's check: reachable, send (or notice it went away); else ask off-thread."""
        if self.link.reachable:
            self.send()
        elif self._asking is None:
            self._asking = self._pool.submit(self.answers)
            self._asking.add_done_callback(self._answered.emit)

    def _on_answer(self, future: Future[bool]) -> None:
        self._asking = None
        if future.exception() is None and future.result():
            self.send()  # it answers: reconnect and send what waits, here on the UI thread

    def close(self) -> None:
        """Stop checking (the cockpit is closing)."""
        self.timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
