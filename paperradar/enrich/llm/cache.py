"""Response cache: a validated answer is never paid for twice.

Kept in its own SQLite file (by default ``llm-cache.sqlite`` in the data
folder, see :func:`default_cache_path`) rather than in the store: it is a
cache, deleting it loses only money, and the store's narrow interface stays
free of backend details. Keys are (arXiv id, paper version, model, prompt
version, language); a new paper version, model, prompt or language is a miss.
Only answers that parsed and validated are written, with the tokens they cost.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from paperradar import config
from paperradar.clock import now_iso
from paperradar.enrich.llm.client import Usage

ENV_CACHE = config.BY_KEY["llm.cache"].env

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    arxiv_id          TEXT NOT NULL,
    paper_version     INTEGER NOT NULL,  -- -1 when the version is unknown
    model             TEXT NOT NULL,
    prompt_version    TEXT NOT NULL,
    language          TEXT NOT NULL,
    fields            TEXT NOT NULL,     -- JSON object of the five validated fields
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created           TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, paper_version, model, prompt_version, language)
);
"""


def default_cache_path(data_dir: str | Path | None = None) -> Path | None:
    """``$PAPERRADAR_LLM_CACHE`` (or ``llm.cache`` in the config file), else
    ``llm-cache.sqlite`` in ``data_dir``; ``None`` when neither is given."""
    named = config.get("llm.cache")
    if named:
        return Path(named).expanduser()
    return Path(data_dir) / "llm-cache.sqlite" if data_dir is not None else None


class ResponseCache:
    """SQLite-backed cache; one connection guarded by a lock, usable from any thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def _key(arxiv_id: str, paper_version: int | None, model: str, prompt_version: str,
             language: str) -> tuple:
        return (arxiv_id, -1 if paper_version is None else paper_version, model, prompt_version,
                language.casefold())

    def get(self, arxiv_id: str, paper_version: int | None, model: str, prompt_version: str,
            language: str) -> tuple[dict[str, str], Usage] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT fields, prompt_tokens, completion_tokens FROM llm_cache WHERE arxiv_id=? AND "
                "paper_version=? AND model=? AND prompt_version=? AND language=?",
                self._key(arxiv_id, paper_version, model, prompt_version, language),
            ).fetchone()
        if row is None:
            return None
        return json.loads(row[0]), Usage(row[1], row[2])

    def put(self, arxiv_id: str, paper_version: int | None, model: str, prompt_version: str,
            language: str, fields: dict[str, str], usage: Usage) -> None:
        created = now_iso()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*self._key(arxiv_id, paper_version, model, prompt_version, language),
                 json.dumps(fields, ensure_ascii=False), usage.prompt_tokens, usage.completion_tokens,
                 created),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0]
