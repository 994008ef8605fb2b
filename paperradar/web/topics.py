"""What the topic and trending pages show, behind one small interface.

The pages (``/topics``, ``/topics/<name>``, ``/trending``, ``/feeds/topic/<name>.atom``)
and the static export only call the three functions below. They answer from the
store through the topic-digest and trending library; until the store keeps saved
topics they answer "none yet", which the pages show as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paperradar.store.base import Store

TRENDING_MIN_DAYS = 7  # fewer listed days than this: trending says how many it needs


@dataclass(frozen=True, slots=True)
class TopicPaper:
    arxiv_id: str
    title: str
    tldr: str = ""


@dataclass(frozen=True, slots=True)
class TopicIssue:
    date: str
    papers: list[TopicPaper]


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    description: str = ""
    issues: list[TopicIssue] = field(default_factory=list)  # newest first


@dataclass(frozen=True, slots=True)
class TrendingTopic:
    label: str
    papers: list[TopicPaper]
    growth: str = ""


@dataclass(frozen=True, slots=True)
class Trending:
    days_needed: int
    days_available: int
    days_used: int = 0
    until: str = ""
    topics: list[TrendingTopic] = field(default_factory=list)


def saved_topics(store: Store) -> list[Topic]:
    """Every saved topic with its past issues, by name."""
    return []


def topic(store: Store, name: str) -> Topic | None:
    """One saved topic, or None when there is none of that name."""
    return next((t for t in saved_topics(store) if t.name == name), None)


def trending(store: Store) -> Trending:
    """Trending topics with their papers, or how many more days of listings it needs."""
    return Trending(days_needed=TRENDING_MIN_DAYS, days_available=len(store.listing_dates()))
