"""Embedded SQLite backend (WAL mode, versioned migrations, SAVEPOINT nesting).

Opening for reading only uses SQLite's ``mode=ro`` URI, falling back to
``immutable=1`` when the folder is read-only and the WAL index cannot be made,
so a store on a read-only file or medium can still be read (docs/store.md).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import orjson

from paperradar.models import (
    CodeLink,
    DeliveryRecord,
    FeedbackEntry,
    LibraryItem,
    Listing,
    Paper,
    ProfileRecord,
    SeenEntry,
    Summary,
)
from paperradar.store.base import (
    GENERATION_KEY,
    VECTOR_GENERATION_KEY,
    DayCount,
    HistoryEntry,
    SavedTopic,
    StoreError,
    StoreNotFound,
    TopicIssue,
    VectorRow,
)

PAPER_COLUMNS = (
    "arxiv_id, version, title, authors, abstract, categories, primary_category, comment, "
    "journal_ref, doi, license, submitted, updated"
)
SUMMARY_COLUMNS = (
    "arxiv_id, source, model, language, tldr, motivation, method, result, conclusion, "
    "paper_version, prompt_version, created"
)


APPLIED = "paperradar_migrations"
VECTOR_UPSERT = ("INSERT INTO vectors (arxiv_id, space, digest, dim, data, generation) "
                 "VALUES (%s,%s,%s,%s,%s,%s) "
                 "ON CONFLICT (arxiv_id, space) DO UPDATE SET digest=excluded.digest, dim=excluded.dim, "
                 "data=excluded.data, generation=excluded.generation")
VECTORS_SINCE = ("SELECT arxiv_id, digest, dim, data, generation FROM vectors WHERE space=%s AND "
                 "(generation > %s OR (generation = %s AND arxiv_id > %s)) "
                 "ORDER BY generation, arxiv_id LIMIT %s")
PAPERS_SINCE = (f"SELECT {PAPER_COLUMNS}, generation FROM papers WHERE "
                "(generation > %s OR (generation = %s AND arxiv_id > %s)) "
                "ORDER BY generation, arxiv_id LIMIT %s")


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("paperradar.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


DELIVERY_COLUMNS = ("profile, date, kind, state, message_id, recipient, message, papers, reason, attempts, "
                    "created, updated, sent_at, error")


def delivery_to_row(r: DeliveryRecord) -> tuple:
    return (r.profile, r.date, r.kind, r.state, r.message_id, r.recipient, r.message,
            orjson.dumps(list(r.papers)).decode(), r.reason, r.attempts, r.created, r.updated, r.sent_at,
            r.error)


def row_to_delivery(row: Sequence) -> DeliveryRecord:
    return DeliveryRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(orjson.loads(row[7])),
                          row[8], int(row[9]), row[10], row[11], row[12], row[13])


def _json_list(items: tuple[str, ...]) -> str:
    return orjson.dumps(items).decode()


def paper_to_row(p: Paper) -> tuple:
    return (
        p.arxiv_id, p.version, p.title, _json_list(p.authors), p.abstract,
        _json_list(p.categories), p.primary_category, p.comment,
        p.journal_ref, p.doi, p.license, p.submitted, p.updated,
    )


def row_to_paper(row: Sequence) -> Paper:
    return Paper(
        arxiv_id=row[0], version=row[1], title=row[2], authors=tuple(orjson.loads(row[3])),
        abstract=row[4], categories=tuple(orjson.loads(row[5])), primary_category=row[6],
        comment=row[7], journal_ref=row[8], doi=row[9], license=row[10], submitted=row[11],
        updated=row[12],
    )


def paper_to_json(p: Paper) -> str:
    row = paper_to_row(p)
    names = [c.strip() for c in PAPER_COLUMNS.split(",")]
    data = dict(zip(names, row, strict=True))
    data["authors"] = list(p.authors)
    data["categories"] = list(p.categories)
    return json.dumps(data, ensure_ascii=False)


def json_to_paper(text: str) -> Paper:
    d = json.loads(text)
    d["authors"] = tuple(d["authors"])
    d["categories"] = tuple(d["categories"])
    return Paper(**d)


def chunks(items: Sequence, size: int = 500) -> Iterable[Sequence]:
    """Split id lists so that SQLite's limit on bound parameters is never hit."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _check_place(file: Path, create: bool) -> None:
    """Clear errors for a store path that cannot be one: a parent that is a file,
    the path itself a folder, or (``create=False``) no file there at all."""
    for parent in file.parents:
        if parent.exists():
            if not parent.is_dir():
                error = StoreError if create else StoreNotFound
                raise error(f"cannot open store {file}: {parent} is a file, not a folder")
            break
    if file.is_dir():
        raise StoreError(f"cannot open store {file}: it is a folder, not a store file")
    if not create and not file.exists():
        raise StoreNotFound(
            f"no store at {file}: check --db / $PAPERRADAR_DB, or make one with "
            "`paperradar ingest FILE` or `paperradar fetch`"
        )


