"""The HTML digest: one self-contained page per day, plus a site index.

Jinja2 renders with autoescape on, and every value that reaches a template is
plain data (never :class:`markupsafe.Markup`), so nothing from a paper can
become markup: a title ``<script>`` is shown as text. Link targets from data
are limited to http(s) URLs. No JavaScript: abstracts fold with ``<details>``.
The stylesheet is inlined so a page can be mailed or opened from disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from paperradar.digest.authors import shorten_authors
from paperradar.digest.daily import DigestDay, DigestPaper
from paperradar.digest.text import (
    SUMMARY_LABELS,
    language_tag,
    one_line,
    paragraphs,
    safe_url,
    short_url,
    stars_text,
)


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("paperradar.digest", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


@cache
def stylesheet() -> Markup:
    """Our own CSS, trusted; inlined into every page."""
    css = (resources.files("paperradar.digest") / "templates" / "digest.css").read_text(encoding="utf-8")
    return Markup(css)


def anchor(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^0-9A-Za-z_.-]+", "-", name)


@dataclass(frozen=True, slots=True)
class SummaryView:
    tldr: str
    fields: list[tuple[str, str]]
    source: str
    model: str
    language: str
    lang: str | None


@dataclass(frozen=True, slots=True)
class PaperView:
    number: int
    anchor: str
    title: str
    abs_url: str
    pdf_url: str
    authors: str
    categories: str
    comment: str
    code_url: str | None
    code_text: str
    stars: str
    summary: SummaryView | None
    abstract: list[str]


@dataclass(frozen=True, slots=True)
class CategoryView:
    name: str
    anchor: str
    papers: list[PaperView]


@dataclass(frozen=True, slots=True)
class DayView:
    date: str
    total: int
    language: str | None
    repeats: str | None
    already_seen: int
    categories: list[CategoryView]


def _paper_view(number: int, item: DigestPaper) -> PaperView:
    p = item.paper
    code_url = safe_url(item.code.url) if item.code else None
    s = item.summary
    summary = None
    if s is not None:
        summary = SummaryView(
            tldr=one_line(s.tldr),
            fields=[(label, one_line(getattr(s, name))) for name, label in SUMMARY_LABELS
                    if getattr(s, name).strip()],
            source=s.source, model=s.model, language=s.language, lang=language_tag(s.language),
        )
    return PaperView(
        number=number, anchor=anchor("p-", p.arxiv_id), title=one_line(p.title),
        abs_url=p.abs_url, pdf_url=p.pdf_url, authors=shorten_authors(p.authors).text(),
        categories=" · ".join(p.categories or (item.category,)), comment=one_line(p.comment),
        code_url=code_url, code_text=short_url(code_url) if code_url else "",
        stars=stars_text(item.code.stars) if item.code and code_url else "",
        summary=summary, abstract=paragraphs(p.abstract),
    )


def day_view(day: DigestDay) -> DayView:
    categories = []
    number = 0
    for c in day.categories:
        papers = []
        for item in c.papers:
            number += 1
            papers.append(_paper_view(number, item))
        categories.append(CategoryView(c.name, anchor("cat-", c.name), papers))
    return DayView(day.date, day.total, day.language, day.repeats, day.already_seen, categories)


def render_html(day: DigestDay, index_href: str | None = None) -> str:
    """The day as a self-contained HTML page; ``index_href`` adds an "All days" link."""
    template = environment().get_template("day.html.j2")
    return template.render(day=day_view(day), css=stylesheet(), index_href=index_href, trends=day.trends)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    date: str
    href: str
    papers: int | None = None
    repeats: str | None = None
    others: tuple[tuple[str, str], ...] = ()


def render_index(entries: list[IndexEntry], title: str = "arXiv digests") -> str:
    """A page linking each day's digest, newest first."""
    template = environment().get_template("index.html.j2")
    days = sorted(entries, key=lambda e: e.date, reverse=True)
    return template.render(days=days, css=stylesheet(), title=title)
