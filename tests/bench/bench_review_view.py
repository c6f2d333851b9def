"""GUI review benchmark: open the ReviewView of an incident over 24 h of 100 probes at 1 Hz
(8.64 M samples) until its review is shown and its graphs are drawn (one offscreen paint), and
the incident library's search over the same file, beside a plain SQLite aggregate scan. Also
said: when the first tab was shown (all but the measured uptime) and the whole review.

    python tests/bench/bench_review_view.py

Uses the database tests/bench/bench_review.py builds and caches (built here if missing). Each
figure runs in a fresh subprocess, so its peak RSS is its own. Target (issue 5): open the review
and draw its graphs ≤ 1.5 s, peak RSS ≤ 400 MB.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, what: str) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out: dict[str, float] = {}
    if what == "scan":
        from stratus_commander.store import open_store

        with open_store(path) as store:
            t = time.perf_counter()
            rows = store.conn.execute(
                "SELECT probe_id, count(*), sum(outcome = 2) FROM samples GROUP BY probe_id"
            ).fetchall()
            out["seconds"] = time.perf_counter() - t
            out["rows"] = sum(r[1] for r in rows)
        out["peak_rss_mb"] = _rss_mb()
        return out

    t_import = time.perf_counter()
    from bench_review import DAY  # type: ignore[import-not-found]
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from stratus_commander.clock import FakeClock
    from stratus_commander.qt.library import LibraryWindow
    from stratus_commander.qt.review.view import ReviewView
    from stratus_commander.runbook import load_runbook

    app = QApplication([])
    runbook = load_runbook()
    clock = FakeClock(DAY + timedelta(days=3))
    out["import_s"] = time.perf_counter() - t_import

    def wait_for(done: object) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if done() else None)  # type: ignore[operator]
        timer.start(1)
        loop.exec()
        timer.stop()

    if what == "view":
        t = time.perf_counter()
        view = ReviewView(path, runbook, clock, 1)
        # Results come from the event loop: connected now, nothing is missed.
        first: list[float] = []
        whole: list[float] = []
        view.first_shown.connect(lambda: first.append(time.perf_counter()))
        view.loaded.connect(lambda: whole.append(time.perf_counter()))
        view.resize(1300, 850)
        view.tabs.setCurrentWidget(view.graphs)
        view.show()
        wait_for(lambda: whole)
        out["first_tab_s"] = first[0] - t
        out["review_shown_s"] = whole[0] - t
        wait_for(lambda: view.replay is not None)
        view.grab()  # one full paint of the graphs
        out["seconds"] = time.perf_counter() - t
        out["points"] = sum(len(s.times_ms) for s in view.replay.series)
        out["probes"] = len(view.replay.series)
        view.close()
    elif what == "library":
        window = LibraryWindow(path, runbook, clock)
        t = time.perf_counter()
        window.search.setText("trouble")
        out["seconds"] = time.perf_counter() - t
        out["rows"] = window.table.rowCount()
        window.close()
    app.processEvents()
    out["peak_rss_mb"] = _rss_mb()
    return out


def run_child(path: Path, what: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", what, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        sys.path.insert(0, str(HERE))
        print(json.dumps(measure(Path(sys.argv[3]), sys.argv[2])))
        return
    sys.path.insert(0, str(HERE))
    from bench_review import CACHE, build  # type: ignore[import-not-found]

    if not CACHE.exists():
        build(CACHE)
    run_child(CACHE, "scan")  # warm the page cache: every figure reads from memory
    scan = run_child(CACHE, "scan")
    view = run_child(CACHE, "view")
    library = run_child(CACHE, "library")
    print(f"{int(scan['rows']):,} samples, 100 probes, 24 h at 1 Hz")
    print(
        f"  plain SQLite aggregate scan          {scan['seconds']:6.3f} s"
        f"   peak RSS {scan['peak_rss_mb']:5.0f} MB   (baseline)"
    )
    print(
        f"  ReviewView open → graphs drawn       {view['seconds']:6.3f} s"
        f"   peak RSS {view['peak_rss_mb']:5.0f} MB   "
        f"(first tab after {view['first_tab_s']:.3f} s, whole review after "
        f"{view['review_shown_s']:.3f} s; {int(view['probes'])} probes, "
        f"{int(view['points']):,} points; Qt+pyqtgraph import {view['import_s']:.3f} s not "
        "counted)"
    )
    print(
        f"  library full-text search             {library['seconds']:6.3f} s"
        f"   peak RSS {library['peak_rss_mb']:5.0f} MB   ({int(library['rows'])} match)"
    )
    ok = view["seconds"] <= 1.5 and view["peak_rss_mb"] <= 400
    print(f"targets (≤ 1.5 s, ≤ 400 MB) for opening the review: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
