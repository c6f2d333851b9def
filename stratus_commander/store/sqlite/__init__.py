"""The SQLite backend: one local file, the default and the solo commander's whole database."""

from stratus_commander.store.sqlite.backend import SqliteStore

__all__ = ["SqliteStore"]
