"""What the library's chart views (Drills, Insights) draw with: a still plot in the palette's
colours, bars that say which one was clicked, a widget grabbed as PNG bytes for an export, and
the export's file dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QWidget

from stratus_commander.errors import InputError
from stratus_commander.qt import theme

__all__ = ["ClickableBars", "export_page", "png_of", "still_plot", "style_plot"]


def still_plot(chart: pg.GraphicsLayoutWidget, row: int, col: int, unit: str) -> pg.PlotItem:
    """A plot of ``chart`` that neither pans, zooms nor offers pyqtgraph's menu: a figure to
    read (and click), not to explore. ``unit``: the left axis' label."""
    plot = chart.addPlot(row=row, col=col, enableMenu=False)  # its menu never built
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setLabel("left", unit)
    return plot


def style_plot(plot: pg.PlotItem, title: str) -> None:
    """``plot``'s title and axes in the current palette's plot colours."""
    t = theme.current()
    plot.setTitle(title, color=t.plot_fg)
    for name in ("bottom", "left"):
        plot.getAxis(name).setPen(t.plot_fg)
        plot.getAxis(name).setTextPen(t.plot_fg)  # the tick labels and the axis' own label


class ClickableBars(pg.BarGraphItem):
    """Bars (``x`` centres, ``width``, ``y0`` bottoms, ``height``) that call ``clicked(i)`` with
    the index of the bar clicked."""

    def __init__(
        self,
        x: Sequence[float],
        y0: Sequence[float],
        height: Sequence[float],
        width: float,
        clicked: Callable[[int], object],
        **opts: object,
    ) -> None:
        super().__init__(x=list(x), y0=list(y0), height=list(height), width=width, **opts)
        self.rects = [
            (cx - width / 2, cx + width / 2, b, b + h)
            for cx, b, h in zip(x, y0, height, strict=True)
        ]
        self.clicked = clicked

    def bar_at(self, point: QPointF) -> int | None:
        """The index of the bar under ``point`` (the plot's coordinates)."""
        for i, (x0, x1, y0, y1) in enumerate(self.rects):
            if x0 <= point.x() <= x1 and min(y0, y1) <= point.y() <= max(y0, y1):
                return i
        return None

    def mouseClickEvent(self, ev: object) -> None:  # pyqtgraph's MouseClickEvent
        button, pos = ev.button(), ev.pos()  # type: ignore[attr-defined]
        if button != Qt.MouseButton.LeftButton:
            return
        i = self.bar_at(pos)
        if i is not None:
            ev.accept()  # type: ignore[attr-defined]
            self.clicked(i)


def png_of(widget: QWidget) -> bytes:
    """``widget`` as drawn now, as PNG bytes (a hidden widget is drawn at its own size)."""
    image = widget.grab().toImage()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # the stub wants bytes
        raise RuntimeError("could not encode the chart as PNG")
    buffer.close()
    return bytes(data.data())


def export_page(
    parent: QWidget, title: str, name: str, write: Callable[[Path], None], note: QLabel
) -> None:
    """Ask where to write the view's HTML page (``name`` proposed), write it with
    ``write(path)``, and say on ``note`` where it went or why it was refused."""
    chosen, _ = QFileDialog.getSaveFileName(parent, title, name, "HTML (*.html)")
    if not chosen:
        return
    try:
        write(Path(chosen))
    except InputError as exc:
        note.setText(f"Not exported: {exc}")
        return
    note.setText(f"Exported to {chosen}")
