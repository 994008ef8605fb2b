"""Storage: one narrow interface (:class:`Store`), an embedded SQLite backend by default."""

from __future__ import annotations

from pathlib import Path

from paperradar import config
from paperradar.store.base import Store
from paperradar.store.sqlite import SQLiteStore, StoreError

DEFAULT_DB = config.DEFAULT_DB
ENV_DB = config.BY_KEY["db"].env


def default_location() -> str:
    """``$PAPERRADAR_DB``, else ``db`` in the config file, else
    ``~/.local/share/paperradar/paperradar.db``."""
    chosen = config.get("db")
    return chosen if "://" in chosen else str(Path(chosen).expanduser())


def open_store(location: str | None = None) -> Store:
    """Open (creating and migrating if needed) the store at ``location``.

    A ``postgresql://`` URL is reserved for the PostgreSQL backend; anything
    else is a SQLite file path.
    """
    location = location or default_location()
    if location.startswith(("postgres://", "postgresql://")):
        raise StoreError("the PostgreSQL backend is not available in this version; use a SQLite file path")
    return SQLiteStore(Path(location).expanduser() if location != ":memory:" else location)


__all__ = ["Store", "SQLiteStore", "StoreError", "open_store", "default_location", "DEFAULT_DB", "ENV_DB"]
