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

__all__ = ["ClickableBars", "StillPlot", "export_page", "png_of", "still_plot", "style_plot"]


class StillPlot:
    """A figure to read (and click), not to explore: a title, a view that neither pans nor
    zooms, and its left and bottom axes, as a cell of a chart's layout. Not a ``PlotItem``: each
    of those builds its menu of plot options (a form of some fifty widgets) whether shown or
    not, and a dozen of them took four times as long to make as the plots themselves.

    What the views ask of a plot, as ``PlotItem`` answers it: :meth:`addItem`, :meth:`plot`,
    :meth:`clear`, the ranges, :meth:`getAxis`, :meth:`setTitle`; ``vb`` is the view."""

    def __init__(self, unit: str) -> None:
        self.cell = pg.GraphicsLayout()
        self.cell.layout.setContentsMargins(1, 1, 1, 1)  # as PlotItem lays out its own: the
        self.cell.layout.setSpacing(0)  # axes meet at the view's corner
        self.title = pg.LabelItem("", size="11pt")
        self.vb = pg.ViewBox(enableMenu=False)
        self.vb.setMouseEnabled(x=False, y=False)
        self.axes = {name: pg.AxisItem(name) for name in ("left", "bottom")}
        for axis in self.axes.values():
            axis.linkToView(self.vb)
        self.axes["left"].setLabel(unit)
        self.cell.addItem(self.title, row=0, col=1)
        self.cell.addItem(self.axes["left"], row=1, col=0)
        self.cell.addItem(self.vb, row=1, col=1)
        self.cell.addItem(self.axes["bottom"], row=2, col=1)

    def addItem(self, item: pg.GraphicsObject) -> None:
        self.vb.addItem(item)

    def plot(self, x: Sequence[float], y: Sequence[float], **opts: object) -> pg.PlotDataItem:
        curve = pg.PlotDataItem(list(x), list(y), **opts)
        self.vb.addItem(curve)
        return curve

    def clear(self) -> None:
        self.vb.clear()

    def getAxis(self, name: str) -> pg.AxisItem:
        return self.axes[name]

    def setTitle(self, text: str, color: str) -> None:
        self.title.setText(text, color=color)

    def setXRange(self, low: float, high: float, padding: float = 0) -> None:
        self.vb.setXRange(low, high, padding=padding)

    def setYRange(self, low: float, high: float, padding: float = 0) -> None:
        self.vb.setYRange(low, high, padding=padding)

    def disableAutoRange(self) -> None:
        self.vb.disableAutoRange()


def still_plot(chart: pg.GraphicsLayoutWidget, row: int, col: int, unit: str) -> StillPlot:
    """A :class:`StillPlot` in ``chart`` at ``row``, ``col``; ``unit``: its left axis' label."""
    plot = StillPlot(unit)
    chart.addItem(plot.cell, row=row, col=col)
    return plot


def style_plot(plot: StillPlot, title: str) -> None:
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