def _why_not_writable(file: Path) -> str | None:
    """Why SQLite could not write the store at ``file`` (None: it can). Besides the
    file, WAL mode needs ``-wal`` and ``-shm`` files beside it (made on first use)."""
    folder = file.parent
    if file.exists():
        if not os.access(file, os.W_OK):
            return "the file is read-only"
        sidecars = [file.with_name(file.name + suffix) for suffix in ("-wal", "-shm")]
        if all(p.exists() and os.access(p, os.W_OK) for p in sidecars):
            return None
        if not os.access(folder, os.W_OK):
            return f"its folder {folder} is read-only (SQLite makes {file.name}-wal and -shm there)"
        return None
    existing = next((p for p in file.parents if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK):
        return f"the folder {existing} is read-only"
    return None


def _probe(conn: sqlite3.Connection) -> None:
    """Make SQLite really open the file: connecting alone reads nothing."""
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


class SQLiteStore:
    """SQLite implementation of :class:`paperradar.store.base.Store`.

    ``create=False`` opens an existing store only (:class:`StoreNotFound`
    otherwise). ``read_only=True`` (which implies ``create=False``) opens it
    with SQLite's ``mode=ro``, or ``immutable=1`` when even the ``-shm`` file
    cannot be made, so a store on a read-only file or folder can still be read;
    every write then raises :class:`StoreError`.
    """

    SCHEMA_VERSION = max(v for v, _ in _migrations())

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False) -> None:
        self.location = str(path)
        self.read_only = read_only
        self.immutable = False  # read through ``immutable=1``: changes made meanwhile are not seen
        self._depth = 0
        if self.location == ":memory:":
            if read_only or not create:
                raise StoreNotFound("an in-memory store (:memory:) starts empty: there is nothing to read; "
                                    "pass --db FILE")
            self.conn = self._connect(self.location)
        else:
            file = Path(self.location).expanduser()
            _check_place(file, create)
            self.conn = self._connect_read_only(file) if read_only else self._connect_writable(file)
        try:
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=10000")
            self.conn.execute("PRAGMA cache_size=-32000")  # 32 MB page cache: bulk ingest re-reads little
            self.conn.execute("PRAGMA temp_store=MEMORY")
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    # -- lifecycle ------------------------------------------------------------
    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        try:
            return sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.location}: {exc}") from exc

    def _connect_writable(self, file: Path) -> sqlite3.Connection:
        reason = _why_not_writable(file)
        if reason is not None:
            raise StoreError(f"cannot write to store {self.location}: {reason}; commands that only read "
                             "it (stats, digest, search, export) still work")
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of store {self.location}: "
                             f"{exc.strerror or exc}") from exc
        conn = self._connect(str(file))
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open store {self.location}: {exc}") from exc
        return conn

    def _connect_read_only(self, file: Path) -> sqlite3.Connection:
        """``mode=ro`` first; ``immutable=1`` when SQLite cannot open the WAL index
        (``-shm``) because the folder is read-only and the file is not there yet."""
        base = file.resolve().as_uri()
        conn = self._connect(f"{base}?mode=ro", uri=True)
        try:
            _probe(conn)
            return conn
        except sqlite3.Error as exc:
            conn.close()
            if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_CANTOPEN:
                raise StoreError(f"cannot open store {self.location}: {exc}") from exc
        conn = self._connect(f"{base}?mode=ro&immutable=1", uri=True)
        try:
            _probe(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open store {self.location}: {exc}") from exc
        self.immutable = True
        return conn

    def _migrate(self) -> None:
        """Apply every migration not applied yet, each in its own transaction.

        Applied numbers are recorded one by one (table ``paperradar_migrations``), so a
        migration that lands after a higher-numbered one (branches merged in another order)
        is still applied; ``PRAGMA user_version`` holds the highest, for older paperradars.
        A store without the table was written when versions were only counted: everything up
        to its ``user_version`` is applied.
        """
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        applied = self._applied(current)
        newer = [v for v in applied if v > self.SCHEMA_VERSION]
        if current > self.SCHEMA_VERSION or newer:
            raise StoreError(
                f"store {self.location} has schema version {max([current, *newer])}, newer than this "
                f"paperradar understands ({self.SCHEMA_VERSION}); upgrade paperradar"
            )
        missing = [(v, sql) for v, sql in _migrations() if v not in applied]
        if not missing:
            return
        if self.read_only:
            self._upgrade_then_reopen(current)
            return
        for version, sql in missing:  # numbers may have gaps, and a lower one may come late (a merge)
            with self.transaction():
                for statement in _split_sql(sql):
                    self.conn.execute(statement)
                applied.add(version)  # with those implied by an old store's user_version, read once above
                self.conn.execute(f"CREATE TABLE IF NOT EXISTS {APPLIED} (version INTEGER PRIMARY KEY)")
                self.conn.executemany(f"INSERT OR IGNORE INTO {APPLIED} (version) VALUES (?)",
                                      [(v,) for v in sorted(applied)])
                current = max(current, version)
                self.conn.execute(f"PRAGMA user_version={current}")

    def _applied(self, current: int) -> set[int]:
        """Migration numbers applied to this store: recorded in ``paperradar_migrations``; a store
        from before that table has every number up to its ``user_version``."""
        known = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name=?", (APPLIED,)).fetchone()
        if known:
            return {r[0] for r in self.conn.execute(f"SELECT version FROM {APPLIED}")}
        return {v for v, _ in _migrations() if v <= current}

    def _upgrade_then_reopen(self, current: int) -> None:
        """A store from an older paperradar, opened read-only: upgrade it through a
        writable connection when the file allows, then read the upgraded one."""
        file = Path(self.location).expanduser()
        reason = _why_not_writable(file)
        if reason is not None:
            raise StoreError(
                f"store {self.location} has schema version {current}, older than this paperradar's "
                f"({self.SCHEMA_VERSION}), and cannot be upgraded: {reason}"
            )
        SQLiteStore(file).close()
        self.conn.close()
        self.conn = self._connect_read_only(file)

    def close(self) -> None:
        self.conn.close()

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.location} was opened read-only; it cannot be written")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Nestable, all-or-nothing at every level.

        The outermost block is ``BEGIN IMMEDIATE`` ... ``COMMIT`` (taking the write
        lock up front, so a writer never fails half-way on a lock upgrade); an
        inner block is a ``SAVEPOINT``: on an exception it is rolled back to
        (``ROLLBACK TO`` + ``RELEASE``), undoing only its own writes, and the
        exception propagates. On success it is released into the outer block.
        """
        self._writable()
        depth = self._depth
        name = f"paperradar_{depth}"
        try:
            self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to store {self.location}: {exc}") from exc
        self._depth += 1
        try:
            yield
        except BaseException as exc:
            self._depth = depth
            if self.conn.in_transaction:
                if depth == 0:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
            elif depth > 0 and isinstance(exc, Exception):
                # SQLite itself rolled the whole transaction back (disk full, I/O error): the
                # outer blocks' writes are gone too, so the caller must not carry on with them.
                raise StoreError(f"store {self.location}: the whole transaction was rolled back "
                                 f"({exc})") from exc
            if isinstance(exc, sqlite3.Error):  # a refused write (disk full, I/O error): say which store
                raise StoreError(f"cannot write to store {self.location}: {exc}{_hint(exc)}") from exc
            raise
        self._depth = depth
        try:
            self.conn.execute("COMMIT" if depth == 0 else f"RELEASE {name}")
        except sqlite3.Error as exc:
            if depth == 0 and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"cannot write to store {self.location}: {exc}") from exc

    # -- papers ---------------------------------------------------------------
    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        out: dict[str, Paper] = {}
        for part in chunks(list(ids)):
            marks = ",".join("?" * len(part))
            for row in self.conn.execute(
                f"SELECT {PAPER_COLUMNS} FROM papers WHERE arxiv_id IN ({marks})", part
            ):
                out[row[0]] = row_to_paper(row)
        return out

    def insert_papers(self, papers: Sequence[Paper], now: str) -> None:
        self._writable()
        stamp = self._stamp()
        self.conn.executemany(
            f"INSERT INTO papers ({PAPER_COLUMNS}, first_seen, last_changed, generation) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*paper_to_row(p), now, now, stamp) for p in papers],
        )

    def replace_papers(self, changes: Sequence[tuple[Paper, Paper]], now: str) -> None:
        self._writable()
        stamp = self._stamp()
        self.conn.executemany(
            "INSERT INTO paper_history (arxiv_id, version, data, replaced_at) VALUES (?,?,?,?)",
            [(old.arxiv_id, old.version, paper_to_json(old), now) for old, _ in changes],
        )
        self.conn.executemany(
            "UPDATE papers SET version=?, title=?, authors=?, abstract=?, categories=?, "
            "primary_category=?, comment=?, journal_ref=?, doi=?, license=?, submitted=?, updated=?, "
            "last_changed=?, generation=? WHERE arxiv_id=?",
            [(*paper_to_row(new)[1:], now, stamp, new.arxiv_id) for _, new in changes],
        )

    def history(self, arxiv_id: str) -> list[HistoryEntry]:
        rows = self.conn.execute(
            "SELECT arxiv_id, version, data, replaced_at FROM paper_history WHERE arxiv_id=? "
            "ORDER BY rowid", (arxiv_id,),
        )
        return [HistoryEntry(r[0], r[1], json_to_paper(r[2]), r[3]) for r in rows]

    def iter_papers(self, batch: int = 1000) -> Iterator[Paper]:
        cursor = self.conn.execute(f"SELECT {PAPER_COLUMNS} FROM papers ORDER BY arxiv_id")
        while rows := cursor.fetchmany(batch):
            yield from (row_to_paper(r) for r in rows)

    def count_papers(self) -> int:
        return self.conn.execute("SELECT count(*) FROM papers").fetchone()[0]

    def _stamp(self) -> int:
        """The generation a paper written now is stamped with (migration 0006): the one ingest
        commits when it bumps :data:`GENERATION_KEY` at the end of its transaction."""
        return int(self.get_meta(GENERATION_KEY) or 0) + 1

    # -- listings -------------------------------------------------------------
    def add_listings(self, listings: Sequence[Listing]) -> int:
        self._writable()
        with self.transaction():
            last = self.conn.execute("SELECT max(rowid) FROM listings").fetchone()[0] or 0
            before = self.conn.total_changes
            self.conn.executemany(
                "INSERT OR IGNORE INTO listings (date, category, arxiv_id, position, announce_type) "
                "VALUES (?,?,?,?,?)",
                [(x.date, x.category, x.arxiv_id, x.position, x.announce_type) for x in listings],
            )
            added = self.conn.total_changes - before
            if added:  # a paper's last listing date is part of the search index: stamp it as changed
                stamp = self._stamp()  # new rows get rowids above the largest before
                self.conn.execute("UPDATE papers SET generation=? WHERE generation<? AND arxiv_id IN "
                                  "(SELECT arxiv_id FROM listings WHERE rowid>?)", (stamp, stamp, last))
        return added

    def listings_on(self, date: str) -> list[Listing]:
        rows = self.conn.execute(
            "SELECT arxiv_id, date, category, position, announce_type FROM listings "
            "WHERE date=? ORDER BY position, category", (date,),
        )
        return [Listing(*r) for r in rows]

    def listing_dates(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT date FROM listings ORDER BY date")]

    def day_counts(self) -> list[DayCount]:
        rows = self.conn.execute(
            "SELECT date, category, count(*) FROM listings GROUP BY date, category ORDER BY date, category"
        )
        return [DayCount(*r) for r in rows]

    def first_listed(self, ids: Sequence[str]) -> dict[str, str]:
        return self._listed(ids, "min")

    def last_listed(self, ids: Sequence[str]) -> dict[str, str]:
        return self._listed(ids, "max")

    def _listed(self, ids: Sequence[str], agg: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in chunks(list(ids)):
            marks = ",".join("?" * len(part))
            out.update(self.conn.execute(
                f"SELECT arxiv_id, {agg}(date) FROM listings WHERE arxiv_id IN ({marks}) "
                "GROUP BY arxiv_id", part
            ).fetchall())
        return out

    # -- summaries ------------------------------------------------------------
    def upsert_summaries(self, summaries: Sequence[Summary], replace: bool = True) -> int:
        self._writable()
        before = self.conn.total_changes
        insert = f"INSERT INTO summaries ({SUMMARY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        self.conn.executemany(
            insert + ("ON CONFLICT DO NOTHING" if not replace else
                      "ON CONFLICT (arxiv_id, source, model, language, prompt_version) DO UPDATE SET "
            "tldr=excluded.tldr, motivation=excluded.motivation, method=excluded.method, "
            "result=excluded.result, conclusion=excluded.conclusion, "
            "paper_version=excluded.paper_version, created=excluded.created "
            "WHERE (tldr, motivation, method, result, conclusion, paper_version) IS NOT "
            "(excluded.tldr, excluded.motivation, excluded.method, excluded.result, "
            "excluded.conclusion, excluded.paper_version)"),
            [(s.arxiv_id, s.source, s.model, s.language, s.tldr, s.motivation, s.method, s.result,
              s.conclusion, s.paper_version, s.prompt_version, s.created) for s in summaries],
        )
        return self.conn.total_changes - before

    def summaries_for(self, ids: Sequence[str], language: str | None = None) -> dict[str, list[Summary]]:
        out: dict[str, list[Summary]] = {}
        for part in chunks(list(ids)):
            marks = ",".join("?" * len(part))
            sql = f"SELECT {SUMMARY_COLUMNS} FROM summaries WHERE arxiv_id IN ({marks})"
            params: list = list(part)
            if language is not None:
                sql += " AND lower(language)=lower(?)"
                params.append(language)
            for r in self.conn.execute(sql + " ORDER BY created DESC", params):
                out.setdefault(r[0], []).append(Summary(*r))
        return out

    # -- code links -----------------------------------------------------------
    def upsert_code_links(self, links: Sequence[CodeLink]) -> int:
        self._writable()
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT INTO code_links (arxiv_id, url, stars, last_update) VALUES (?,?,?,?) "
            "ON CONFLICT (arxiv_id) DO UPDATE SET url=excluded.url, "
            "stars=coalesce(excluded.stars, code_links.stars), "
            "last_update=coalesce(excluded.last_update, code_links.last_update) "
            "WHERE (url, stars, last_update) IS NOT "
            "(excluded.url, coalesce(excluded.stars, code_links.stars),"
            " coalesce(excluded.last_update, code_links.last_update))",
            [(c.arxiv_id, c.url, c.stars, c.last_update) for c in links],
        )
        return self.conn.total_changes - before

    def code_links_for(self, ids: Sequence[str]) -> dict[str, CodeLink]:
        out: dict[str, CodeLink] = {}
        for part in chunks(list(ids)):
            marks = ",".join("?" * len(part))
            for r in self.conn.execute(
                f"SELECT arxiv_id, url, stars, last_update FROM code_links WHERE arxiv_id IN ({marks})", part
            ):
                out[r[0]] = CodeLink(*r)
        return out

    # -- meta -----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self._writable()
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    # -- change detection -------------------------------------------------------
    def data_version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])


    # -- reader profiles (migration 0003) ---------------------------------------
    def put_profile(self, profile: ProfileRecord) -> None:
        self._writable()
        self.conn.execute(
            "INSERT INTO profiles (name, settings, created, updated) VALUES (?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET settings=excluded.settings, updated=excluded.updated",
            (profile.name, orjson.dumps(profile.settings).decode(), profile.created, profile.updated),
        )

    def get_profile(self, name: str) -> ProfileRecord | None:
        row = self.conn.execute("SELECT name, settings, created, updated FROM profiles WHERE name=?",
                                (name,)).fetchone()
        return None if row is None else ProfileRecord(row[0], orjson.loads(row[1]), row[2], row[3])

    def list_profiles(self) -> list[ProfileRecord]:
        rows = self.conn.execute("SELECT name, settings, created, updated FROM profiles ORDER BY name")
        return [ProfileRecord(r[0], orjson.loads(r[1]), r[2], r[3]) for r in rows]

    def delete_profile(self, name: str) -> bool:
        self._writable()
        before = self.conn.total_changes
        self.conn.execute("DELETE FROM profiles WHERE name=?", (name,))
        return self.conn.total_changes > before

    def add_library_items(self, profile: str, items: Sequence[LibraryItem]) -> int:
        self._writable()
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT INTO profile_items (profile, key, arxiv_id, doi, title, abstract, authors, date, source, "
            "added) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (profile, key) DO UPDATE SET "
            "arxiv_id=excluded.arxiv_id, doi=excluded.doi, title=excluded.title, abstract=excluded.abstract, "
            "authors=excluded.authors, date=excluded.date, source=excluded.source "
            "WHERE (arxiv_id, doi, title, abstract, authors, date, source) IS NOT "
            "(excluded.arxiv_id, excluded.doi, excluded.title, excluded.abstract, excluded.authors, "
            "excluded.date, excluded.source)",
            [(profile, i.key, i.arxiv_id, i.doi, i.title, i.abstract, _json_list(i.authors), i.date,
              i.source, i.added or "") for i in items],
        )
        return self.conn.total_changes - before

    def library_items(self, profile: str) -> list[LibraryItem]:
        rows = self.conn.execute(
            "SELECT key, title, abstract, authors, arxiv_id, doi, date, source, added FROM profile_items "
            "WHERE profile=? ORDER BY rowid", (profile,))
        return [LibraryItem(r[0], r[1], r[2], tuple(orjson.loads(r[3])), r[4], r[5], r[6], r[7], r[8])
                for r in rows]

    def add_feedback(self, entries: Sequence[FeedbackEntry]) -> None:
        self._writable()
        self.conn.executemany(
            "INSERT INTO profile_feedback (profile, arxiv_id, verdict, at) VALUES (?,?,?,?) "
            "ON CONFLICT (profile, arxiv_id) DO UPDATE SET verdict=excluded.verdict, at=excluded.at",
            [(e.profile, e.arxiv_id, e.verdict, e.at) for e in entries],
        )

    def feedback_for(self, profile: str) -> list[FeedbackEntry]:
        rows = self.conn.execute(
            "SELECT profile, arxiv_id, verdict, at FROM profile_feedback WHERE profile=? "
            "ORDER BY at, arxiv_id",
            (profile,))
        return [FeedbackEntry(*r) for r in rows]

    def mark_seen(self, entries: Sequence[SeenEntry]) -> None:
        self._writable()
        self.conn.executemany(
            "INSERT INTO profile_seen (profile, arxiv_id, version, abstract_hash, shown_at) "
            "VALUES (?,?,?,?,?) "
            "ON CONFLICT (profile, arxiv_id) DO UPDATE SET version=excluded.version, "
            "abstract_hash=excluded.abstract_hash, shown_at=excluded.shown_at",
            [(e.profile, e.arxiv_id, e.version, e.abstract_hash, e.shown_at) for e in entries],
        )

    def seen_for(self, profile: str, ids: Sequence[str]) -> dict[str, SeenEntry]:
        out: dict[str, SeenEntry] = {}
        for part in chunks(list(ids)):
            marks = ",".join("?" * len(part))
            for r in self.conn.execute(
                "SELECT profile, arxiv_id, version, abstract_hash, shown_at FROM profile_seen "
                f"WHERE profile=? AND arxiv_id IN ({marks})", [profile, *part]
            ):
                out[r[1]] = SeenEntry(*r)
        return out

    # -- saved topics (migration 0002) ------------------------------------------
    def add_topic(self, topic: SavedTopic) -> None:
        self._writable()
        with self.transaction():
            self.conn.execute(
                "INSERT INTO topics (name, query, categories, every, created) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET query=excluded.query, categories=excluded.categories, "
                "every=excluded.every",
                (topic.name, topic.query, json.dumps(list(topic.categories)), topic.every, topic.created))

    def get_topic(self, name: str) -> SavedTopic | None:
        row = self.conn.execute("SELECT name, query, categories, every, created FROM topics WHERE name=?",
                                (name,)).fetchone()
        return None if row is None else SavedTopic(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4])

    def list_topics(self) -> list[SavedTopic]:
        rows = self.conn.execute("SELECT name, query, categories, every, created FROM topics ORDER BY name")
        return [SavedTopic(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4]) for r in rows]

    def remove_topic(self, name: str) -> bool:
        self._writable()
        with self.transaction():
            self.conn.execute("DELETE FROM topic_issues WHERE name=?", (name,))
            return self.conn.execute("DELETE FROM topics WHERE name=?", (name,)).rowcount > 0

    def record_topic_issue(self, issue: TopicIssue) -> None:
        self._writable()
        with self.transaction():
            self.conn.execute(
                "INSERT INTO topic_issues (name, until, since, papers, title, created, ids) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name, until) DO UPDATE SET since=excluded.since, papers=excluded.papers, "
                "title=excluded.title, created=excluded.created, ids=excluded.ids",
                (issue.name, issue.until, issue.since, issue.papers, issue.title, issue.created,
                 json.dumps(list(issue.ids))))

    def topic_issues(self, name: str) -> list[TopicIssue]:
        rows = self.conn.execute("SELECT name, since, until, papers, title, created, ids FROM topic_issues "
                                 "WHERE name=? ORDER BY until DESC", (name,))
        return [TopicIssue(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6]))) for r in rows]
    # -- vectors --------------------------------------------------------------
    def put_vectors(self, space: str, dim: int, rows: Sequence[tuple[str, str, bytes]]) -> int:
        self._writable()
        with self.transaction():
            generation = int(self.get_meta(VECTOR_GENERATION_KEY) or 0) + 1
            self.set_meta(VECTOR_GENERATION_KEY, str(generation))
            self.conn.executemany(VECTOR_UPSERT.replace("%s", "?"),
                                  [(a, space, d, dim, bytes(b), generation) for a, d, b in rows])
        return generation

    def vectors_since(self, space: str, after: int = 0, batch: int = 5000) -> Iterator[VectorRow]:
        params: tuple = (space, after, -1, "")
        while True:
            rows = self.conn.execute(VECTORS_SINCE.replace("%s", "?"), (*params, batch)).fetchall()
            yield from (VectorRow(r[0], r[1], r[2], bytes(r[3]), r[4]) for r in rows)
            if len(rows) < batch:
                return
            params = (space, rows[-1][4], rows[-1][4], rows[-1][0])

    # -- deliveries (paperradar.deliver; migration 0005) -------------------------
    def put_delivery(self, record: DeliveryRecord) -> None:
        self._writable()
        self.conn.execute(
            f"INSERT INTO deliveries ({DELIVERY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (profile, date) DO UPDATE SET kind=excluded.kind, state=excluded.state, "
            "message_id=excluded.message_id, recipient=excluded.recipient, message=excluded.message, "
            "papers=excluded.papers, reason=excluded.reason, attempts=excluded.attempts, "
            "updated=excluded.updated, sent_at=excluded.sent_at, error=excluded.error",
            delivery_to_row(record),
        )

    def get_delivery(self, profile: str, date: str) -> DeliveryRecord | None:
        row = self.conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE profile=? AND date=?",
                                (profile, date)).fetchone()
        return row_to_delivery(row) if row else None

    def deliveries(self, profile: str, limit: int = 30) -> list[DeliveryRecord]:
        rows = self.conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE profile=? "
                                 "ORDER BY date DESC LIMIT ?", (profile, limit))
        return [row_to_delivery(r) for r in rows]

    # -- papers changed since a generation (the search index's catch-up; migration 0006) ------
    def papers_changed_since(self, generation: int, batch: int = 1000) -> Iterator[Paper]:
        params: tuple = (generation, -1, "")
        while True:
            rows = self.conn.execute(PAPERS_SINCE.replace("%s", "?"), (*params, batch)).fetchall()
            yield from (row_to_paper(r) for r in rows)
            if len(rows) < batch:
                return
            params = (rows[-1][-1], rows[-1][-1], rows[-1][0])

    def listing_date_before(self, date: str) -> str | None:
        return self.conn.execute("SELECT max(date) FROM listings WHERE date < ?", (date,)).fetchone()[0]


def _hint(exc: sqlite3.Error) -> str:
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return ("; the unfinished transaction was rolled back and what was stored before is intact: "
                "free some space and rerun")
    return ""


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements so it can run inside our own transaction
    (``executescript`` would commit implicitly)."""
    statements, buf = [], []
    for line in script.splitlines():
        stripped = line.split("--", 1)[0].rstrip()
        buf.append(stripped)
        if stripped.endswith(";"):
            text = "\n".join(buf).strip()
            if text.strip(";").strip():
                statements.append(text)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        statements.append(tail)
    return statements
