"""The PostgreSQL backend: team mode, one database several cockpits share (psycopg 3).

    url.py         a postgresql:// location: checked (no password), sslmode, for libpq
    connection.py  connecting, parameters redacted, psycopg's errors turned into ours
    locks.py       advisory lock keys
    schema.py      the tables, migrations by name, refusal of a database not ours
    timeline.py    incidents and their hash-chained timelines (appends serialised per incident)
    notify.py      live team mode: appends NOTIFY, a Watcher thread LISTENs
    search.py      full-text search with SQLite's word rules
    samples.py     probes, samples, flips
    rollup.py      the per-minute rollup of samples, exact through a view
    reviews.py     close and review records, action items, lessons, maintenance, credits
    backend.py     PostgresStore: the store protocol on all of the above

Importing this package loads no psycopg: ``url.py`` is what the command line needs to check
``--db``; ``open_store`` imports the backend only for a URL.
"""
