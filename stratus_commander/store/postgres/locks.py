"""Advisory lock keys of the PostgreSQL backend (two-int form: our class, then what is locked).

Advisory locks are per database and held to the end of the transaction that took them
(``pg_advisory_xact_lock``). Appends to an incident are not serialised by one of these but by a
row lock on the incident itself (``SELECT ... FOR NO KEY UPDATE``, see ``timeline.py``): it also
orders them with every other change of that row.
"""

from __future__ import annotations

LOCK_CLASS = 0x53434D44  # "SCMD"
MIGRATE_LOCK = 1  # one process brings the schema up to date at a time
ROLLUP_LOCK = 2  # one process stores the dirty minutes of the rollup at a time
