"""The team server as the cockpit knows it: whether it answers and how many events wait
(:class:`TeamLink`), and a server that did not answer when the store was opened
(:class:`AwayServer`, which :class:`~stratus_commander.store.offline.OfflineStore` holds until
it does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stratus_commander.errors import StoreError, StoreUnreachable

__all__ = ["AwayServer", "TeamLink"]


@dataclass
class TeamLink:
    """How the cockpit's team server is: reachable or not, and how many events wait to be sent.
    ``subscribe(callback)``: ``callback()`` after each change."""

    server: str
    reachable: bool = True
    waiting: int = 0
    problem: str = ""
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def clear(self) -> bool:
        """The server answers and nothing waits."""
        return self.reachable and self.waiting == 0

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def update(self, *, reachable: bool | None = None, waiting: int | None = None) -> None:
        before = (self.reachable, self.waiting)
        if reachable is not None:
            self.reachable = reachable
        if waiting is not None:
            self.waiting = waiting
        if (self.reachable, self.waiting) != before:
            for callback in list(self._listeners):
                callback()


class AwayServer:
    """The server of a team store that could not be opened: every call is ``StoreUnreachable``,
    but whether it answers can be asked, and live updates start (they wait for it)."""

    path = None
    readonly = False

    def __init__(self, url: str, error: StoreUnreachable) -> None:
        from stratus_commander.store.postgres.url import parse_url

        self.target = parse_url(url)
        self.location = self.target.shown
        self.error = error

    def answers(self, timeout_s: int = 3) -> bool:
        from stratus_commander.store.postgres.connection import connect

        try:
            connect(self.target, timeout_s).close()
        except StoreError:
            return False
        return True

    def watch(
        self, callback: Callable[[int | None, int], None], on_samples: Callable[[], None] | None
    ) -> Callable[[], None]:
        from stratus_commander.store.postgres.notify import Watcher

        return Watcher(self.target, callback, on_samples).start().stop

    def after_commit(self, callback: Callable[[], None]) -> None:
        callback()  # never inside a write of its own

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        def away(*args: Any, **kwargs: Any) -> Any:
            raise StoreUnreachable(self.error.message, where=self.location)

        return away
