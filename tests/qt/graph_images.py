"""Reading the PNG graphs an HTML export embeds, and what a drawn graph must look like."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

from PySide6.QtGui import QImage

from stratus_commander.qt.review.export_graphs import GRAPH_SIZE

PNG_URI = "data:image/png;base64,"


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, str]] = []  # (alt, src)
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append((a.get("alt") or "", a.get("src") or ""))
        if tag == "section":
            self.sections.append(a.get("id") or "")


def decoded_images(html: str) -> list[tuple[str, QImage, int]]:
    parser = Images()
    parser.feed(html)
    parser.close()
    assert "uptime" in parser.sections and "integrity" in parser.sections
    out = []
    for alt, src in parser.images:
        assert src.startswith(PNG_URI)
        data = base64.b64decode(src[len(PNG_URI) :], validate=True)
        image = QImage.fromData(data, "PNG")
        assert not image.isNull(), alt
        out.append((alt, image, len(data)))
    return out


def distinct_colours(image: QImage) -> int:
    """Colours on a sparse grid: a blank or one-colour image has one or two."""
    return len(
        {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    )


def assert_graph(alt: str, image: QImage, size: int, label: str) -> None:
    assert alt.startswith(f"{label}: probe latency and status by group")
    assert (image.width(), image.height()) == GRAPH_SIZE
    assert size > 20_000  # lines, lanes, labels: far from an empty canvas
    assert distinct_colours(image) > 20
    # The status lanes draw the outage in the theme's red.
    red = sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(image.height() // 2, image.height(), 3)
        if image.pixelColor(x, y).name() == "#b3261e"
    )
    assert red > 200
