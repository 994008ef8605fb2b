"""Embedded SQLite backend (WAL mode, versioned migrations)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import orjson

from paperradar.errors import StoreError
from paperradar.models import CodeLink, Listing, Paper, Summary
from paperradar.store.base import DayCount, HistoryEntry, chunks

PAPER_COLUMNS = (
    "arxiv_id, version, title, authors, abstract, categories, primary_category, comment, "
    "journal_ref, doi, license, submitted, updated"
)
SUMMARY_COLUMNS = (
    "arxiv_id, source, model, language, tldr, motivation, method, result, conclusion, "
    "paper_version, prompt_version, created"
)


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("paperradar.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


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


class SQLiteStore:
    """SQLite implementation of :class:`paperradar.store.base.Store`."""

    SCHEMA_VERSION = max(v for v, _ in _migrations())

    def __init__(self, path: str | Path) -> None:
        self.location = str(path)
        if self.location != ":memory:":
            Path(self.location).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.location, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {self.location}: {exc}") from exc
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.conn.execute("PRAGMA cache_size=-32000")  # 32 MB page cache: bulk ingest re-reads little
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self._depth = 0
        self._migrate()

    # -- lifecycle ------------------------------------------------------------
    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > self.SCHEMA_VERSION:
            raise StoreError(
                f"store {self.location} has schema version {current}, newer than this "
                f"paperradar understands ({self.SCHEMA_VERSION}); upgrade paperradar"
            )
        for version, sql in _migrations():
            if version <= current:
                continue
            with self.transaction():
                for statement in _split_sql(sql):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={version}")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Nestable: only the outermost block commits or rolls back."""
        if self._depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.conn.execute("COMMIT")

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
        self.conn.executemany(
            f"INSERT INTO papers ({PAPER_COLUMNS}, first_seen, last_changed) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*paper_to_row(p), now, now) for p in papers],
        )

    def replace_papers(self, changes: Sequence[tuple[Paper, Paper]], now: str) -> None:
        self.conn.executemany(
            "INSERT INTO paper_history (arxiv_id, version, data, replaced_at) VALUES (?,?,?,?)",
            [(old.arxiv_id, old.version, paper_to_json(old), now) for old, _ in changes],
        )
        self.conn.executemany(
            "UPDATE papers SET version=?, title=?, authors=?, abstract=?, categories=?, "
            "primary_category=?, comment=?, journal_ref=?, doi=?, license=?, submitted=?, updated=?, "
            "last_changed=? WHERE arxiv_id=?",
            [(*paper_to_row(new)[1:], now, new.arxiv_id) for _, new in changes],
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

    # -- listings -------------------------------------------------------------
    def add_listings(self, listings: Sequence[Listing]) -> int:
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT OR IGNORE INTO listings (date, category, arxiv_id, position, announce_type) "
            "VALUES (?,?,?,?,?)",
            [(x.date, x.category, x.arxiv_id, x.position, x.announce_type) for x in listings],
        )
        return self.conn.total_changes - before

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

    def next_position(self, date: str) -> int:
        row = self.conn.execute("SELECT max(position) FROM listings WHERE date=?", (date,)).fetchone()
        return 0 if row[0] is None else row[0] + 1

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
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, value),
        )


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
