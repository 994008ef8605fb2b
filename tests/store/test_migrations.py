"""Migrations are recorded one by one, so one merged in after a higher-numbered one still runs."""

from __future__ import annotations

import sqlite3

from paperradar.store import sqlite as sqlite_backend
from paperradar.store.sqlite import SQLiteStore


def test_a_late_lower_numbered_migration_is_still_applied(tmp_path, monkeypatch) -> None:
    real = sqlite_backend._migrations()
    db = tmp_path / "s.db"
    top = max(v for v, _ in real)
    late = top + 1
    later = top + 2
    # a store made by a build that had `later` but not yet `late`
    monkeypatch.setattr(sqlite_backend, "_migrations",
                        lambda: [*real, (later, "CREATE TABLE later_t (x INTEGER);")])
    monkeypatch.setattr(SQLiteStore, "SCHEMA_VERSION", later)
    SQLiteStore(db).close()
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == later
    # the next build has both: the late one must run, the others must not run twice
    monkeypatch.setattr(sqlite_backend, "_migrations",
                        lambda: [*real, (late, "CREATE TABLE late_t (x INTEGER);"),
                                 (later, "CREATE TABLE later_t (x INTEGER);")])
    SQLiteStore(db).close()
    SQLiteStore(db).close()
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied = [r[0] for r in con.execute("SELECT version FROM paperradar_migrations ORDER BY version")]
        assert {"late_t", "later_t"} <= tables
        assert applied == sorted({v for v, _ in real} | {late, later})
        assert con.execute("PRAGMA user_version").fetchone()[0] == later


def test_a_store_from_before_the_record_counts_by_user_version(tmp_path) -> None:
    db = tmp_path / "old.db"
    SQLiteStore(db).close()
    with sqlite3.connect(db) as con:  # what an older paperradar left: no record table
        con.execute("DROP TABLE paperradar_migrations")
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA user_version=1")  # as if only 0001 had been applied
        for table in [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]:
            if table not in ("papers", "paper_history", "listings", "summaries", "code_links", "meta"):
                con.execute(f"DROP TABLE {table}")
        con.execute("DROP INDEX papers_generation")  # 0006 adds a column to papers: undo it too
        con.execute("ALTER TABLE papers DROP COLUMN generation")
    for _ in range(2):  # must not re-run 0001 (it would fail on existing tables), now or next time
        store = SQLiteStore(db)
        assert store.count_papers() == 0 and store.list_topics() == []
        store.close()
