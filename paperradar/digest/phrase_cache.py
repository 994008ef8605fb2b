"""Per-paper phrase cache for trending: each paper's 1-3-grams made once, kept as integer ids.

A SQLite file in the data folder (``trending-phrases.sqlite``; a cache: deleting it costs only
time). ``vocab`` numbers every phrase once; ``docs`` holds, per paper, the SHA-1 of the text the
phrases were made from and the sorted phrase ids (int32 bytes). A paper whose text changed (new
version, corrected abstract) is made again; nothing else is. Counting then is ``numpy.bincount``
over the windows' id arrays instead of Python sets and Counters.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

FILE_NAME = "trending-phrases.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, phrase TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS docs (arxiv_id TEXT PRIMARY KEY, digest TEXT NOT NULL, ids BLOB NOT NULL);
"""


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class PhraseCache:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def ids(self, docs: Sequence[tuple[str, str]], make: Callable[[str], set[str]]) -> list[np.ndarray]:
        """The phrase ids of each ``(arxiv_id, text)``; ``make`` gives a text's phrases on a miss."""
        have: dict[str, tuple[str, bytes]] = {}
        wanted = [d[0] for d in docs]
        for start in range(0, len(wanted), 900):
            chunk = wanted[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for pid, dig, blob in self._db.execute(
                    f"SELECT arxiv_id, digest, ids FROM docs WHERE arxiv_id IN ({marks})", chunk):
                have[pid] = (dig, blob)
        out: list[np.ndarray | None] = []
        misses: list[tuple[int, str, str, set[str]]] = []
        for k, (pid, text) in enumerate(docs):
            dig = digest(text)
            hit = have.get(pid)
            if hit is not None and hit[0] == dig:
                out.append(np.frombuffer(hit[1], dtype=np.int32))
            else:
                out.append(None)
                misses.append((k, pid, dig, make(text)))
        if misses:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                new = sorted({g for *_, grams in misses for g in grams})
                self._db.executemany("INSERT OR IGNORE INTO vocab(phrase) VALUES (?)", ((g,) for g in new))
                number = self._numbers(new)
                rows = []
                for k, pid, dig, grams in misses:
                    arr = np.array(sorted(number[g] for g in grams), dtype=np.int32)
                    out[k] = arr
                    rows.append((pid, dig, arr.tobytes()))
                self._db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return [a if a is not None else np.zeros(0, np.int32) for a in out]

    def _numbers(self, phrases: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(phrases), 900):
            chunk = phrases[start:start + 900]
            marks = ",".join("?" * len(chunk))
            out.update(self._db.execute(f"SELECT phrase, id FROM vocab WHERE phrase IN ({marks})", chunk))
        return out

    def phrases(self, ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        wanted = [int(i) for i in ids]
        for start in range(0, len(wanted), 900):
            chunk = wanted[start:start + 900]
            marks = ",".join("?" * len(chunk))
            out.update(self._db.execute(f"SELECT id, phrase FROM vocab WHERE id IN ({marks})", chunk))
        return out
