import sqlite3
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from stratus_commander import store as store_module
from stratus_commander.errors import StoreError
from stratus_commander.store import SampleRow, SqliteStore, open_store
from stratus_commander.store.sqlite.migrations import migrations


def test_new_file_gets_wal_full_sync_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "incidents.db"
    with open_store(path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert {"incidents", "events", "samples", "probes", "flips", "events_fts"} <= set(
            sqlite_utils.Database(store.conn).table_names()
        )
    # Re-opening applies nothing new and keeps data.
    with open_store(path) as store:
        assert [m.name for m in migrations.applied(sqlite_utils.Database(store.conn))] == [
            m.name for m in migrations._migrations
        ]


def test_the_store_knows_every_migration_by_name() -> None:
    # It decides without sqlite-utils whether the schema is current: the names must agree.
    assert tuple(m.name for m in migrations._migrations) == store_module.MIGRATIONS
    assert migrations.name == store_module.MIGRATION_SET
    assert Migrations.migrations_table == store_module.MIGRATIONS_TABLE


def test_an_up_to_date_database_opens_without_sqlite_utils(tmp_path: Path) -> None:
    open_store(tmp_path / "incidents.db").close()  # created: migrated
    code = (
        "import sys; from stratus_commander.store import open_store; "
        f"open_store({str(tmp_path / 'incidents.db')!r}).close(); "
        "print('sqlite_utils' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # start-up does not pay for it


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"hello, this is my shopping list\n" * 20, "not an SQLite database"),
        (b"SQLite format 3\x00" + b"\x00" * 20, "truncated"),
    ],
)
def test_garbage_files_are_refused_and_left_byte_identical(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=message) as info:
        open_store(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == content
    assert not (tmp_path / "garbage.db-wal").exists()


def test_truncated_real_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    with open_store(path) as store:
        store.add_samples(
            SampleRow("api", "http", "api", i * 1000, "up", 12.0) for i in range(5000)
        )
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    cut = data[: len(data) // 2]
    path.write_bytes(cut)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    with pytest.raises(StoreError, match="truncated"):
        open_store(path)
    assert path.read_bytes() == cut


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another application"):
        open_store(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    with open_store(path) as store:
        sqlite_utils.Database(store.conn)["_sqlite_migrations"].insert(
            {
                "migration_set": "stratus_commander",
                "name": "m999_from_the_future",
                "applied_at": "2030-01-01",
            }
        )
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer Stratus Commander"):
        open_store(path)
    assert path.read_bytes() == before


def test_refusing_a_newer_schema_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    with open_store(path) as store:
        store.conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('stratus_commander', 'm999_from_the_future', '2030-01-01')"
        )
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert list(before) == ["incidents.db"]
    for open_it in (open_store, partial(open_store, readonly=True)):
        with pytest.raises(StoreError, match="newer Stratus Commander"):
            open_it(path)
        # No -wal or -shm either: the app that wrote it finds its folder as it left it.
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        open_store(tmp_path)


def test_samples_batch_and_first_failure_evidence() -> None:
    store = SqliteStore.memory()
    rows = [SampleRow("api", "http", "api", 1000 + i, "up", 5.0) for i in range(100)]
    assert store.add_samples(rows) == 100
    store.add_samples([SampleRow("api", "http", "api", 2000, "down", None, "HTTP 503")])
    store.add_flip("api", "http", "api", 1500, "up", "degraded", "slow")
    store.add_flip("api", "http", "api", 2500, "degraded", "down", "HTTP 503")
    count = store.conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    assert count == 101
    first = store.first_failure_since(0)
    assert first is not None
    assert (first["at_ms"], first["current"], first["probe"]) == (1500, "degraded", "api")
    assert store.first_failure_since(2000)["current"] == "down"  # type: ignore[index]


def test_nested_writes_commit_or_vanish_together() -> None:
    store = SqliteStore.memory()
    heard: list[str] = []
    with pytest.raises(RuntimeError), store.write() as conn:
        conn.execute("INSERT INTO probes (name, kind, \"check\") VALUES ('a', 'http', 'api')")
        with store.write() as inner:
            inner.execute("INSERT INTO probes (name, kind, \"check\") VALUES ('b', 'http', 'api')")
        store.after_commit(lambda: heard.append("committed"))
        raise RuntimeError("the event append failed")
    assert store.query("SELECT name FROM probes") == []
    assert heard == []
    with store.write() as conn:
        with pytest.raises(RuntimeError), store.write() as inner:
            inner.execute("INSERT INTO probes (name, kind, \"check\") VALUES ('c', 'http', 'api')")
            raise RuntimeError("inner part refused")
        conn.execute("INSERT INTO probes (name, kind, \"check\") VALUES ('d', 'http', 'api')")
        store.after_commit(lambda: heard.append("committed"))
    assert [r["name"] for r in store.query("SELECT name FROM probes")] == ["d"]
    assert heard == ["committed"]
