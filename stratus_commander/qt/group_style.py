"""How a triage group looks in every graph: the cockpit's live ones, the review's replays and
the HTML export's (drawn from the replays). One place, so a group keeps its colour everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt

__all__ = ["GROUP_STYLE", "GROUP_TITLE"]

#: Okabe–Ito hues and distinct dash patterns: groups stay apart without colour vision. Lines are
#: one pixel wide: wider (and dashed) pens cost Qt's raster engine ten to a thousand times more.
GROUP_STYLE = {
    "api": ("#0072B2", Qt.PenStyle.SolidLine),
    "webhooks": ("#E69F00", Qt.PenStyle.DashLine),
    "database": ("#009E73", Qt.PenStyle.DotLine),
    "external": ("#CC79A7", Qt.PenStyle.DashDotLine),
}
#: A group's short name in legends and axis ticks.
GROUP_TITLE = {"api": "API", "webhooks": "Webhooks", "database": "Database", "external": "External"}
