"""Assemble one day's digest view-model from the store.

Every output format (daily-arXiv-ai-enhanced Markdown, our Markdown, HTML,
JSON) renders the same :class:`DigestDay`, so the choices about which papers,
in which order, with which summary are made once, here. The store is read
with a handful of bulk queries (listings, papers, summaries, code links), never
per paper, so a 600-paper day costs the same few round trips as a small one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date as Date

from paperradar.days import day_info
from paperradar.errors import DigestError
from paperradar.models import CodeLink, Listing, Paper, Summary
from paperradar.store.base import Store


@dataclass(frozen=True, slots=True)
class DigestPaper:
    """One paper as listed on the day: metadata, listing category, chosen summary, code link."""

    paper: Paper
    category: str  # the listing category the paper appears under that day
    position: int
    summary: Summary | None = None
    code: CodeLink | None = None


@dataclass(frozen=True, slots=True)
class DigestCategory:
    name: str
    papers: tuple[DigestPaper, ...]


@dataclass(frozen=True, slots=True)
class DigestDay:
    date: str
    categories: tuple[DigestCategory, ...]
    language: str | None = None  # the summary language asked for (or found), None when no summaries
    repeats: str | None = None  # the earlier date with exactly the same papers
    already_seen: int = 0  # papers of this day listed on an earlier day
    available_languages: tuple[str, ...] = field(default_factory=tuple)
    trends: tuple = ()  # DayTrend: trending phrases of the week (md/html/json only, never dae-md)

    @property
    def total(self) -> int:
        return sum(len(c.papers) for c in self.categories)

    @property
    def counts(self) -> dict[str, int]:
        return {c.name: len(c.papers) for c in self.categories}


def parse_category_list(value: str | None) -> list[str] | None:
    """``"cs.CV, cs.CL"`` -> ``["cs.CV", "cs.CL"]``; empty or None -> None."""
    if value is None:
        return None
    items = [part.strip() for part in value.split(",") if part.strip()]
    return items or None


def nearest_dates(available: list[str], wanted: str, limit: int = 3) -> list[str]:
    """The dates in ``available`` closest to ``wanted`` (for "no such day" messages), sorted."""
    try:
        target = Date.fromisoformat(wanted)
    except ValueError:
        return sorted(available)[-limit:]

    def distance(day: str) -> tuple[int, str]:
        try:
            return abs((Date.fromisoformat(day) - target).days), day
        except ValueError:
            return 10**9, day

    return sorted(sorted(available, key=distance)[:limit])


def missing_date_message(store: Store, date: str) -> str:
    available = store.listing_dates()
    if not available:
        return f"no listings for {date}: the store {store.location} has no listings at all; ingest some first"
    near = ", ".join(nearest_dates(available, date))
    plural = "" if len(available) == 1 else "s"
    return (f"no listings for {date} in {store.location}; nearest dates with listings: {near} "
            f"({len(available)} date{plural} from {available[0]} to {available[-1]})")


def pick_summary(summaries: list[Summary], language: str | None) -> Summary | None:
    """The summary to show: the requested language first, then the newest (any source)."""
    if not summaries:
        return None
    wanted = language.lower() if language else None

    def key(s: Summary) -> tuple[bool, str]:
        return (wanted is not None and s.language.lower() == wanted, s.created or "")

    return max(summaries, key=key)


def default_language(summaries: dict[str, list[Summary]]) -> str | None:
    """The imported summary language used most on the day; else the most used language."""
    imported = Counter(s.language for group in summaries.values() for s in group if s.source == "imported")
    if imported:
        return imported.most_common(1)[0][0]
    any_lang = Counter(s.language for group in summaries.values() for s in group)
    return any_lang.most_common(1)[0][0] if any_lang else None


def order_categories(found: list[str], preferred: list[str] | None) -> list[str]:
    """Categories named in ``preferred`` first (in that order), then the others by first appearance.

    Categories in ``preferred`` without papers that day are left out, as the
    daily-arXiv-ai-enhanced digests do.
    """
    if not preferred:
        return list(found)
    present = set(found)
    head = [c for c in dict.fromkeys(preferred) if c in present]
    chosen = set(head)
    return head + [c for c in found if c not in chosen]


def build_day(
    store: Store,
    date: str,
    *,
    language: str | None = None,
    category_order: list[str] | None = None,
    categories: list[str] | None = None,
    trends: bool = False,
) -> DigestDay:
    """Everything a digest of ``date`` shows; raises :class:`DigestError` when the day has no listings.

    A paper listed under several categories that day appears once, under its
    first listing (lowest position). ``categories`` keeps only those sections.
    ``trends``: also the week's trending phrases (:func:`paperradar.digest.trending.day_trends`).
    """
    listings = store.listings_on(date)
    if not listings:
        raise DigestError(missing_date_message(store, date))
    first: dict[str, Listing] = {}
    for listing in listings:  # ordered by position, then category
        first.setdefault(listing.arxiv_id, listing)
    if categories:
        keep = set(categories)
        day_categories = list(dict.fromkeys(x.category for x in first.values()))
        first = {pid: x for pid, x in first.items() if x.category in keep}
        if not first:
            raise DigestError(f"no papers in {', '.join(categories)} on {date}; "
                              f"categories listed that day: {', '.join(day_categories)}")
    ids = list(first)
    papers = store.get_papers(ids)
    summaries = store.summaries_for(ids) if ids else {}
    codes = store.code_links_for(ids) if ids else {}
    chosen_language = language or default_language(summaries)
    languages = sorted({s.language for group in summaries.values() for s in group})

    by_category: dict[str, list[DigestPaper]] = {}
    for pid, listing in first.items():
        paper = papers.get(pid)
        if paper is None:  # a listing always references a stored paper; be defensive anyway
            continue
        by_category.setdefault(listing.category, []).append(DigestPaper(
            paper=paper, category=listing.category, position=listing.position,
            summary=pick_summary(summaries.get(pid, []), chosen_language), code=codes.get(pid),
        ))
    ordered = order_categories(list(by_category), category_order)
    info = day_info(store, date)
    return DigestDay(
        date=date,
        categories=tuple(DigestCategory(name, tuple(by_category[name])) for name in ordered),
        language=chosen_language,
        repeats=info.repeats,
        already_seen=info.already_seen,
        available_languages=tuple(languages),
        trends=_trends(store, date) if trends else (),
    )


def _trends(store: Store, date: str) -> tuple:
    from paperradar.digest.trending import day_trends

    return day_trends(store, date)
