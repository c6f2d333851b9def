"""State shapes, painted: a state reads by its shape and word even when its colour does not.

Clocks: ○ pending, ◐ due soon, ▲ overdue, ✓ met, ⧗ late (met after the deadline), dashed ○
waiting.
Probes: ✓ up, ◆ degraded, ▲ down, ? unknown.
Painted with QPainter (no font glyphs to go missing) and cached per shape, colour and size.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from stratus_commander.incident.deadlines import ClockState
from stratus_commander.qt import theme

__all__ = [
    "CLOCK_SHAPE",
    "OUTCOME_SHAPE",
    "clock_colors",
    "outcome_color",
    "outcome_icon",
    "shape_pixmap",
]

#: Shape and word per clock state.
CLOCK_SHAPE: dict[ClockState, tuple[str, str]] = {
    ClockState.PENDING: ("circle", "PENDING"),
    ClockState.DUE_SOON: ("half", "DUE SOON"),
    ClockState.OVERDUE: ("triangle", "OVERDUE"),
    ClockState.MET: ("check", "MET"),
    ClockState.LATE: ("hourglass", "LATE"),
    ClockState.WAITING: ("dashed", "NOT STARTED"),
    ClockState.MISSED: ("triangle", "MISSED"),
    ClockState.NOT_NEEDED: ("dashed", "NOT NEEDED"),
}
#: Shape and word per probe outcome (``None``: no result yet).
OUTCOME_SHAPE: dict[str | None, tuple[str, str]] = {
    "up": ("check", "UP"),
    "degraded": ("diamond", "DEGRADED"),
    "down": ("triangle", "DOWN"),
    "unknown": ("question", "UNKNOWN"),
    None: ("dashed", "NO DATA"),
}


def outcome_color(outcome: str | None) -> QColor:
    t = theme.current()
    token = {"up": "ok", "degraded": "warn_bg", "down": "urgent_bg"}.get(outcome or "", "unknown")
    if outcome == "degraded" and t.name == "light":
        token = "text"  # yellow on white disappears; the diamond still says "degraded"
    return t.color(token)


def clock_colors(state: ClockState) -> QColor:
    """The shape's colour on its tile (tiles of urgent states are filled; the shape contrasts)."""
    t = theme.current()
    token = {
        ClockState.PENDING: "pending",
        ClockState.DUE_SOON: "warn_fg",
        ClockState.OVERDUE: "urgent_fg",
        ClockState.MET: "ok",
        ClockState.LATE: "late",
        ClockState.WAITING: "unknown",
        # History, not a call to act: the incident is resolved.
        ClockState.MISSED: "text",
        ClockState.NOT_NEEDED: "unknown",
    }[state]
    return t.color(token)


def shape_pixmap(shape: str, color: QColor, size: int, dpr: float = 1.0) -> QPixmap:
    return _pixmap(shape, color.name(QColor.NameFormat.HexArgb), size, round(dpr * 4) / 4)


def outcome_icon(outcome: str | None, size: int = 16) -> QIcon:
    shape, _ = OUTCOME_SHAPE.get(outcome, OUTCOME_SHAPE[None])
    return QIcon(shape_pixmap(shape, outcome_color(outcome), size, 2.0))


@lru_cache(maxsize=256)
def _pixmap(shape: str, color: str, size: int, dpr: float) -> QPixmap:
    pm = QPixmap(round(size * dpr), round(size * dpr))
    pm.setDevicePixelRatio(dpr)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    c = QColor(color)
    s = float(size)
    w = max(1.5, s / 9)
    pen = QPen(c, w)
    box = QRectF(w, w, s - 2 * w, s - 2 * w)
    if shape == "circle":
        p.setPen(pen)
        p.drawEllipse(box)
    elif shape == "dashed":
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawEllipse(box)
    elif shape == "half":
        p.setPen(pen)
        p.drawEllipse(box)
        path = QPainterPath()
        path.moveTo(box.center())
        path.arcTo(box, 90, 180)  # the left half filled, as ◐
        path.closeSubpath()
        p.fillPath(path, c)
    elif shape == "triangle":
        tri = QPolygonF([QPointF(s / 2, w), QPointF(s - w, s - w), QPointF(w, s - w)])
        p.setPen(
            QPen(c, w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        )
        p.setBrush(c)
        p.drawPolygon(tri)
        _mark(p, "!", QRectF(0, s * 0.28, s, s * 0.72), _contrast(c))
    elif shape == "check":
        p.setPen(
            QPen(
                c,
                w * 1.6,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
        )
        path = QPainterPath(QPointF(s * 0.16, s * 0.55))
        path.lineTo(QPointF(s * 0.42, s * 0.8))
        path.lineTo(QPointF(s * 0.86, s * 0.2))
        p.drawPath(path)
    elif shape == "hourglass":
        # ⧗: two filled triangles tip to tip between two bars: done, but the time ran out.
        p.setPen(QPen(c, w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(w, w), QPointF(s - w, w))
        p.drawLine(QPointF(w, s - w), QPointF(s - w, s - w))
        p.setBrush(c)
        top = QPolygonF([QPointF(s * 0.2, w), QPointF(s * 0.8, w), QPointF(s / 2, s / 2)])
        low = QPolygonF([QPointF(s / 2, s / 2), QPointF(s * 0.8, s - w), QPointF(s * 0.2, s - w)])
        p.drawPolygon(top)
        p.drawPolygon(low)
    elif shape == "diamond":
        half = QPolygonF(
            [QPointF(s / 2, w), QPointF(s - w, s / 2), QPointF(s / 2, s - w), QPointF(w, s / 2)]
        )
        p.setPen(pen)
        p.drawPolygon(half)
        lower = QPolygonF([QPointF(w, s / 2), QPointF(s - w, s / 2), QPointF(s / 2, s - w)])
        p.setBrush(c)
        p.drawPolygon(lower)  # half filled, as ⬙
    elif shape == "question":
        p.setPen(pen)
        p.drawEllipse(box)
        _mark(p, "?", box, c)
    p.end()
    return pm


def _contrast(c: QColor) -> QColor:
    return QColor("#000000") if c.lightnessF() > 0.6 else QColor("#ffffff")


def _mark(p: QPainter, text: str, rect: QRectF, color: QColor) -> None:
    font = QFont(p.font())
    font.setBold(True)
    font.setPixelSize(max(6, int(rect.height() * 0.62)))
    p.setFont(font)
    p.setPen(color)
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
