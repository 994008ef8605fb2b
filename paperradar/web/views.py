"""What each page shows, as plain data: the one place that decides, for the server and the
static export alike.

Day pages start from the digest view model (:func:`paperradar.digest.daily.build_day`),
so which papers, in which order and with which summary is decided exactly as in
the Markdown/HTML/JSON digests. Summaries default to the configured language
(``language`` setting) when the day has any in it, so an English reader sees the
offline English summaries rather than imported Chinese ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from paperradar import config
from paperradar.digest.authors import clean_name
from paperradar.digest.daily import DigestDay, DigestPaper, build_day, nearest_dates, pick_summary
from paperradar.digest.html import SummaryView, anchor
from paperradar.digest.text import (
    SUMMARY_LABELS,
    language_tag,
    one_line,
    paragraphs,
    safe_url,
    short_url,
    stars_text,
)
from paperradar.models import CodeLink, Paper, Summary
from paperradar.store.base import Store
from paperradar.web.text import Segment, highlight, with_math

if TYPE_CHECKING:
    from paperradar.index.search import Result, SearchIndex

AUTHORS_SHOWN = 8  # the paper page shows this many names, the rest behind "show all"
SIMILAR = 6


@dataclass(frozen=True, slots=True)
class Card:
    """One paper in a list (day page, similar papers)."""

    arxiv_id: str
    number: int
    anchor: str
    title: list[Segment]
    authors: str
    categories: str
    comment: str
    abs_url: str
    pdf_url: str
    code_url: str | None
    code_text: str
    stars: str
    summary: SummaryView | None
    abstract: list[list[Segment]]


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    anchor: str
    papers: list[Card]


@dataclass(frozen=True, slots=True)
class Chip:
    name: str
    count: int
    anchor: str
    selected: bool


@dataclass(frozen=True, slots=True)
class DayPage:
    date: str
    total: int
    day_total: int
    language: str | None
    languages: list[str]
    requested_language: str | None
    repeats: str | None
    already_seen: int
    sections: list[Section]
    chips: list[Chip]
    category: str | None
    previous: str | None
    next: str | None
    first: str
    last: str


def summary_view(s: Summary) -> SummaryView:
    return SummaryView(
        tldr=one_line(s.tldr),
        fields=[(label, one_line(getattr(s, name))) for name, label in SUMMARY_LABELS
                if getattr(s, name).strip()],
        source=s.source, model=s.model, language=s.language, lang=language_tag(s.language),
    )


def authors_text(authors: tuple[str, ...], shown: int = 10) -> str:
    names = [clean_name(a) for a in authors if a.strip()]
    if len(names) <= shown + 1:
        return ", ".join(names)
    return f"{', '.join(names[:shown])}, … ({len(names)} authors)"


def card(number: int, paper: Paper, category: str, summary: Summary | None, code: CodeLink | None) -> Card:
    code_url = safe_url(code.url) if code else None
    return Card(
        arxiv_id=paper.arxiv_id, number=number, anchor=anchor("p-", paper.arxiv_id),
        title=with_math(one_line(paper.title)), authors=authors_text(paper.authors),
        categories=" · ".join(paper.categories or (category,)), comment=one_line(paper.comment),
        abs_url=paper.abs_url, pdf_url=paper.pdf_url, code_url=code_url,
        code_text=short_url(code_url) if code_url else "",
        stars=stars_text(code.stars) if code and code_url else "",
        summary=summary_view(summary) if summary else None,
        abstract=[with_math(p) for p in paragraphs(paper.abstract)],
    )


def _card(number: int, item: DigestPaper) -> Card:
    return card(number, item.paper, item.category, item.summary, item.code)


def configured_language() -> str | None:
    return config.get("language") or None


def digest_day(store: Store, date: str, language: str | None = None) -> DigestDay:
    """The day's digest in ``language``; without one, in the configured language when the
    day has summaries in it, else in the day's own (imported) language."""
    if language:
        return build_day(store, date, language=language)
    wanted = configured_language()
    day = build_day(store, date, language=wanted)
    have = {x.lower() for x in day.available_languages}
    if wanted and have and wanted.lower() not in have:
        day = build_day(store, date)
    return day


def day_page(store: Store, date: str, *, language: str | None = None, category: str | None = None,
             dates: list[str] | None = None) -> DayPage:
    """Raises :class:`~paperradar.errors.DigestError` when ``date`` has no listings."""
    day = digest_day(store, date, language)
    dates = dates if dates is not None else store.listing_dates()
    at = dates.index(date) if date in dates else -1
    sections, number = [], 0
    for c in day.categories:
        cards = []
        for item in c.papers:
            number += 1
            if category is None or c.name == category:
                cards.append(_card(number, item))
        if cards:
            sections.append(Section(c.name, anchor("cat-", c.name), cards))
    chips = [Chip(c.name, len(c.papers), anchor("cat-", c.name), c.name == category) for c in day.categories]
    return DayPage(
        date=day.date, total=sum(len(s.papers) for s in sections), day_total=day.total,
        language=day.language, languages=list(day.available_languages), requested_language=language,
        repeats=day.repeats, already_seen=day.already_seen, sections=sections, chips=chips,
        category=category,
        previous=dates[at - 1] if at > 0 else None,
        next=dates[at + 1] if 0 <= at < len(dates) - 1 else None,
        first=dates[0] if dates else date, last=dates[-1] if dates else date,
    )


