"""Storage: one narrow interface (:class:`Store`), an embedded SQLite backend by default."""

from __future__ import annotations

from pathlib import Path

from paperradar import config
from paperradar.store.base import GENERATION_KEY, Store, StoreError, StoreNotFound
from paperradar.store.sqlite import SQLiteStore

DEFAULT_DB = config.DEFAULT_DB
ENV_DB = config.BY_KEY["db"].env


def default_location() -> str:
    """``$PAPERRADAR_DB``, else ``db`` in the config file, else
    ``~/.local/share/paperradar/paperradar.db``."""
    chosen = config.get("db")
    return chosen if "://" in chosen else str(Path(chosen).expanduser())


def open_store(location: str | None = None, *, create: bool = True, read_only: bool = False) -> Store:
    """Open the store at ``location`` (default :func:`default_location`).

    By default a missing store is created and an old one migrated. With
    ``create=False`` a missing store raises :class:`StoreNotFound` instead;
    ``read_only=True`` implies that and opens the store for reading only
    (it works on a read-only file or folder; every write raises
    :class:`StoreError`). Commands that only read use ``read_only=True``, so a
    mistyped path is reported instead of silently becoming an empty store.

    A ``postgresql://`` (or ``postgres://``) URL opens the PostgreSQL backend
    (:mod:`paperradar.store.postgres`, imported only then); anything else is a
    SQLite file path.
    """
    location = location or default_location()
    if location.startswith(("postgres://", "postgresql://")):
        try:
            from paperradar.store.postgres import PostgresStore
        except ImportError as exc:
            raise StoreError(f"the PostgreSQL backend needs psycopg 3 and psycopg-pool ({exc}): "
                             "pip install 'paperradar[postgresql]'") from None
        return PostgresStore(location, create=create and not read_only, read_only=read_only)
    path = Path(location).expanduser() if location != ":memory:" else location
    return SQLiteStore(path, create=create and not read_only, read_only=read_only)


__all__ = ["Store", "SQLiteStore", "StoreError", "StoreNotFound", "GENERATION_KEY", "open_store",
           "default_location", "DEFAULT_DB", "ENV_DB"]
