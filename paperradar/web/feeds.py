"""Atom feeds (RFC 4287): the latest day, a category, a saved search, a topic.

Entry ids are the arXiv abstract URL with the version (``https://arxiv.org/abs/2604.22070v2``),
so a reader shows a revised paper again but never the same version twice; ``updated``
is the version's date (else the listing day); the summary is the TL;DR in the
configured language (else the abstract's first sentences); the entry links to the
paper's page here and, as ``related``, to arXiv. Feed ids are ``tag:`` URIs, stable
whichever host serves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paperradar import clock
from paperradar.digest.daily import pick_summary
from paperradar.digest.text import language_tag, one_line
from paperradar.models import Paper, Summary
from paperradar.store.base import Store
from paperradar.web.links import Links
from paperradar.web.render import environment
from paperradar.web.topics import Topic
from paperradar.web.views import configured_language

MAX_ENTRIES = 300
CATEGORY_DAYS = 7  # a category feed covers the newest this many listed days
TAG = "tag:paperradar.local,2026:"
_FULL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    updated: str
    link: str
    abs_url: str
    authors: list[str]
    categories: list[str]
    summary: str
    lang: str | None


@dataclass(frozen=True, slots=True)
class Feed:
    id: str
    title: str
    updated: str
    self_url: str
    html_url: str
    entries: list[Entry] = field(default_factory=list)


def rfc3339(value: str | None, fallback: str) -> str:
    """A stored date or timestamp as an Atom date-time; ``fallback`` (a date) when unusable."""
    for candidate in ((value or "").strip(), fallback.strip()):
        m = _FULL.match(candidate)
        if m:
            return candidate if m.group(1) else candidate[:16] + ":00" + candidate[16:]
        if _DAY.match(candidate):
            return f"{candidate}T00:00:00Z"
    return clock.now_iso()


def _first_sentences(text: str, limit: int = 400) -> str:
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[:cut + 1] if cut > 80 else text[:limit].rstrip() + "…"


def entry(paper: Paper, summary: Summary | None, date: str, links: Links) -> Entry:
    version = f"v{paper.version}" if paper.version else ""
    tldr = one_line(summary.tldr) if summary else ""
    return Entry(
        id=f"https://arxiv.org/abs/{paper.arxiv_id}{version}", title=one_line(paper.title),
        updated=rfc3339(paper.updated, date), link=links.paper(paper.arxiv_id), abs_url=paper.abs_url,
        authors=[one_line(a) for a in paper.authors if a.strip()], categories=list(paper.categories),
        summary=tldr or _first_sentences(paper.abstract),
        lang=language_tag(summary.language) if tldr and summary else "en",
    )


def _entries(store: Store, dated: list[tuple[str, str]], links: Links) -> list[Entry]:
    """Entries for ``(arxiv_id, date)`` pairs, in that order."""
    ids = [pid for pid, _ in dated]
    papers = store.get_papers(ids)
    summaries = store.summaries_for(ids) if ids else {}
    language = configured_language()
    return [entry(papers[pid], pick_summary(summaries.get(pid, []), language), date, links)
            for pid, date in dated if pid in papers]


def _feed(key: str, title: str, self_url: str, html_url: str, entries: list[Entry]) -> Feed:
    updated = max((e.updated for e in entries), default=None) or clock.now_iso()
    return Feed(TAG + key, title, updated, self_url, html_url, entries)


def latest_feed(store: Store, links: Links) -> Feed:
    """The newest listed day's papers, in listing order."""
    dates = store.listing_dates()
    dated: list[tuple[str, str]] = []
    if dates:
        seen: dict[str, str] = {}
        for listing in store.listings_on(dates[-1]):
            seen.setdefault(listing.arxiv_id, dates[-1])
        dated = list(seen.items())[:MAX_ENTRIES]
    title = f"arXiv papers of {dates[-1]}" if dates else "arXiv papers"
    return _feed("feeds/latest", title, links.feed_latest(), links.home(), _entries(store, dated, links))


def category_feed(store: Store, category: str, links: Links) -> Feed | None:
    """Papers listed under ``category`` on the newest listed days; None if it has none there."""
    dated: dict[str, str] = {}
    for day in reversed(store.listing_dates()[-CATEGORY_DAYS:]):
        for listing in store.listings_on(day):
            if listing.category == category:
                dated.setdefault(listing.arxiv_id, day)
    if not dated:
        return None
    pairs = list(dated.items())[:MAX_ENTRIES]
    return _feed(f"feeds/category/{category}", f"arXiv {category}", links.feed_category(category),
                 links.home(), _entries(store, pairs, links))


def search_feed(store: Store, query: str, results: list[tuple[str, str]], links: Links) -> Feed:
    """A saved search as a feed: ``results`` are ``(arxiv_id, date)`` best first."""
    return _feed(f"feeds/search?q={query}", f"paperradar search: {query}", links.feed_search(query),
                 links.search(q=query), _entries(store, results, links))


def topic_feed(store: Store, topic: Topic, links: Links) -> Feed:
    pairs = [(p.arxiv_id, issue.date) for issue in topic.issues for p in issue.papers][:MAX_ENTRIES]
    return _feed(f"feeds/topic/{topic.name}", f"paperradar topic: {topic.name}", links.feed_topic(topic.name),
                 links.topic(topic.name), _entries(store, pairs, links))


def render_feed(feed: Feed) -> str:
    return environment().get_template("atom.xml.j2").render(feed=feed)


def profile_feed(store: Store, name: str, links: Links, file: str | None = None) -> Feed:
    """What the profile was delivered (the e-mails' papers, or the records of a profile without an
    address), newest day first; read from :mod:`paperradar.deliver.record`'s records only."""
    dated = [(e["id"], r.date) for r in store.deliveries(name, limit=30) for e in r.papers][:MAX_ENTRIES]
    self_url = links.root + (file or f"feeds/profile/{name}.atom")
    return _feed(f"feeds/profile/{name}", f"paperradar for {name}", self_url, links.home(),
                 _entries(store, dated, links))
