"""Open team database…: the dialog (the Designer form ``ui/team_database_dialog.ui``) that asks for
a ``postgresql://`` URL, checks it as ``--db`` does, connects off the UI thread and hands the open
store over (``opened(url, store)``).

The check is the command line's own (:func:`~stratus_commander.store.postgres.url.parse_url`): a
URL of another scheme, or one holding a password (``user:secret@``, ``?password=secret``), is
refused in the dialog with what is wrong, before anything connects; the password comes from libpq's
own sources or a ``keyring:`` reference. The connection is made on a worker thread
(:meth:`OffThread.call`): a server that does not answer is named in the dialog after libpq's
timeout, and whatever was open behind the dialog stays as it was. Cancel gives up waiting (a
connection that arrives later is closed). The last URL that opened is kept in the settings
(:data:`SETTINGS_KEY`; it holds no password: one is refused) and offered next time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from stratus_commander.errors import StoreError, StratusError
from stratus_commander.qt import theme
from stratus_commander.qt.offthread import OffThread
from stratus_commander.qt.panel_kit import accessible, child, describe_buttons, load_form
from stratus_commander.store import Store, is_postgres_url, open_store
from stratus_commander.store.postgres.url import parse_url

__all__ = ["SETTINGS_KEY", "TeamDatabaseDialog", "remembered_url", "url_problem"]

#: Where the last team URL that opened is kept (the cockpit's settings file).
SETTINGS_KEY = "team/last_url"
EXAMPLE = "postgresql://user@host:port/dbname"


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a team database (the command line's rules), or ``None``."""
    if not url:
        return f"type the team database's URL: {EXAMPLE}"
    try:
        parse_url(url)
    except StoreError as exc:
        if not is_postgres_url(url):  # the command line would take it for a file
            scheme = url.partition("://")[0] if "://" in url else url
            return f"{exc.message} (“{scheme}…”): a team database's URL is {EXAMPLE}"
        return exc.message
    return None


def remembered_url(settings: QSettings | None) -> str:
    """The last team URL that opened ('' if none, or if what is kept would now be refused)."""
    value = settings.value(SETTINGS_KEY) if settings is not None else None
    return value if isinstance(value, str) and url_problem(value) is None else ""


def _close(store: Store) -> None:
    store.close()


class TeamDatabaseDialog(QDialog):
    """Ask for a team database's URL and connect to it; ``opened(url, store)`` once it answers
    (the store is the receiver's to close). ``readonly``: the store is opened for reading only
    (the library's)."""

    opened = Signal(str, object)

    def __init__(
        self,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
        *,
        readonly: bool = True,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.readonly = readonly
        self.setWindowTitle("Open team database")
        self.form = load_form("team_database_dialog.ui", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.form)
        self.url_edit = child(self.form, QLineEdit, "urlEdit")
        self.status = child(self.form, QLabel, "statusLabel")
        self.status.setObjectName("feedback")  # styled as every panel's refusals
        self.buttons = child(self.form, QDialogButtonBox, "buttonBox")
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setText("&Open")
        self.open_button.setDefault(True)
        accessible(
            self.url_edit,
            "Team database URL",
            "postgresql://user@host:port/dbname, with no password in it",
        )
        describe_buttons(
            self.buttons,
            open="Connect to the team database and list its incidents (Enter)",
            cancel="Close; what was open stays open",
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.url_edit.setText(remembered_url(settings))
        self.url_edit.textEdited.connect(self._edited)
        self.status.setVisible(False)
        self._worker: OffThread | None = None
        self.url_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.resize(780, 250)

    @classmethod
    def ask(
        cls,
        previous: TeamDatabaseDialog | None,
        settings: QSettings | None,
        parent: QWidget,
        opened: Callable[[str, Store], None],
    ) -> TeamDatabaseDialog:
        """The dialog in front: ``previous`` while it is open, else a new one (``previous``
        deleted), window-modal without a nested event loop (it would stall the cockpit's)."""
        if previous is not None and previous.isVisible():
            previous.raise_()
            previous.activateWindow()
            return previous
        if previous is not None:
            previous.deleteLater()
        dialog = cls(settings, parent)
        dialog.opened.connect(opened)
        dialog.open()
        return dialog

    @property
    def connecting(self) -> bool:
        return self._worker is not None

    def accept(self) -> None:
        """Check the URL (refused: said here), then connect to it off the UI thread."""
        if self.connecting:
            return
        url = self.url_edit.text().strip()
        problem = url_problem(url)
        if problem is not None:
            self._say(f"✖ {problem}", "refused")
            self.url_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        shown = parse_url(url).shown
        self._say(f"Connecting to {shown}…", "")
        self.open_button.setEnabled(False)
        self.url_edit.setReadOnly(True)
        readonly = self.readonly
        self._worker = OffThread(url, readonly=readonly, workers=1, name="team-connect")
        self._worker.call(
            lambda: open_store(url, readonly=readonly),
            lambda store: self._connected(url, store),
            self._failed,
            dropped=_close,
        )

    def reject(self) -> None:
        """Cancel: stop waiting for a connection (one that arrives later is closed)."""
        self._stop_waiting()
        super().reject()

    def _connected(self, url: str, store: Store) -> None:
        self._stop_waiting()
        if self.settings is not None:
            self.settings.setValue(SETTINGS_KEY, url)  # it holds no password: one is refused
        self.opened.emit(url, store)
        super().accept()

    def _failed(self, error: BaseException) -> None:
        self._stop_waiting()
        if not isinstance(error, StratusError):  # a defect: the crash report, and a word here
            sys.excepthook(type(error), error, error.__traceback__)
        self._say(f"✖ {error}", "failed")
        self.url_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _stop_waiting(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=False)  # never wait here: libpq's timeout is seconds
            self._worker = None
        self.open_button.setEnabled(True)
        self.url_edit.setReadOnly(False)

    def _edited(self) -> None:
        if self.status.property("state") in ("refused", "failed"):
            self._say("", "")

    def _say(self, text: str, state: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        theme.set_state(self.status, state)
