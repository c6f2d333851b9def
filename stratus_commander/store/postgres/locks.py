"""Advisory lock keys of the PostgreSQL backend (two-int form: our class, then what is locked).

Advisory locks are per database and held to the end of the transaction that took them
(``pg_advisory_xact_lock``). Appends to an incident are not serialised by one of these but by a
row lock on the incident itself (``SELECT ... FOR NO KEY UPDATE``, see ``timeline.py``): it also
orders them with every other change of that row. A new incident's number is taken under
``INCIDENT_ID_LOCK`` (``timeline.py``: the next after the highest, in the declaring transaction).
"""

from __future__ import annotations

LOCK_CLASS = 0x53434D44  # "SCMD"
MIGRATE_LOCK = 1  # one process brings the schema up to date at a time
ROLLUP_LOCK = 2  # one process stores the dirty minutes of the rollup at a time
INCIDENT_ID_LOCK = 3  # one declaring transaction numbers a new incident at a time
