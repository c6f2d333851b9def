"""The store protocol: what the domain asks of a database, whatever the backend.

Every SQL statement and every connection of the application lives under ``store/``; the domain
(incidents, review, credits, the recorder, the GUI's readers) holds a :class:`Store` and calls
these methods. The SQLite backend (``store/sqlite/``) implements it for the local, solo file;
the PostgreSQL backend (``store/postgres/``, team mode) implements the same protocol, so a
feature written against it works on both.

Rules every backend keeps:

- **Redaction at the boundary.** Every text a method writes passes
  :func:`stratus_commander.store.redaction.clean_params` (or ``clean`` per value): no secret reaches
  the database, and anything hashed (the timeline's chain, record digests) is hashed redacted.
- **Transactions.** A write method is one durable transaction; inside :meth:`transaction` several
  join one (a domain action and its timeline event commit together or not at all). Listeners
  registered with :meth:`after_commit` hear only what was committed.
- **Errors are ours.** A backend raises :class:`~stratus_commander.errors.StoreError` (unusable
  file or server), ``StoreReadOnly`` and ``StoreDamaged``, never its driver's exceptions.
- **Concurrency.** Appends to one incident are serialised (SQLite: one writer at a time;
  PostgreSQL: a lock on the incident's row): seq numbers stay contiguous and the chain linear
  whatever the interleaving of processes.
- **Read-only.** A store opened read-only (``readonly``) never writes; derived tables it must
  bring up to date (the per-minute rollup) are computed on the side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from stratus_commander.store.records import SampleRow
from stratus_commander.timeline import Event


class Store(Protocol):
    """An open incident database (one per thread: connections are not shared)."""

    #: The file, for a file database (``None`` in memory or on a server).
    path: Path | None
    #: Where the data is, as messages name it: the file's path, the server's URL (it never
    #: holds a password), or ``:memory:``.
    location: str
    readonly: bool

    def close(self) -> None: ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...

    # --- transactions --------------------------------------------------------------------------

    def write(self) -> AbstractContextManager[Any]:
        """One durable write transaction; nested use joins the outer one."""
        ...

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what is being written is committed (at once outside a write)."""
        ...

    def watch(
        self,
        callback: Callable[[int | None, int], None],
        on_samples: Callable[[], None] | None = None,
    ) -> Callable[[], None] | None:
        """Live team mode: call ``callback(incident_id, seq)`` (on another thread) for every
        event any process commits, ``(None, 0)`` when some may have been missed, and
        ``on_samples()`` whenever samples or flips were committed; returns the function that
        stops watching, or ``None`` for a database no one else writes to (SQLite: its own
        process announces its own events)."""
        ...

    # --- incidents and their timelines ---------------------------------------------------------

    def incident_row(self, incident_id: int) -> dict[str, Any] | None:
        """The incident's projection columns (``Incidents`` turns them into an ``Incident``)."""
        ...

    def incident_rows(self, open_only: bool = False) -> list[dict[str, Any]]:
        """Every incident (or the open ones), newest declaration first."""
        ...

    def incident_columns(self, names: Sequence[str]) -> list[tuple[Any, ...]]:
        """Every incident's ``names`` (projection columns, as :meth:`incident_row` has them), a
        tuple each, in no order: what counts across thousands at once (the insights) reads only
        what it counts. A name that is not a column raises ``ValueError``."""
        ...

    def search_incident_rows(self, words: Sequence[str]) -> list[dict[str, Any]]:
        """Incidents whose title, timeline or close and review records hold every word (the last
        one as a prefix), newest first."""
        ...

    def insert_incident(self, values: Mapping[str, Any]) -> int:
        """A new incident row; its id. Inside :meth:`write`, with its ``declared`` event."""
        ...

    def update_incident(self, incident_id: int, changes: Mapping[str, Any]) -> None:
        """Set projection columns, inside :meth:`write` with the event that changed them."""
        ...

    def append_event(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        actor: str,
        text: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        """Chain one event to the incident's timeline (inside :meth:`write`). Appends to one
        incident are serialised: seq numbers stay contiguous and the chain linear."""
        ...

    def events(self, incident_id: int) -> list[Event]:
        """The incident's timeline in order."""
        ...

    def timeline_head(self, incident_id: int) -> tuple[int, str] | None:
        """What the incident row records of its timeline: (event count, last hash)."""
        ...

    # --- after the outage: close and review records, action items, lessons, credits ----------

    def review_record(self, incident_id: int) -> tuple[Any, Any] | None:
        """The incident's close record and review (JSON documents, ``None`` when not written),
        or ``None`` when it has neither."""
        ...

    def save_review(
        self,
        incident_id: int,
        updated_at: str,
        close: Mapping[str, Any] | None = None,
        pir: Mapping[str, Any] | None = None,
    ) -> None:
        """Create or touch the incident's review row; replace the documents given."""
        ...

    def set_search_text(self, incident_id: int, text: str) -> None:
        """The words the incident library finds this incident's review by."""
        ...

    def add_search_text(self, incident_id: int, text: str) -> None:
        """One more line the library finds this incident's review by (a lesson added later)."""
        ...

    def action_item_rows(self, incident_id: int) -> list[dict[str, Any]]: ...

    def action_item_row(self, item_id: int) -> dict[str, Any] | None: ...

    def insert_action_item(self, values: Mapping[str, Any]) -> int: ...

    def update_action_item(self, item_id: int, values: Mapping[str, Any]) -> None: ...

    def insert_learnings(
        self, incident_id: int, lessons: Sequence[tuple[str, str]], actor: str, created_at: str
    ) -> list[int]:
        """Lessons (runbook step, text) of an incident; their ids."""
        ...

    def learning_rows(
        self, step: str | None = None, incident_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Lessons with their incident's title, oldest first; of one runbook step and its
        sub-steps, or of one incident, when given."""
        ...

    def first_failing_flip(self, lo_ms: int, hi_ms: int) -> int | None:
        """When a probe first turned down or degraded between the two times (ms), if one did."""
        ...

    def save_maintenance(self, start_ms: int, end_ms: int, reason: str, created_at: str) -> None:
        """A service-wide maintenance window; the same start and end replaces its reason."""
        ...

    def maintenance_rows(self, lo_ms: int, hi_ms: int) -> list[dict[str, Any]]:
        """Windows overlapping [lo_ms, hi_ms), oldest first."""
        ...

    def uptime_minutes(
        self, groups: Sequence[str], lo: int, hi: int, maintenance: Sequence[Sequence[int]]
    ) -> tuple[int, int]:
        """(minutes with a known sample, of which down) in minutes [lo, hi) of ``groups``
        together, the ``maintenance`` minute ranges left out (read from the per-minute rollup)."""
        ...

    def save_credit_report(
        self,
        incident_id: int,
        month: str,
        report: Mapping[str, Any],
        digest: str,
        computed_at: str,
        accounts: Iterable[Mapping[str, Any]],
    ) -> None:
        """One month's credit report of an incident and its per-account rows (replacing that
        month's; other months stay)."""
        ...

    def credit_reports(self, incident_id: int) -> list[tuple[Any, str]]:
        """Each stored month's report (a JSON document) of an incident with the digest stored
        beside it, oldest month first."""
        ...

    def every_credit_report(self) -> list[tuple[int, Any, str]]:
        """``(incident id, report, digest)`` of every stored month of every incident, in one
        read (the insights across incidents), by incident then month."""
        ...

    def credits_of_others(self, month: str, incident_id: int) -> list[dict[str, Any]]:
        """What other incidents already credited in ``month``: account, currency, amount,
        incident, in incident order."""
        ...

    # --- probes and samples --------------------------------------------------------------------

    def add_samples(self, rows: Iterable[SampleRow]) -> int:
        """Write a batch of samples in one transaction; returns how many."""
        ...

    def add_flip(
        self,
        probe: str,
        kind: str,
        check: str,
        at_ms: int,
        previous: str | None,
        current: str,
        detail: str,
    ) -> None:
        """Record a probe's change of displayed state."""
        ...

    def first_failure_since(self, since_ms: int) -> dict[str, Any] | None:
        """The earliest flip to a failing state after ``since_ms``: the detection evidence."""
        ...

    def samples_since(self, after_ms: int) -> list[SampleRow]:
        """Every sample newer than ``after_ms``, oldest first (a team cockpit reading what the
        team's prober wrote)."""
        ...

    def probe_catalog(self) -> dict[int, dict[str, Any]]:
        """Every probe by its id: name, kind and check group."""
        ...

    def samples_in_minutes(self, lo: int, hi: int) -> int:
        """How many samples the minutes ``lo`` (inclusive) to ``hi`` hold."""
        ...

    def minute_buckets(self, lo: int, hi: int, k: int) -> list[tuple[int, int, int, float | None]]:
        """Per probe, buckets of ``k`` minutes, in order: (probe id, bucket, worst outcome,
        highest latency)."""
        ...

    def sample_buckets(
        self, start_ms: int, end_ms: int, bucket_ms: int
    ) -> list[tuple[int, int, int, float | None]]:
        """Per probe, buckets of ``bucket_ms`` of raw samples, in order (worst -1: only
        unknown samples)."""
        ...

    def newest_flips(
        self, start_ms: int, end_ms: int, limit: int
    ) -> list[tuple[int, str, str, str | None, str]]:
        """The newest ``limit`` flips between two times, newest first: (at_ms, probe, check,
        previous, current)."""
        ...

    def refresh_rollup(self) -> int:
        """Bring the per-minute rollup of samples up to date (every reader of it calls this
        first); how many probe-minutes were recomputed."""
        ...

    def check_groups(self) -> list[str]:
        """The probe check groups that have probes, in the runbook's triage order first."""
        ...

    # --- retention and upkeep ------------------------------------------------------------------

    def prune_samples(self, spans: Sequence[tuple[int, int]], limit: int) -> int:
        """Delete about ``limit`` raw samples (whole minutes of one probe) inside the first of
        ``spans`` (ms, [start, end), minute-aligned) that has any, in one transaction; the
        per-minute rollup of what goes is made exact first and kept. How many went (0: none
        left in the spans)."""
        ...

    def table_stats(self) -> list[dict[str, Any]]:
        """Each table (indexes counted with it): ``name``, ``rows`` and ``bytes``, largest first."""
        ...

    def compact(self) -> tuple[int, int]:
        """Give free space back to the file system (SQLite: incremental vacuum); the database's
        size in bytes before and after."""
        ...
