"""Writing a day in other tools' layouts, so their front-ends can read paperradar output.

``dae-jsonl`` is the daily-arXiv-ai-enhanced ``<date>_AI_enhanced_<Language>.jsonl``
layout: one JSON object per paper with the crawler's keys in the crawler's
order (``id, categories, pdf, abs, authors, title, comment, summary``, then
``code_url``/``code_stars``/``code_last_update`` when known, then ``AI`` with
the five fields). The listing category comes first in ``categories``, as the
crawler writes it. Papers without a summary in the chosen language are left out
(the AI-enhanced files only hold papers that have one) and counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from paperradar.errors import StoreError
from paperradar.files import atomic_open
from paperradar.models import Summary
from paperradar.store.base import Store

FORMATS = ("dae-jsonl",)
# Which summary wins when a paper has several in the language: newest model-written first.
SOURCE_PREFERENCE = ("llm", "extractive", "imported")


@dataclass
class ExportReport:
    written: int = 0
    without_summary: list[str] = field(default_factory=list)


def pick_summary(summaries: list[Summary], source: str | None = None) -> Summary | None:
    """The summary to export: of ``source`` if given, else by SOURCE_PREFERENCE, newest first."""
    pool = [s for s in summaries if source is None or s.source == source]
    if not pool:
        return None
    rank = {name: i for i, name in enumerate(SOURCE_PREFERENCE)}
    return sorted(pool, key=lambda s: (rank.get(s.source, 99), _neg(s.created)))[0]


def _neg(created: str | None) -> tuple:
    # newest first: sort on the reversed character codes of the ISO timestamp
    return tuple(-ord(c) for c in (created or ""))


def dae_records(store: Store, date: str, language: str = "English", source: str | None = None,
                report: ExportReport | None = None) -> Iterator[dict]:
    """The day's papers as daily-arXiv-ai-enhanced AI-enhanced records, in listing order."""
    report = report if report is not None else ExportReport()
    first_category: dict[str, str] = {}
    for listing in store.listings_on(date):
        first_category.setdefault(listing.arxiv_id, listing.category)
    ids = list(first_category)
    papers = store.get_papers(ids)
    summaries = store.summaries_for(ids, language=language)
    codes = store.code_links_for(ids)
    for arxiv_id in ids:
        paper = papers.get(arxiv_id)
        if paper is None:
            continue
        summary = pick_summary(summaries.get(arxiv_id, []), source)
        if summary is None:
            report.without_summary.append(arxiv_id)
            continue
        listed = first_category[arxiv_id]
        categories = [listed] + [c for c in paper.categories if c != listed]
        record: dict = {
            "id": paper.arxiv_id, "categories": categories, "pdf": paper.pdf_url, "abs": paper.abs_url,
            "authors": list(paper.authors), "title": paper.title, "comment": paper.comment,
            "summary": paper.abstract,
        }
        code = codes.get(arxiv_id)
        if code is not None:
            record["code_url"] = code.url
            if code.stars is not None:
                record["code_stars"] = code.stars
            if code.last_update is not None:
                record["code_last_update"] = code.last_update
        record["AI"] = summary.fields()
        report.written += 1
        yield record


def dae_lines(store: Store, date: str, language: str = "English", source: str | None = None,
              report: ExportReport | None = None) -> Iterator[str]:
    """JSON lines (with newline) as the crawler writes them (UTF-8, not ASCII-escaped)."""
    for record in dae_records(store, date, language, source, report):
        yield json.dumps(record, ensure_ascii=False) + "\n"


def default_file_name(date: str, language: str) -> str:
    """The crawler's file name, which also tells ``paperradar ingest`` the date and language."""
    return f"{date}_AI_enhanced_{language.strip().replace(' ', '_')}.jsonl"


def write_dae_jsonl(store: Store, date: str, path: str | Path, language: str = "English",
                    source: str | None = None) -> ExportReport:
    """Write the day's dae-jsonl file atomically (a rerun or a crash never leaves half a file).
    Raises :class:`~paperradar.errors.StoreError` when the day has no listings."""
    if date not in store.listing_dates():
        raise StoreError(f"no listings stored for {date}; see `paperradar stats` for stored days")
    report = ExportReport()
    with atomic_open(path, "w") as handle:
        handle.writelines(dae_lines(store, date, language, source, report))
    return report
