"""PySide6 6.12.0 on Python 3.11 aborts with `none_dealloc` after a few thousand Qt calls.

This runs tens of thousands of them in a child process: a pin that lets a bad PySide6 in fails
here instead of killing a commander's cockpit mid-incident.
"""

import os
import subprocess
import sys

CHILD = r"""
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

class Emitter(QObject):
    changed = Signal(object)

app = QApplication([])
label = QLabel()
emitter = Emitter()
seen = []
emitter.changed.connect(lambda value: seen.append(value is None))
for i in range(30_000):
    label.setText(f"{i:05d}")
    emitter.changed.emit(None if i % 2 else True)
assert label.text() == "29999"
assert len(seen) == 30_000
print("ok", len(seen) + 30_000)
"""


def test_fifty_thousand_qt_calls_do_not_abort() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ok", "60000"]
