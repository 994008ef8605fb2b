"""The one narrow interface every part of paperradar uses to reach stored data.

Callers (ingest, digests, enrichers, indexes, the web app) only see this
protocol, so a PostgreSQL backend can be dropped in by implementing it; the
SQLite backend in :mod:`paperradar.store.sqlite` is the embedded default.
Writes happen in batches inside :meth:`Store.transaction` so that a failure
leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from paperradar.models import CodeLink, Listing, Paper, Summary


@dataclass(frozen=True, slots=True)
class DayCount:
    date: str
    category: str
    papers: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    arxiv_id: str
    version: int | None
    paper: Paper
    replaced_at: str


class Store(Protocol):
    """Storage backend contract. All methods are synchronous and batch-oriented."""

    location: str

    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all of them land, or none (on exception)."""

    # -- papers ---------------------------------------------------------------
    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]: ...

    def insert_papers(self, papers: Sequence[Paper], now: str) -> None: ...

    def replace_papers(self, changes: Sequence[tuple[Paper, Paper]], now: str) -> None:
        """Store each new paper and keep the (old) one in history: pairs are (old, new)."""

    def history(self, arxiv_id: str) -> list[HistoryEntry]: ...

    def iter_papers(self, batch: int = 1000) -> Iterator[Paper]: ...

    def count_papers(self) -> int: ...

    # -- listings -------------------------------------------------------------
    def add_listings(self, listings: Sequence[Listing]) -> int:
        """Insert listings not yet stored; returns how many were new."""

    def listings_on(self, date: str) -> list[Listing]:
        """That day's listings ordered by position then category."""

    def listing_dates(self) -> list[str]: ...

    def day_counts(self) -> list[DayCount]: ...

    def next_position(self, date: str) -> int: ...

    def first_listed(self, ids: Sequence[str]) -> dict[str, str]:
        """Earliest listing date per paper."""

    def last_listed(self, ids: Sequence[str]) -> dict[str, str]:
        """Latest listing date per paper: newer observations win over older ones."""

    # -- summaries ------------------------------------------------------------
    def upsert_summaries(self, summaries: Sequence[Summary], replace: bool = True) -> int:
        """Insert or (if ``replace``) update summaries keyed by paper, source, model,
        language and prompt version; returns how many were new or changed."""

    def summaries_for(self, ids: Sequence[str], language: str | None = None) -> dict[str, list[Summary]]: ...

    # -- code links -----------------------------------------------------------
    def upsert_code_links(self, links: Sequence[CodeLink]) -> int: ...

    def code_links_for(self, ids: Sequence[str]) -> dict[str, CodeLink]: ...

    # -- small key/value state (index watermarks, fetch cursors) --------------
    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


def chunks(items: Sequence, size: int = 500) -> Iterable[Sequence]:
    """Split id lists so that SQL parameter limits are never hit."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
