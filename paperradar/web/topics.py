"""What the topic and trending pages show, behind one small interface.

The pages (``/topics``, ``/topics/<name>``, ``/trending``, ``/feeds/topic/<name>.atom``)
and the static export only call the three functions below. They answer from the
store: saved topics and the issues ``paperradar run`` rendered for them (each issue
keeps its papers' ids), and :func:`paperradar.digest.trending.trending` over the
latest week against the four before it.
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


def _papers(store: Store, ids: list[str]) -> list[TopicPaper]:
    papers = store.get_papers(ids)
    summaries = store.summaries_for(ids)
    out = []
    for arxiv_id in ids:
        paper = papers.get(arxiv_id)
        if paper is None:
            continue
        found = summaries.get(arxiv_id) or []
        english = [x for x in found if x.language.casefold() == "english"]
        tldr = (english or found)[0].tldr if found else ""
        out.append(TopicPaper(arxiv_id, " ".join(paper.title.split()), tldr))
    return out


def saved_topics(store: Store) -> list[Topic]:
    """Every saved topic with its past issues (newest first), by name."""
    out = []
    for saved in store.list_topics():
        cats = f" in {', '.join(saved.categories)}" if saved.categories else ""
        description = f"“{saved.query}”{cats}, every {saved.every}"
        issues = [TopicIssue(issue.until, _papers(store, list(issue.ids)))
                  for issue in store.topic_issues(saved.name)]
        out.append(Topic(saved.name, description, issues))
    return out


def topic(store: Store, name: str) -> Topic | None:
    """One saved topic, or None when there is none of that name."""
    return next((t for t in saved_topics(store) if t.name == name), None)


def trending(store: Store) -> Trending:
    """Trending topics with their papers, or how many more days of listings it needs."""
    from paperradar.digest.trending import trending as detect

    dates = store.listing_dates()
    if len(dates) < TRENDING_MIN_DAYS:
        return Trending(days_needed=TRENDING_MIN_DAYS, days_available=len(dates))
    report = detect(store)
    topics = [TrendingTopic(t.term, _papers(store, list(t.papers)),
                            f"{t.recent} vs {t.baseline} papers, ×{t.ratio:g}") for t in report.trends]
    return Trending(days_needed=TRENDING_MIN_DAYS, days_available=len(dates),
                    days_used=len(set(d for d in dates if report.since <= d <= report.until)),
                    until=report.until, topics=topics)
