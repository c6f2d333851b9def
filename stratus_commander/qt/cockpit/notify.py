"""Warnings the commander cannot miss: in-window banners and a system-tray notification.

:class:`BannerArea` stacks banners under the header, the newest on top, one per clock (an overdue
banner replaces that clock's due-soon one; a met clock's banner goes away). Each banner says its
severity in words and by shape, what to do next and the shortcut for it; Esc (or its button)
dismisses the top one. :class:`Notifier` routes clock alerts there and to the desktop: a tray
notification where there is a system tray, else a freedesktop notification on the session bus
(desktop_notify.py; clicking it raises the cockpit). Either way ``QApplication.alert`` marks the
window in the task bar. ``history`` keeps what was sent, for tests and the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.incident.alerts import Alert
from stratus_commander.incident.comms import format_time
from stratus_commander.incident.deadlines import ClockState
from stratus_commander.qt import theme
from stratus_commander.qt.cockpit import shapes
from stratus_commander.qt.cockpit.desktop_notify import DesktopNotifications
from stratus_commander.qt.panel_kit import accessible

__all__ = ["Banner", "BannerArea", "Notifier"]

log = logging.getLogger(__name__)

_SHAPE = {"overdue": "triangle", "soon": "half", "info": "circle"}


class Banner(QFrame):
    dismissed = Signal(str)

    def __init__(self, key: str, severity: str, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.severity = severity
        self.setObjectName("banner")
        self.setProperty("severity", severity)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        t = theme.current()
        color = {"overdue": t.urgent_fg, "soon": t.warn_fg}.get(severity, t.text)
        icon = QLabel()
        icon.setPixmap(shapes.shape_pixmap(_SHAPE[severity], QColor(color), 22, 2.0))
        self.text = QLabel(text)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = accessible(QPushButton("Dismiss (Esc)"), "Dismiss", "Dismiss this warning (Esc)")
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Esc does it; keep Tab for the work
        close.clicked.connect(lambda: self.dismissed.emit(self.key))
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)


class BannerArea(QWidget):
    """The stack of banners; empty, it takes no space."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(8, 0, 8, 0)
        self._box.setSpacing(4)
        self._banners: dict[str, Banner] = {}
        self.setVisible(False)

    def show_banner(self, key: str, severity: str, text: str) -> Banner:
        """Show (or replace) the banner ``key`` on top of the stack."""
        self.dismiss(key)
        banner = Banner(key, severity, text, self)
        banner.dismissed.connect(self.dismiss)
        self._banners[key] = banner
        self._box.insertWidget(0, banner)
        self.setVisible(True)
        return banner

    def dismiss(self, key: str) -> None:
        banner = self._banners.pop(key, None)
        if banner is not None:
            self._box.removeWidget(banner)
            banner.deleteLater()
        self.setVisible(bool(self._banners))

    def dismiss_top(self) -> bool:
        if not self._banners:
            return False
        item = self._box.itemAt(0)
        top = item.widget() if item is not None else None
        if isinstance(top, Banner):
            self.dismiss(top.key)
        return True

    def order(self) -> list[str]:
        """Banner keys, top first."""
        out = []
        for i in range(self._box.count()):
            item = self._box.itemAt(i)
            w = item.widget() if item is not None else None
            if isinstance(w, Banner) and w.key in self._banners:
                out.append(w.key)
        return out

    def texts(self) -> list[str]:
        return [self._banners[k].text.text() for k in self.order()]

    def severity(self, key: str) -> str | None:
        banner = self._banners.get(key)
        return banner.severity if banner else None


def alert_text(alert: Alert, shortcut: str = "", detail: str = "") -> str:
    due = format_time(alert.due_at, date=False)
    if alert.overdue:
        head = f"OVERDUE — {alert.label} was due at {due}."
    else:
        head = f"DUE SOON — {alert.label} is due at {due}."
    action = (
        alert.action + (f": {detail}" if detail else "") + (f" ({shortcut})" if shortcut else "")
    )
    return f"{head} Next: {action}." if alert.action else head


class Notifier(QObject):
    """Clock alerts to banners and the desktop; banners of clocks that stopped warning retire.

    ``desktop``: the session-bus notifications to use when there is no tray (default: made here
    when needed); :attr:`raise_requested` when the commander clicks one.
    """

    raise_requested = Signal()

    def __init__(
        self,
        banners: BannerArea,
        shortcuts: dict[str, str],
        icon: QIcon | None = None,
        parent: QObject | None = None,
        details: Callable[[str], str] = lambda clock_id: "",
        desktop: DesktopNotifications | None = None,
    ) -> None:
        super().__init__(parent)
        self.banners = banners
        self.shortcuts = shortcuts
        self.details = details  # clock id -> what the action means now (e.g. whom to page)
        self.history: list[tuple[str, str]] = []  # (title, text) of every notification
        self._tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable() and icon is not None:
            self._tray = QSystemTrayIcon(icon, self)
            self._tray.setToolTip("Stratus Commander")
            self._tray.messageClicked.connect(self.raise_requested)
            self._tray.show()
        self.desktop: DesktopNotifications | None = None
        if self._tray is None:
            self.desktop = desktop if desktop is not None else DesktopNotifications(parent=self)
            self.desktop.activated.connect(self.raise_requested)

    def notify(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            text = alert_text(
                alert, self.shortcuts.get(alert.clock_id, ""), self.details(alert.clock_id)
            )
            severity = "overdue" if alert.overdue else "soon"
            self.banners.show_banner(f"clock:{alert.clock_id}", severity, text)
            title = f"{alert.label} {'OVERDUE' if alert.overdue else 'due soon'}"
            self.history.append((title, text))
            log.info("%s: %s", title, text)
            if self._tray is not None:
                icon = (
                    QSystemTrayIcon.MessageIcon.Critical
                    if alert.overdue
                    else QSystemTrayIcon.MessageIcon.Warning
                )
                self._tray.showMessage(title, text, icon, 15000)
            elif self.desktop is not None:
                self.desktop.notify(alert.clock_id, title, text, critical=alert.overdue)
        if alerts:
            window = self.banners.window()
            if window.isVisible():
                QApplication.alert(window)  # the task bar entry asks for attention

    def retire(self, warning: dict[str, ClockState]) -> None:
        """Drop clock banners whose clock no longer warns (met, re-armed, or not shown)."""
        for key in self.banners.order():
            if not key.startswith("clock:"):
                continue
            state = warning.get(key.removeprefix("clock:"))
            if state not in (ClockState.DUE_SOON, ClockState.OVERDUE):
                self.banners.dismiss(key)
