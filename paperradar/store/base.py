"""The one narrow interface every part of paperradar uses to reach stored data.

Callers (ingest, digests, enrichers, indexes, the web app) only see this
protocol, so a PostgreSQL backend can be dropped in by implementing it; the
SQLite backend in :mod:`paperradar.store.sqlite` is the embedded default.
Writes happen in batches inside :meth:`Store.transaction` so that a failure
leaves nothing half-written; blocks nest, and each level is all-or-nothing
(see docs/store.md).

The store-level errors live here too (re-exported from :mod:`paperradar.errors`)
so that every backend raises the same ones: :class:`StoreError` when a store
cannot be opened, read or written, :class:`StoreNotFound` when a command that
only reads is pointed at a store that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from paperradar.errors import StoreError, StoreNotFound
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

__all__ = ["GENERATION_KEY", "VECTOR_GENERATION_KEY", "DayCount", "VectorRow",
           "HistoryEntry", "Store", "StoreError", "StoreNotFound"]

GENERATION_KEY = "papers.generation"
"""Meta key bumped by ingest whenever papers are new or changed, so a search index
can tell cheaply that it is behind (see :mod:`paperradar.index.state`)."""


VECTOR_GENERATION_KEY = "vectors.generation"
"""Meta key bumped by every :meth:`Store.put_vectors`; each stored vector row carries the value it
was written under, so a local index asks only for the rows written since it last looked."""


@dataclass(frozen=True, slots=True)
class VectorRow:
    """One paper's embedding in one space: ``dim`` float16 values (little-endian) in ``data``,
    computed from the text whose content hash is ``digest``."""

    arxiv_id: str
    digest: str
    dim: int
    data: bytes
    generation: int


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


@dataclass(frozen=True, slots=True)
class SavedTopic:
    """A topic ``paperradar run`` renders a digest for every day or week."""

    name: str
    query: str
    categories: tuple[str, ...] = ()
    every: str = "week"  # "week" | "day"
    created: str = ""


@dataclass(frozen=True, slots=True)
class TopicIssue:
    """One rendered issue of a saved topic."""

    name: str
    since: str
    until: str
    papers: int
    title: str
    created: str = ""
    ids: tuple[str, ...] = ()  # the issue's papers, in digest order


class Store(Protocol):
    """Storage backend contract. All methods are synchronous and batch-oriented."""

    location: str
    read_only: bool
    """True when opened for reading only: every write raises :class:`StoreError`."""

    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all of them land, or none (on exception).

        Blocks nest, and every level keeps that promise: an inner block that
        raises undoes only its own writes (the exception still propagates; if
        the caller catches it, the outer block goes on and commits the rest),
        and nothing is visible to other readers until the outermost block
        ends. Raises :class:`StoreError` on a read-only store.
        """

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

    # -- reader profiles (paperradar.radar; migration 0003) --------------------
    def put_profile(self, profile: ProfileRecord) -> None:
        """Insert the profile, or replace its settings and ``updated`` (``created`` is kept)."""

    def get_profile(self, name: str) -> ProfileRecord | None: ...

    def list_profiles(self) -> list[ProfileRecord]:
        """Every profile, by name."""

    def delete_profile(self, name: str) -> bool:
        """Remove the profile with its library, feedback and seen history; False if there was none."""

    def add_library_items(self, profile: str, items: Sequence[LibraryItem]) -> int:
        """Insert items, or update those whose key the profile already has; returns how many
        were new or changed."""

    def library_items(self, profile: str) -> list[LibraryItem]:
        """The profile's library in the order it was added."""

    def add_feedback(self, entries: Sequence[FeedbackEntry]) -> None:
        """Record verdicts; a later verdict on the same (profile, paper) replaces the earlier one."""

    def feedback_for(self, profile: str) -> list[FeedbackEntry]: ...

    def mark_seen(self, entries: Sequence[SeenEntry]) -> None:
        """Record what a profile was shown (one row per paper: the newest showing wins)."""

    def seen_for(self, profile: str, ids: Sequence[str]) -> dict[str, SeenEntry]: ...
    # -- change detection (readers that cache, such as the web app) -----------
    def data_version(self) -> int:
        """A number that differs from this handle's previous answer whenever another
        connection has committed a change since then (SQLite's ``PRAGMA data_version``);
        a reader compares it before reusing anything it derived from the store."""


    # -- saved topics (topic digests; migration 0002) ---------------------------
    def add_topic(self, topic: SavedTopic) -> None:
        """Save ``topic``, replacing a saved topic of the same name."""

    def get_topic(self, name: str) -> SavedTopic | None: ...

    def list_topics(self) -> list[SavedTopic]: ...

    def remove_topic(self, name: str) -> bool:
        """Forget the topic and its issue history; ``False`` if there was none."""

    def record_topic_issue(self, issue: TopicIssue) -> None: ...

    def topic_issues(self, name: str) -> list[TopicIssue]:
        """Issues rendered for ``name``, newest first."""


    # -- vectors (the embeddings the search index computed, shared through the store) ----------
    def put_vectors(self, space: str, dim: int, rows: Sequence[tuple[str, str, bytes]]) -> int:
        """Store (arxiv_id, digest, float16 bytes) rows of embedding space ``space``, each replacing
        that paper's earlier vector in the space, in one transaction under a new vector generation
        (meta :data:`VECTOR_GENERATION_KEY`), which is returned."""

    def vectors_since(self, space: str, after: int = 0, batch: int = 5000) -> Iterator[VectorRow]:
        """The vectors of ``space`` written under a generation above ``after``, ordered by
        generation then id, read a page of ``batch`` at a time."""

    # -- deliveries (paperradar.deliver; migration 0005) ------------------------
    def put_delivery(self, record: DeliveryRecord) -> None:
        """Insert or replace the record of (profile, date) (``created`` is kept as given)."""

    def get_delivery(self, profile: str, date: str) -> DeliveryRecord | None: ...

    def deliveries(self, profile: str, limit: int = 30) -> list[DeliveryRecord]:
        """The profile's newest ``limit`` records, newest date first."""

    # -- papers changed since a generation (the search index's catch-up; migration 0006) ----------
    def papers_changed_since(self, generation: int, batch: int = 1000) -> Iterator[Paper]:
        """Papers inserted, replaced or newly listed under a papers generation (meta
        :data:`GENERATION_KEY`) above ``generation``, ordered by generation then id, read a page
        of ``batch`` at a time. Writes stamp the generation their ingest commits (the current
        value + 1), so reading the counter first and then this never misses a committed change;
        papers stored before migration 0006 count as generation 0."""

    def listing_date_before(self, date: str) -> str | None:
        """The latest listing date before ``date`` (``None`` if there is none): one index probe,
        for readers that walk back a day at a time (:func:`paperradar.days.day_info`)."""