def nearest(store: Store, date: str) -> list[str]:
    return nearest_dates(store.listing_dates(), date)


# -- paper page --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Version:
    version: int | None
    replaced_at: str | None  # None: the current version
    title: str


@dataclass(frozen=True, slots=True)
class Similar:
    arxiv_id: str
    title: list[Segment]
    date: str
    score: float


@dataclass(frozen=True, slots=True)
class PaperPage:
    arxiv_id: str
    title: list[Segment]
    title_text: str
    authors_head: list[str]
    authors_rest: list[str]
    categories: list[str]
    primary_category: str
    comment: str
    journal_ref: str
    doi: str
    license_url: str | None
    submitted: str
    updated: str
    first_listed: str
    last_listed: str
    version: int | None
    versions: list[Version]
    summary: SummaryView | None
    other_summaries: list[SummaryView]
    abstract: list[list[Segment]]
    abs_url: str
    pdf_url: str
    code_url: str | None
    code_text: str
    stars: str
    similar: list[Similar] = field(default_factory=list)
    similar_note: str | None = None


def similar_rows(index: SearchIndex, row_of: dict[str, int], arxiv_id: str, k: int = SIMILAR
                 ) -> list[tuple[str, str, float]]:
    """``(id, date, cosine)`` of the ``k`` papers nearest to ``arxiv_id`` in the dense index."""
    dense = index.ranker.dense
    row = row_of.get(arxiv_id)
    if dense is None or row is None or len(dense) < 2:
        return []
    vector = np.asarray(dense.vectors_of(np.array([row])), dtype=np.float32)[0]
    rows, scores = dense.search(vector, k + 1)
    out = [(index.docs[int(r)].arxiv_id, index.docs[int(r)].date, float(sc))
           for r, sc in zip(rows, scores, strict=True) if int(r) != row]
    return out[:k]


def paper_page(store: Store, arxiv_id: str, *, language: str | None = None,
               similar: list[tuple[str, str, float]] | None = None,
               similar_note: str | None = None) -> PaperPage | None:
    """None when the store has no such paper."""
    paper = store.get_papers([arxiv_id]).get(arxiv_id)
    if paper is None:
        return None
    summaries = store.summaries_for([arxiv_id]).get(arxiv_id, [])
    chosen = pick_summary(summaries, language or configured_language())
    others = [summary_view(s) for s in sorted(summaries, key=lambda s: (s.language, s.source, s.model))
              if s is not chosen]
    code = store.code_links_for([arxiv_id]).get(arxiv_id)
    code_url = safe_url(code.url) if code else None
    history = store.history(arxiv_id)
    versions = [Version(paper.version, None, one_line(paper.title))]
    versions += [Version(h.version, h.replaced_at, one_line(h.paper.title))
                 for h in sorted(history, key=lambda h: h.replaced_at, reverse=True)]
    names = [clean_name(a) for a in paper.authors if a.strip()]
    head = names if len(names) <= AUTHORS_SHOWN + 1 else names[:AUTHORS_SHOWN]
    ids = [s[0] for s in similar or []]
    similar_papers = store.get_papers(ids) if ids else {}
    lic = safe_url(paper.license)
    return PaperPage(
        arxiv_id=paper.arxiv_id, title=with_math(one_line(paper.title)), title_text=one_line(paper.title),
        authors_head=head, authors_rest=names[len(head):], categories=list(paper.categories),
        primary_category=paper.primary_category or (paper.categories[0] if paper.categories else ""),
        comment=one_line(paper.comment), journal_ref=one_line(paper.journal_ref), doi=one_line(paper.doi),
        license_url=lic, submitted=(paper.submitted or "")[:10], updated=(paper.updated or "")[:10],
        first_listed=store.first_listed([arxiv_id]).get(arxiv_id, ""),
        last_listed=store.last_listed([arxiv_id]).get(arxiv_id, ""),
        version=paper.version, versions=versions,
        summary=summary_view(chosen) if chosen else None, other_summaries=others,
        abstract=[with_math(p) for p in paragraphs(paper.abstract)],
        abs_url=paper.abs_url, pdf_url=paper.pdf_url, code_url=code_url,
        code_text=short_url(code_url) if code_url else "",
        stars=stars_text(code.stars) if code and code_url else "",
        similar=[Similar(pid, with_math(one_line(similar_papers[pid].title)), date, round(score, 3))
                 for pid, date, score in similar or [] if pid in similar_papers],
        similar_note=similar_note,
    )


# -- search ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hit:
    rank: int
    arxiv_id: str
    date: str
    title: list[Segment]
    categories: list[str]
    snippet: list[Segment]
    score: float


def search_hits(results: list[Result]) -> list[Hit]:
    """Results with their matched words marked. One pattern serves the whole page: a word one
    result matched is a query-term word wherever it stands, and compiling a pattern per
    result cost more than the rest of the highlighting on a cold search."""
    matched = sorted({w for r in results for w in r.matched})
    return [Hit(r.rank, r.arxiv_id, r.date, highlight(r.title, matched), r.categories,
                highlight(r.snippet, matched), r.score) for r in results]
