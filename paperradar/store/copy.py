"""Copy a whole store from one backend to another (SQLite -> PostgreSQL and back).

``paperradar store copy --from A --to B`` is how an existing user moves over.
It copies every table in key order, a chunk at a time; each chunk and a progress
mark (meta ``store.copy.TABLE``) land in one transaction of the target, so an
interrupted copy resumes after the last chunk that landed and a rerun of a
finished copy copies nothing. At the end the two stores are compared table by
table: row counts and a SHA-256 over every row in key order, which must match.

The target must be empty, or a copy in progress of the same source. The copy
reads tables directly (not through the Store protocol, which has no "all
listings"); :data:`TABLES` lists them, and a table it does not know (added by a
newer migration) stops the copy instead of being left behind.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from paperradar.store.base import Store, StoreError
from paperradar.store.sqlite import SQLiteStore

PROGRESS = "store.copy."  # meta keys of a copy in progress; never copied, never checksummed
SOURCE_KEY = PROGRESS + "source"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # unique, ordered the same way by both backends; () = insertion order


TABLES = (
    Table("papers", ("arxiv_id", "version", "title", "authors", "abstract", "categories", "primary_category",
                     "comment", "journal_ref", "doi", "license", "submitted", "updated", "first_seen",
                     "last_changed", "generation"), ("arxiv_id",)),
    Table("paper_history", ("arxiv_id", "version", "data", "replaced_at"), ()),
    Table("listings", ("date", "category", "arxiv_id", "position", "announce_type"),
          ("date", "category", "arxiv_id")),
    Table("summaries", ("arxiv_id", "source", "model", "language", "prompt_version", "paper_version", "tldr",
                        "motivation", "method", "result", "conclusion", "created"),
          ("arxiv_id", "source", "model", "language", "prompt_version")),
    Table("code_links", ("arxiv_id", "url", "stars", "last_update"), ("arxiv_id",)),
    Table("meta", ("key", "value"), ("key",)),
    # saved topics (migration 0002); topics first, issues refer to them
    Table("topics", ("name", "query", "categories", "every", "created"), ("name",)),
    Table("topic_issues", ("name", "until", "since", "papers", "title", "created", "ids"), ("name", "until")),
    # reader profiles (migration 0003); profiles first, the others refer to them
    Table("profiles", ("name", "settings", "created", "updated"), ("name",)),
    Table("profile_items", ("profile", "key", "arxiv_id", "doi", "title", "abstract", "authors", "date",
                            "source", "added"), ()),
    Table("profile_feedback", ("profile", "arxiv_id", "verdict", "at"), ("profile", "arxiv_id")),
    Table("profile_seen", ("profile", "arxiv_id", "version", "abstract_hash", "shown_at"),
          ("profile", "arxiv_id")),
    Table("vectors", ("arxiv_id", "space", "digest", "dim", "data", "generation"), ("arxiv_id", "space")),
    # deliveries (migration 0005)
    Table("deliveries", ("profile", "date", "kind", "state", "message_id", "recipient", "message", "papers",
                         "reason", "attempts", "created", "updated", "sent_at", "error"),
          ("profile", "date")),
)
BOOKKEEPING = {"paperradar_migrations", "paperradar_work"}  # schema record; worker queue (not copied)


class Raw:
    """Plain SQL on either backend's connection (``?`` placeholders)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sqlite = isinstance(store, SQLiteStore)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        if self.sqlite:
            try:
                return self.store.conn.execute(sql, params).fetchall()  # type: ignore[attr-defined]
            except sqlite3.Error as exc:
                raise StoreError(f"store {self.store.location}: {exc}") from exc
        return self.store._rows(sql.replace("?", "%s"), params)  # type: ignore[attr-defined]

    def write(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.sqlite:
            self.store._writable()  # type: ignore[attr-defined]
            self.store.conn.executemany(sql, rows)  # type: ignore[attr-defined]
        else:
            self.store._write(sql.replace("?", "%s"), rows)  # type: ignore[attr-defined]

    def tables(self) -> set[str]:
        if self.sqlite:
            found = self.rows("SELECT name FROM sqlite_master "
                              "WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        else:
            found = self.rows("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = current_schema()")
        return {r[0] for r in found}

    def order(self, table: Table) -> str:
        if table.key:
            return ", ".join(table.key)
        return "rowid" if self.sqlite else "id"


def iter_rows(store: Store, table: Table, chunk: int = 5000, skip: int = 0,
              after: Sequence[Any] | None = None) -> Iterator[list[tuple]]:
    """The table's rows in key order, a chunk at a time: keyset pagination after the key ``after``,
    or for a keyless table (history, in insertion order) from row ``skip``. Copy marks are left out."""
    db = Raw(store)
    cols = ", ".join(table.columns)
    offset = skip
    while True:
        conditions: list[str] = []
        params: list[Any] = []
        if table.name == "meta":
            conditions.append("key NOT LIKE ?")
            params.append(PROGRESS + "%")
        if table.key and after is not None:
            keys = ", ".join(table.key)
            marks = ", ".join("?" * len(table.key))
            conditions.append(f"{keys} > {marks}" if len(table.key) == 1 else f"({keys}) > ({marks})")
            params.extend(after)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        limit = f" LIMIT {int(chunk)}" + ("" if table.key else f" OFFSET {int(offset)}")
        rows = db.rows(f"SELECT {cols} FROM {table.name}{where} ORDER BY {db.order(table)}{limit}", params)
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        offset += len(rows)
        if table.key:
            after = tuple(rows[-1][table.columns.index(k)] for k in table.key)


def table_rows(store: Store, name: str, drop: Sequence[str] = ()) -> list[tuple]:
    """Every row of one table in key order (without the ``drop`` columns): for comparing stores in tests."""
    table = next(t for t in TABLES if t.name == name)
    keep = [i for i, c in enumerate(table.columns) if c not in drop]
    return [tuple(r[i] for i in keep) for rows in iter_rows(store, table) for r in rows]


@dataclass
class TableReport:
    name: str
    copied: int = 0
    source_rows: int = 0
    target_rows: int = 0
    source_sha256: str = ""
    target_sha256: str = ""

    @property
    def matches(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sha256 == self.target_sha256


@dataclass
class CopyReport:
    source: str
    target: str
    tables: list[TableReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.matches for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "verified": self.ok,
                "tables": {t.name: {"copied": t.copied, "rows": t.target_rows, "source_rows": t.source_rows,
                                    "sha256": t.target_sha256, "matches": t.matches} for t in self.tables}}


def checksum(store: Store, table: Table) -> tuple[int, str]:
    """(rows, SHA-256 of every row in key order): equal across backends for equal content."""
    digest, count = hashlib.sha256(), 0
    for rows in iter_rows(store, table):
        for row in rows:
            digest.update(orjson.dumps([v.hex() if isinstance(v, bytes | memoryview) else v for v in row]))
            digest.update(b"\n")
            count += 1
    return count, digest.hexdigest()


def _check_tables(source: Store, target: Store) -> None:
    known = {t.name for t in TABLES} | BOOKKEEPING
    for store in (source, target):
        unknown = Raw(store).tables() - known
        if unknown:
            raise StoreError(f"store {store.location} has tables this copy does not know: "
                             f"{', '.join(sorted(unknown))} (paperradar.store.copy.TABLES needs them)")


def _check_target(source: Store, target: Store) -> None:
    began = target.get_meta(SOURCE_KEY)
    if began is not None:
        if began != source.location:
            raise StoreError(f"target {target.location} holds a copy of {began}, not of {source.location}")
        return
    if target.count_papers() or target.listing_dates() or any(
            not k.startswith(PROGRESS) for (k,) in Raw(target).rows("SELECT key FROM meta")):
        raise StoreError(f"target {target.location} is not empty: copy into a new, empty store")


def copy_store(source: Store, target: Store, chunk: int = 5000,
               progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy everything from ``source`` into ``target`` (resumable), then verify; see the module doc."""
    if source.location == target.location:
        raise StoreError("--from and --to are the same store")
    _check_tables(source, target)
    _check_target(source, target)
    with target.transaction():
        target.set_meta(SOURCE_KEY, source.location)
    report = CopyReport(source.location, target.location)
    raw = Raw(target)
    for table in TABLES:
        entry = TableReport(table.name)
        report.tables.append(entry)
        mark = target.get_meta(PROGRESS + table.name)
        done = orjson.loads(mark) if mark else None
        if done is not None and done.get("finished"):
            continue
        skip = int(done["rows"]) if done else 0
        after = tuple(done["after"]) if done and done.get("after") is not None else None
        placeholders = ", ".join("?" * len(table.columns))
        insert = f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({placeholders})"
        if table.key:
            insert += f" ON CONFLICT ({', '.join(table.key)}) DO NOTHING"
        rows_done = skip
        for rows in iter_rows(source, table, chunk=chunk, skip=skip, after=after):
            rows_done += len(rows)
            last = [rows[-1][table.columns.index(k)] for k in table.key] if table.key else None
            with target.transaction():
                raw.write(insert, rows)
                mark = orjson.dumps({"rows": rows_done, "after": last}).decode()
                target.set_meta(PROGRESS + table.name, mark)
            entry.copied += len(rows)
            if progress is not None:
                progress(table.name, rows_done)
        with target.transaction():
            target.set_meta(PROGRESS + table.name, orjson.dumps({"rows": rows_done, "after": None,
                                                                "finished": True}).decode())
    for table, entry in zip(TABLES, report.tables, strict=True):
        entry.source_rows, entry.source_sha256 = checksum(source, table)
        entry.target_rows, entry.target_sha256 = checksum(target, table)
    return report
