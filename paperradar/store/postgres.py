"""PostgreSQL backend: one database that several processes and machines share.

The same :class:`~paperradar.store.base.Store` contract as the SQLite backend,
kept the same way (docs/store.md, "PostgreSQL"):

- **Connections** come from a psycopg 3 pool (``psycopg_pool``), in autocommit
  mode; a transaction holds one of them, per thread, until its outermost block
  ends, so a web server's threads can share one store object.
- **Transactions** nest as in SQLite: the outermost block is ``BEGIN`` plus a
  transaction-scoped advisory lock (so writers are serialised, as SQLite's
  ``BEGIN IMMEDIATE`` serialises them, and ingest's read-then-decide stays
  right with several ingests running), inner blocks are ``SAVEPOINT``\\ s. Every
  write method runs in its own block, so a refused statement undoes only
  itself, as in SQLite, instead of aborting the whole transaction.
- **Read-only opening** sets ``default_transaction_read_only`` on every
  connection, so the server itself refuses writes; the write methods refuse
  first with :class:`StoreError`.
- **Migrations**: the numbered files of ``migrations/``, each replaced by the
  file of the same number in ``migrations_pg/`` where SQL differs, applied under
  an advisory lock (several workers may start at once) and recorded in
  ``paperradar_migrations``.
- **Errors** (unreachable server, bad URL, no such database, a lost
  connection) are :class:`StoreError` with the server's reason and the URL with
  its password replaced by ``***``.

psycopg is imported here only, and this module only when a ``postgresql://``
URL is opened, so SQLite users never load it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from importlib import resources
from typing import Any

import orjson
import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql as pg_sql
from psycopg_pool import ConnectionPool, PoolTimeout

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
from paperradar.store.sqlite import (
    DELIVERY_COLUMNS,
    PAPER_COLUMNS,
    PAPERS_SINCE,
    SUMMARY_COLUMNS,
    VECTOR_UPSERT,
    VECTORS_SINCE,
    _json_list,
    _split_sql,
    delivery_to_row,
    json_to_paper,
    paper_to_json,
    paper_to_row,
    row_to_delivery,
    row_to_paper,
)

# psycopg and its pool log what they do about a lost connection as warnings; without a handler
# Python prints those on stderr beside our one-line error. An application that configures
# logging still gets them.
logging.getLogger("psycopg").addHandler(logging.NullHandler())

SCHEMES = ("postgresql://", "postgres://")
LISTINGS_INSERT = (
    "WITH new AS (INSERT INTO listings (date, category, arxiv_id, position, announce_type) "
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::text[]) "
    "ON CONFLICT DO NOTHING RETURNING arxiv_id), "
    "stamped AS (UPDATE papers SET generation=%s WHERE generation < %s "
    "AND arxiv_id IN (SELECT arxiv_id FROM new) RETURNING 1) "
    "SELECT count(*) FROM new")
CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise (connect_timeout=N)
POOL_SIZE = 4
POOL_TIMEOUT = 30.0  # seconds to wait for a free connection
# transaction-scoped advisory locks, one pair per store (schema): migrations, and the write lock
MIGRATE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('paperradar.migrate.' || current_schema()))"
WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('paperradar.write.' || current_schema()))"


def redact(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and ``store.location``."""
    url = re.sub(r"^([a-z]+://[^/?#@:]*):[^/?#@]*@", r"\1:***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of the PostgreSQL history: the shared ``migrations/`` files,
    each overridden by the file of the same number in ``migrations_pg/`` when there is one."""
    found: dict[int, tuple[str, str]] = {}
    for folder in ("migrations", "migrations_pg"):
        for entry in (resources.files("paperradar.store") / folder).iterdir():
            if entry.name.endswith(".sql"):
                found[int(entry.name.split("_", 1)[0])] = (entry.name, entry.read_text(encoding="utf-8"))
    return [(number, name, sql) for number, (name, sql) in sorted(found.items())]


SCHEMA_VERSION = max(number for number, _, _ in migrations())


class PostgresStore:
    """PostgreSQL implementation of :class:`paperradar.store.base.Store`.

    ``url`` is a libpq URL (``postgresql://user@host:port/dbname?...``). The
    database must exist (a DBA creates it; paperradar creates its tables). With
    ``create=False`` or ``read_only=True`` a database without paperradar's tables
    raises :class:`StoreNotFound`. A ``search_path`` given in the URL's
    ``options`` puts the store in that schema (created when missing and
    ``create`` is true), so one database can hold several stores.
    """

    SCHEMA_VERSION = SCHEMA_VERSION

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False,
                 pool_size: int = POOL_SIZE) -> None:
        self.location = redact(url)
        self.read_only = read_only
        self._local = threading.local()
        self._kwargs = self._connection_kwargs(url)
        self._url = url
        first = self._connect()
        try:
            self._prepare(first, create=create and not read_only)
        finally:
            first.close()
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, kwargs=self._kwargs,
                                    open=True, name="paperradar", timeout=POOL_TIMEOUT)

    # -- lifecycle ------------------------------------------------------------
    def _connection_kwargs(self, url: str) -> dict[str, Any]:
        try:
            given = pg_conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open store {self.location}: not a valid PostgreSQL URL "
                             f"({self._reason(exc)})") from exc
        kwargs: dict[str, Any] = {"autocommit": True, "application_name": given.get("application_name")
                                  or "paperradar"}
        if "connect_timeout" not in given:
            kwargs["connect_timeout"] = CONNECT_TIMEOUT
        if self.read_only:
            kwargs["options"] = f"{given.get('options') or ''} -c default_transaction_read_only=on".strip()
        return kwargs

    def _reason(self, exc: BaseException) -> str:
        """The server's or libpq's words, on one line, without a password."""
        text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
        secret = self._password()
        if secret:
            text = text.replace(secret, "***")
        return redact(text)

    def _password(self) -> str | None:
        try:
            return pg_conninfo.conninfo_to_dict(getattr(self, "_url", "")).get("password")  # type: ignore[return-value]
        except psycopg.Error:
            return None

    def _connect(self, *, writable: bool = False) -> psycopg.Connection:
        kwargs = dict(self._kwargs)
        if writable:
            kwargs.pop("options", None)
        try:
            return psycopg.connect(self._url, **kwargs)
        except psycopg.Error as exc:
            reason = self._reason(exc)
            missing = re.search(r'database "([^"]+)" does not exist', reason)
            if missing:
                error = StoreNotFound if self.read_only else StoreError
                raise error(f"no database {missing.group(1)!r} at {self.location}: create it first "
                            f"(createdb {missing.group(1)}); paperradar makes its tables, not the "
                            "database") from None
            raise StoreError(f"cannot open store {self.location}: {reason}") from None

    def _prepare(self, conn: psycopg.Connection, *, create: bool) -> None:
        """Find (or make) the schema, then apply missing migrations, or refuse a newer store."""
        try:
            schema = conn.execute("SELECT current_schema()").fetchone()
            if schema is None or schema[0] is None:
                if not create:
                    raise StoreNotFound(f"no store at {self.location}: the schema in its search_path "
                                        "does not exist")
                path = conn.execute("SHOW search_path").fetchone()
                first = (path[0] if path else "").split(",")[0].strip().strip('"')
                if not first or first.startswith("$"):
                    raise StoreError(f"cannot open store {self.location}: no schema to put it in "
                                     f"(search_path {path[0] if path else ''!r})")
                conn.execute(pg_sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pg_sql.Identifier(first)))
            current = self._schema_version(conn)
            if current is None and not create:
                raise StoreNotFound(
                    f"no store at {self.location}: the database has no paperradar tables; check --db / "
                    "$PAPERRADAR_DB, or make them with a writing command (`paperradar ingest FILE`)")
            current = current or 0
            if current > SCHEMA_VERSION:
                raise StoreError(f"store {self.location} has schema version {current}, newer than this "
                                 f"paperradar understands ({SCHEMA_VERSION}); upgrade paperradar")
            if current == SCHEMA_VERSION and not self._missing(conn):
                return
            if self.read_only:  # an older store, opened read-only: upgrade it through a writable connection
                writer = self._connect(writable=True)
                try:
                    self._migrate(writer)
                except StoreError as exc:
                    raise StoreError(
                        f"store {self.location} has schema version {current}, older than this paperradar's "
                        f"({SCHEMA_VERSION}), and cannot be upgraded: {exc}") from None
                finally:
                    writer.close()
            else:
                self._migrate(conn)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open store {self.location}: {self._reason(exc)}") from None

    @staticmethod
    def _schema_version(conn: psycopg.Connection) -> int | None:
        row = conn.execute("SELECT to_regclass('paperradar_migrations') IS NOT NULL").fetchone()
        if not row or not row[0]:
            return None
        found = conn.execute("SELECT max(version) FROM paperradar_migrations").fetchone()
        return int(found[0]) if found and found[0] is not None else 0

    @staticmethod
    def _missing(conn: psycopg.Connection) -> bool:
        applied = {r[0] for r in conn.execute("SELECT version FROM paperradar_migrations")}
        return any(number not in applied for number, _, _ in migrations())

    def _migrate(self, conn: psycopg.Connection) -> None:
        """Apply the missing migrations, one transaction each, under a lock so that
        several workers starting at once do not race."""
        try:
            with conn.transaction():
                conn.execute(MIGRATE_LOCK)
                conn.execute("CREATE TABLE IF NOT EXISTS paperradar_migrations (version integer PRIMARY KEY, "
                             "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
                applied = {r[0] for r in conn.execute("SELECT version FROM paperradar_migrations")}
                for number, name, sql in migrations():  # gaps, and a lower number arriving late, are fine
                    if number in applied:
                        continue
                    with conn.transaction():
                        for statement in _split_sql(sql):
                            conn.execute(statement.encode())
                        conn.execute("INSERT INTO paperradar_migrations (version, name) VALUES (%s, %s)",
                                     (number, name))
        except psycopg.Error as exc:
            raise StoreError(f"cannot migrate store {self.location}: {self._reason(exc)}") from None

    def close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.location} was opened read-only; it cannot be written")

    def _lost(self, exc: BaseException) -> StoreError:
        return StoreError(f"store {self.location}: {self._reason(exc)}")

    def _write_failed(self, conn: psycopg.Connection, exc: BaseException) -> StoreError:
        if conn.closed:
            return self._gone(exc)
        return StoreError(f"cannot write to store {self.location}: {self._reason(exc)}")

    def _gone(self, exc: BaseException) -> StoreError:
        """The server went away mid-transaction (stopped, restarted, network cut)."""
        if isinstance(exc, StoreError) and "lost its connection" in str(exc):
            return exc
        reason = str(exc) if isinstance(exc, StoreError) else self._reason(exc)
        return StoreError(f"store {self.location} lost its connection to the database server "
                          f"({reason.rsplit(': ', 1)[-1]}); the unfinished transaction was rolled back, "
                          "nothing of it was stored: rerun once the server is reachable")

    # -- connections and transactions -----------------------------------------
    def _getconn(self) -> psycopg.Connection:
        try:
            return self._pool.getconn()
        except PoolTimeout as exc:
            raise StoreError(f"store {self.location}: no connection to the server within "
                             f"{POOL_TIMEOUT:.0f} s (is it running and reachable?)") from exc

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        """The thread's transaction connection, else one borrowed from the pool."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        conn = self._getconn()
        try:
            yield conn
        finally:
            self._pool.putconn(conn)

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with self._conn() as conn:
            try:
                cursor = conn.execute(sql.encode(), params)
                return cursor.fetchall() if cursor.description is not None else []
            except psycopg.Error as exc:
                raise (self._gone(exc) if conn.closed else self._lost(exc)) from exc

    def _write(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement for every row, in a block of its own; rows affected."""
        self._writable()
        if not rows:
            return 0
        with self.transaction():
            conn = self._local.conn
            try:
                with conn.cursor() as cursor:
                    cursor.executemany(sql.encode(), rows)
                    return max(cursor.rowcount, 0)
            except psycopg.Error as exc:
                if conn.closed:
                    raise self._gone(exc) from exc
                raise StoreError(f"store {self.location} refused a write: {self._reason(exc)}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Nestable, all-or-nothing at every level (as :meth:`SQLiteStore.transaction`).

        The outermost block is ``BEGIN`` plus ``pg_advisory_xact_lock`` (the write
        lock, taken up front) ... ``COMMIT``; an inner block is a ``SAVEPOINT``,
        rolled back to on an exception (which propagates) and released otherwise.
        """
        self._writable()
        local = self._local
        depth = getattr(local, "depth", 0)
        name = f"paperradar_{depth}"
        if depth == 0:
            conn = self._getconn()
            try:
                conn.execute("BEGIN")
                conn.execute(WRITE_LOCK)
            except psycopg.Error as exc:
                self._release(conn, rollback=True)
                raise self._write_failed(conn, exc) from exc
            local.conn = conn
        else:
            conn = local.conn
            try:
                conn.execute(f"SAVEPOINT {name}")
            except psycopg.Error as exc:
                raise self._write_failed(conn, exc) from exc
        local.depth = depth + 1
        try:
            yield
        except BaseException as exc:
            local.depth = depth
            try:
                if depth == 0:
                    conn.execute("ROLLBACK")
                else:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
            except psycopg.Error as undo:
                if depth > 0 and isinstance(exc, Exception):
                    # the connection is gone, and the outer blocks' writes with it
                    if conn.closed:
                        raise self._gone(exc) from exc
                    raise StoreError(f"store {self.location}: the whole transaction was rolled back "
                                     f"({self._reason(undo)})") from exc
            finally:
                if depth == 0:
                    self._release(conn)
            raise
        local.depth = depth
        try:
            conn.execute("COMMIT" if depth == 0 else f"RELEASE SAVEPOINT {name}")
        except psycopg.Error as exc:
            if depth == 0:
                self._release(conn, rollback=True)
            raise self._write_failed(conn, exc) from exc
        if depth == 0:
            self._release(conn)

    def _release(self, conn: psycopg.Connection, rollback: bool = False) -> None:
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        if rollback and not conn.closed:
            with suppress(psycopg.Error):
                conn.execute("ROLLBACK")
        self._pool.putconn(conn)

    # -- papers ---------------------------------------------------------------
    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        if not ids:
            return {}
        rows = self._rows(f"SELECT {PAPER_COLUMNS} FROM papers WHERE arxiv_id = ANY(%s)", (list(ids),))
        return {row[0]: row_to_paper(row) for row in rows}

    def insert_papers(self, papers: Sequence[Paper], now: str) -> None:
        self._writable()
        if not papers:
            return
        with self.transaction():
            stamp = self._stamp()
            self._write(f"INSERT INTO papers ({PAPER_COLUMNS}, first_seen, last_changed, generation) "
                        "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                        [(*paper_to_row(p), now, now, stamp) for p in papers])

    def replace_papers(self, changes: Sequence[tuple[Paper, Paper]], now: str) -> None:
        self._writable()
        if not changes:
            return
        with self.transaction():
            stamp = self._stamp()
            self._write("INSERT INTO paper_history (arxiv_id, version, data, replaced_at) "
                        "VALUES (%s,%s,%s,%s)",
                        [(old.arxiv_id, old.version, paper_to_json(old), now) for old, _ in changes])
            self._write(
                "UPDATE papers SET version=%s, title=%s, authors=%s, abstract=%s, categories=%s, "
                "primary_category=%s, comment=%s, journal_ref=%s, doi=%s, license=%s, submitted=%s, "
                "updated=%s, last_changed=%s, generation=%s WHERE arxiv_id=%s",
                [(*paper_to_row(new)[1:], now, stamp, new.arxiv_id) for _, new in changes],
            )

    def history(self, arxiv_id: str) -> list[HistoryEntry]:
        rows = self._rows("SELECT arxiv_id, version, data, replaced_at FROM paper_history WHERE arxiv_id=%s "
                          "ORDER BY id", (arxiv_id,))
        return [HistoryEntry(r[0], r[1], json_to_paper(r[2]), r[3]) for r in rows]

    def iter_papers(self, batch: int = 1000) -> Iterator[Paper]:
        """Ordered by id, a page at a time (keyset pagination: no connection is held between pages)."""
        last = ""
        while True:
            rows = self._rows(f"SELECT {PAPER_COLUMNS} FROM papers WHERE arxiv_id > %s ORDER BY arxiv_id "
                              "LIMIT %s", (last, batch))
            yield from (row_to_paper(r) for r in rows)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def count_papers(self) -> int:
        return int(self._rows("SELECT count(*) FROM papers")[0][0])

    def _stamp(self) -> int:
        """The generation a paper written now is stamped with (migration 0006): the one ingest
        commits when it bumps :data:`GENERATION_KEY` at the end of its transaction. The counter's
        row is locked until this transaction ends, so two writers cannot stamp the same number and
        commit in the other order (an index reading between them would miss the later one)."""
        self._rows("INSERT INTO meta (key, value) VALUES (%s, '0') ON CONFLICT (key) DO NOTHING",
                   (GENERATION_KEY,))
        rows = self._rows("SELECT value FROM meta WHERE key=%s FOR UPDATE", (GENERATION_KEY,))
        return int(rows[0][0] or 0) + 1

    # -- listings -------------------------------------------------------------
    def add_listings(self, listings: Sequence[Listing]) -> int:
        self._writable()
        if not listings:
            return 0
        with self.transaction():  # one statement: the new rows, and their papers stamped as changed
            stamp = self._stamp()
            columns = [[x.date for x in listings], [x.category for x in listings],
                       [x.arxiv_id for x in listings], [x.position for x in listings],
                       [x.announce_type for x in listings]]
            rows = self._rows(LISTINGS_INSERT, (*columns, stamp, stamp))
        return int(rows[0][0])

    def listings_on(self, date: str) -> list[Listing]:
        rows = self._rows("SELECT arxiv_id, date, category, position, announce_type FROM listings "
                          "WHERE date=%s ORDER BY position, category", (date,))
        return [Listing(*r) for r in rows]

    def listing_dates(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT date FROM listings ORDER BY date")]

    def day_counts(self) -> list[DayCount]:
        rows = self._rows("SELECT date, category, count(*) FROM listings GROUP BY date, category "
                          "ORDER BY date, category")
        return [DayCount(r[0], r[1], int(r[2])) for r in rows]

    def first_listed(self, ids: Sequence[str]) -> dict[str, str]:
        return self._listed(ids, "min")

    def last_listed(self, ids: Sequence[str]) -> dict[str, str]:
        return self._listed(ids, "max")

    def _listed(self, ids: Sequence[str], agg: str) -> dict[str, str]:
        if not ids:
            return {}
        rows = self._rows(f"SELECT arxiv_id, {agg}(date) FROM listings WHERE arxiv_id = ANY(%s) "
                          "GROUP BY arxiv_id", (list(ids),))
        return dict(rows)

    # -- summaries ------------------------------------------------------------
    def upsert_summaries(self, summaries: Sequence[Summary], replace: bool = True) -> int:
        insert = f"INSERT INTO summaries ({SUMMARY_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
        conflict = ("ON CONFLICT DO NOTHING" if not replace else
                    "ON CONFLICT (arxiv_id, source, model, language, prompt_version) DO UPDATE SET "
                    "tldr=excluded.tldr, motivation=excluded.motivation, method=excluded.method, "
                    "result=excluded.result, conclusion=excluded.conclusion, "
                    "paper_version=excluded.paper_version, created=excluded.created "
                    "WHERE (summaries.tldr, summaries.motivation, summaries.method, summaries.result, "
                    "summaries.conclusion, summaries.paper_version) IS DISTINCT FROM "
                    "(excluded.tldr, excluded.motivation, excluded.method, excluded.result, "
                    "excluded.conclusion, excluded.paper_version)")
        return self._write(insert + conflict, [
            (s.arxiv_id, s.source, s.model, s.language, s.tldr, s.motivation, s.method, s.result,
             s.conclusion, s.paper_version, s.prompt_version, s.created) for s in summaries])

    def summaries_for(self, ids: Sequence[str], language: str | None = None) -> dict[str, list[Summary]]:
        if not ids:
            return {}
        sql = f"SELECT {SUMMARY_COLUMNS} FROM summaries WHERE arxiv_id = ANY(%s)"
        params: list[Any] = [list(ids)]
        if language is not None:
            sql += " AND lower(language)=lower(%s)"
            params.append(language)
        out: dict[str, list[Summary]] = {}
        for r in self._rows(sql + " ORDER BY created DESC", params):
            out.setdefault(r[0], []).append(Summary(*r))
        return out

    # -- code links -----------------------------------------------------------
    def upsert_code_links(self, links: Sequence[CodeLink]) -> int:
        return self._write(
            "INSERT INTO code_links (arxiv_id, url, stars, last_update) VALUES (%s,%s,%s,%s) "
            "ON CONFLICT (arxiv_id) DO UPDATE SET url=excluded.url, "
            "stars=coalesce(excluded.stars, code_links.stars), "
            "last_update=coalesce(excluded.last_update, code_links.last_update) "
            "WHERE (code_links.url, code_links.stars, code_links.last_update) IS DISTINCT FROM "
            "(excluded.url, coalesce(excluded.stars, code_links.stars),"
            " coalesce(excluded.last_update, code_links.last_update))",
            [(c.arxiv_id, c.url, c.stars, c.last_update) for c in links],
        )

    def code_links_for(self, ids: Sequence[str]) -> dict[str, CodeLink]:
        if not ids:
            return {}
        rows = self._rows("SELECT arxiv_id, url, stars, last_update FROM code_links WHERE arxiv_id = ANY(%s)",
                          (list(ids),))
        return {r[0]: CodeLink(*r) for r in rows}

    # -- meta -----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key=%s", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT INTO meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value=excluded.value", [(key, value)])

    # -- change detection -----------------------------------------------------
    def data_version(self) -> int:
        """Changes whenever a write transaction has committed since the last call: the
        server's current snapshot (xmin, xmax, in-progress ids) moves exactly then. Writes in
        other databases of the cluster move it too; a reader then merely rebuilds a cache."""
        rows = self._rows("SELECT pg_current_snapshot()::text")
        return zlib.crc32(rows[0][0].encode())

    # -- reader profiles (migration 0003) ---------------------------------------
    def put_profile(self, profile: ProfileRecord) -> None:
        self._write(
            "INSERT INTO profiles (name, settings, created, updated) VALUES (%s,%s,%s,%s) "
            "ON CONFLICT (name) DO UPDATE SET settings=excluded.settings, updated=excluded.updated",
            [(profile.name, orjson.dumps(profile.settings).decode(), profile.created, profile.updated)],
        )

    def get_profile(self, name: str) -> ProfileRecord | None:
        rows = self._rows("SELECT name, settings, created, updated FROM profiles WHERE name=%s", (name,))
        return ProfileRecord(rows[0][0], orjson.loads(rows[0][1]), rows[0][2], rows[0][3]) if rows else None

    def list_profiles(self) -> list[ProfileRecord]:
        rows = self._rows("SELECT name, settings, created, updated FROM profiles ORDER BY name")
        return [ProfileRecord(r[0], orjson.loads(r[1]), r[2], r[3]) for r in rows]

    def delete_profile(self, name: str) -> bool:
        return self._write("DELETE FROM profiles WHERE name=%s", [(name,)]) > 0

    def add_library_items(self, profile: str, items: Sequence[LibraryItem]) -> int:
        return self._write(
            "INSERT INTO profile_items (profile, key, arxiv_id, doi, title, abstract, authors, date, source, "
            "added) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (profile, key) DO UPDATE SET "
            "arxiv_id=excluded.arxiv_id, doi=excluded.doi, title=excluded.title, abstract=excluded.abstract, "
            "authors=excluded.authors, date=excluded.date, source=excluded.source "
            "WHERE (profile_items.arxiv_id, profile_items.doi, profile_items.title, profile_items.abstract, "
            "profile_items.authors, profile_items.date, profile_items.source) IS DISTINCT FROM "
            "(excluded.arxiv_id, excluded.doi, excluded.title, excluded.abstract, excluded.authors, "
            "excluded.date, excluded.source)",
            [(profile, i.key, i.arxiv_id, i.doi, i.title, i.abstract, _json_list(i.authors), i.date,
              i.source, i.added or "") for i in items],
        )

    def library_items(self, profile: str) -> list[LibraryItem]:
        rows = self._rows(
            "SELECT key, title, abstract, authors, arxiv_id, doi, date, source, added FROM profile_items "
            "WHERE profile=%s ORDER BY id", (profile,))
        return [LibraryItem(r[0], r[1], r[2], tuple(orjson.loads(r[3])), r[4], r[5], r[6], r[7], r[8])
                for r in rows]

    def add_feedback(self, entries: Sequence[FeedbackEntry]) -> None:
        self._write(
            "INSERT INTO profile_feedback (profile, arxiv_id, verdict, at) VALUES (%s,%s,%s,%s) "
            "ON CONFLICT (profile, arxiv_id) DO UPDATE SET verdict=excluded.verdict, at=excluded.at",
            [(e.profile, e.arxiv_id, e.verdict, e.at) for e in entries],
        )

    def feedback_for(self, profile: str) -> list[FeedbackEntry]:
        rows = self._rows("SELECT profile, arxiv_id, verdict, at FROM profile_feedback WHERE profile=%s "
                          "ORDER BY at, arxiv_id", (profile,))
        return [FeedbackEntry(*r) for r in rows]

    def mark_seen(self, entries: Sequence[SeenEntry]) -> None:
        self._write(
            "INSERT INTO profile_seen (profile, arxiv_id, version, abstract_hash, shown_at) "
            "VALUES (%s,%s,%s,%s,%s) "
            "ON CONFLICT (profile, arxiv_id) DO UPDATE SET version=excluded.version, "
            "abstract_hash=excluded.abstract_hash, shown_at=excluded.shown_at",
            [(e.profile, e.arxiv_id, e.version, e.abstract_hash, e.shown_at) for e in entries],
        )

    def seen_for(self, profile: str, ids: Sequence[str]) -> dict[str, SeenEntry]:
        if not ids:
            return {}
        rows = self._rows("SELECT profile, arxiv_id, version, abstract_hash, shown_at FROM profile_seen "
                          "WHERE profile=%s AND arxiv_id = ANY(%s)", (profile, list(ids)))
        return {r[1]: SeenEntry(*r) for r in rows}

    # -- saved topics (migration 0002) ------------------------------------------
    def add_topic(self, topic: SavedTopic) -> None:
        self._write(
            "INSERT INTO topics (name, query, categories, every, created) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET query=excluded.query, categories=excluded.categories, "
            "every=excluded.every",
            [(topic.name, topic.query, json.dumps(list(topic.categories)), topic.every, topic.created)])

    def get_topic(self, name: str) -> SavedTopic | None:
        rows = self._rows("SELECT name, query, categories, every, created FROM topics WHERE name=%s", (name,))
        return SavedTopic(rows[0][0], rows[0][1], tuple(json.loads(rows[0][2])), rows[0][3], rows[0][4]) \
            if rows else None

    def list_topics(self) -> list[SavedTopic]:
        rows = self._rows("SELECT name, query, categories, every, created FROM topics ORDER BY name")
        return [SavedTopic(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4]) for r in rows]

    def remove_topic(self, name: str) -> bool:
        with self.transaction():
            self._write("DELETE FROM topic_issues WHERE name=%s", [(name,)])
            return self._write("DELETE FROM topics WHERE name=%s", [(name,)]) > 0

    def record_topic_issue(self, issue: TopicIssue) -> None:
        self._write(
            "INSERT INTO topic_issues (name, until, since, papers, title, created, ids) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (name, until) DO UPDATE SET since=excluded.since, papers=excluded.papers, "
            "title=excluded.title, created=excluded.created, ids=excluded.ids",
            [(issue.name, issue.until, issue.since, issue.papers, issue.title, issue.created,
              json.dumps(list(issue.ids)))])

    def topic_issues(self, name: str) -> list[TopicIssue]:
        rows = self._rows("SELECT name, since, until, papers, title, created, ids FROM topic_issues "
                          "WHERE name=%s ORDER BY until DESC", (name,))
        return [TopicIssue(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6]))) for r in rows]
    # -- vectors --------------------------------------------------------------
    def put_vectors(self, space: str, dim: int, rows: Sequence[tuple[str, str, bytes]]) -> int:
        self._writable()
        with self.transaction():  # the write lock serialises generations across workers
            generation = int(self.get_meta(VECTOR_GENERATION_KEY) or 0) + 1
            self.set_meta(VECTOR_GENERATION_KEY, str(generation))
            self._write(VECTOR_UPSERT, [(a, space, d, dim, bytes(b), generation) for a, d, b in rows])
        return generation

    def vectors_since(self, space: str, after: int = 0, batch: int = 5000) -> Iterator[VectorRow]:
        params: tuple = (space, after, -1, "")
        while True:
            rows = self._rows(VECTORS_SINCE, (*params, batch))
            yield from (VectorRow(r[0], r[1], r[2], bytes(r[3]), int(r[4])) for r in rows)
            if len(rows) < batch:
                return
            params = (space, rows[-1][4], rows[-1][4], rows[-1][0])

    # -- deliveries (paperradar.deliver; migration 0005) -------------------------
    def put_delivery(self, record: DeliveryRecord) -> None:
        self._write(
            f"INSERT INTO deliveries ({DELIVERY_COLUMNS}) VALUES ({','.join(['%s'] * 14)}) "
            "ON CONFLICT (profile, date) DO UPDATE SET kind=excluded.kind, state=excluded.state, "
            "message_id=excluded.message_id, recipient=excluded.recipient, message=excluded.message, "
            "papers=excluded.papers, reason=excluded.reason, attempts=excluded.attempts, "
            "updated=excluded.updated, sent_at=excluded.sent_at, error=excluded.error",
            [delivery_to_row(record)],
        )

    def get_delivery(self, profile: str, date: str) -> DeliveryRecord | None:
        rows = self._rows(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE profile=%s AND date=%s",
                          (profile, date))
        return row_to_delivery(rows[0]) if rows else None

    def deliveries(self, profile: str, limit: int = 30) -> list[DeliveryRecord]:
        rows = self._rows(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE profile=%s "
                          "ORDER BY date DESC LIMIT %s", (profile, limit))
        return [row_to_delivery(r) for r in rows]

    # -- papers changed since a generation (the search index's catch-up; migration 0006) ------
    def papers_changed_since(self, generation: int, batch: int = 1000) -> Iterator[Paper]:
        params: tuple = (generation, -1, "")
        while True:
            rows = self._rows(PAPERS_SINCE, (*params, batch))
            yield from (row_to_paper(r) for r in rows)
            if len(rows) < batch:
                return
            params = (int(rows[-1][-1]), int(rows[-1][-1]), rows[-1][0])

    def listing_date_before(self, date: str) -> str | None:
        rows = self._rows("SELECT max(date) FROM listings WHERE date < %s", (date,))
        return rows[0][0] if rows else None
