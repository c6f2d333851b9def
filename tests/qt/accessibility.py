"""What a screen reader hears of each interactive widget: the walk behind the accessibility test.

``unnamed(root)`` lists every interactive widget under ``root`` (buttons, ticks, fields, lists,
tab bars...) that has no accessible name or no accessible description, as screen readers get
them through QAccessible (a button's text is its name; a tooltip is a description). Qt's own
parts of a compound widget (a spin box's line edit, a scroll bar, a tab bar's scroll arrows) and
pyqtgraph's plot internals are not ours and are skipped.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

INTERACTIVE = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
)
#: Compound widgets whose interactive children are Qt's parts of one control.
COMPOUND = (QAbstractSpinBox, QComboBox, QTabBar, QAbstractItemView, QScrollBar, QLineEdit)


def _ours(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, COMPOUND):
            return False
        if type(parent).__module__.startswith("pyqtgraph"):
            return False
        parent = parent.parentWidget()
    if widget.objectName().startswith("qt_"):  # made by Qt: a menu bar's », a tab bar
        return False
    return not type(widget).__module__.startswith("pyqtgraph") and not isinstance(
        widget, QScrollBar
    )


def describe(widget: QWidget) -> tuple[str, str]:
    """(name, description) as an assistive technology reads them."""
    iface = QAccessible.queryAccessibleInterface(widget)
    if iface is None:
        return "", ""
    name = iface.text(QAccessible.Text.Name).strip()
    description = iface.text(QAccessible.Text.Description).strip()
    return name, description


def unnamed(root: QWidget) -> list[str]:
    """Each interactive widget of ours under ``root`` (and root) missing a name or description."""
    out = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, INTERACTIVE) or not _ours(widget):
            continue
        name, description = describe(widget)
        if not name or not description:
            where = type(widget).__name__
            label = widget.objectName() or getattr(widget, "text", lambda: "")() or "?"
            missing = " and ".join(
                what for what, value in (("name", name), ("description", description)) if not value
            )
            out.append(f"{where} {label!r} in {type(widget.parentWidget()).__name__}: no {missing}")
    return out
