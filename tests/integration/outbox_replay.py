"""A cockpit sending its outbox, that stops after the ``n``th entry's event is committed (and
before that entry leaves the outbox) so a test can SIGKILL it there.

    python -m tests.integration.outbox_replay URL OUTBOX_FILE N MARKER_FILE

Writes ``MARKER_FILE`` when it stops, then sleeps until killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from stratus_commander.clock import SystemClock
from stratus_commander.incident.outbox import replay
from stratus_commander.store import open_store
from stratus_commander.store.offline import OfflineStore
from stratus_commander.store.outbox import Outbox, OutboxEntry


def main(url: str, outbox_file: str, n: int, marker: str) -> None:
    clock = SystemClock()
    seen = 0

    def committed(entry: OutboxEntry) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            Path(marker).write_text(entry.id)
            while True:  # killed here: committed on the server, still in the outbox
                time.sleep(1)

    store = OfflineStore(open_store(url), Outbox(Path(outbox_file)), clock)
    replay(store, clock, committed=committed)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
