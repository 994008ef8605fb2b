"""The JSON digest: a stable, documented schema (see docs/digest.md) for other tools.

Fields are only ever added within one ``schema_version``; renaming or removing
one bumps the version. Values are the stored data, unshortened (all authors,
the abstract with its original line breaks), so consumers can render as they like.
"""

from __future__ import annotations

from typing import Any

import orjson

from paperradar.digest.daily import DigestDay, DigestPaper
from paperradar.models import SUMMARY_FIELDS

SCHEMA_VERSION = 1


def paper_dict(item: DigestPaper) -> dict[str, Any]:
    p, s, code = item.paper, item.summary, item.code
    summary = None
    if s is not None:
        summary = {name: getattr(s, name) for name in SUMMARY_FIELDS}
        summary.update(source=s.source, model=s.model, language=s.language,
                       prompt_version=s.prompt_version, paper_version=s.paper_version, created=s.created)
    return {
        "id": p.arxiv_id,
        "version": p.version,
        "title": p.title,
        "authors": list(p.authors),
        "categories": list(p.categories),
        "primary_category": p.primary_category or (p.categories[0] if p.categories else item.category),
        "listing_category": item.category,
        "comment": p.comment,
        "journal_ref": p.journal_ref,
        "doi": p.doi,
        "links": {"abs": p.abs_url, "pdf": p.pdf_url},
        "code": None if code is None else {
            "url": code.url, "stars": code.stars, "last_update": code.last_update},
        "summary": summary,
        "abstract": p.abstract,
    }


def day_dict(day: DigestDay) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "date": day.date,
        "repeats": day.repeats,
        "already_seen": day.already_seen,
        "language": day.language,
        "total": day.total,
        "counts": day.counts,
        "trending": [{"term": t.term, "recent": t.recent, "baseline": t.baseline, "ratio": t.ratio,
                      "papers": [pid for pid, _ in t.papers]} for t in day.trends],
        "categories": [
            {"name": c.name, "count": len(c.papers), "papers": [paper_dict(x) for x in c.papers]}
            for c in day.categories
        ],
    }


def render_json(day: DigestDay) -> str:
    """UTF-8 JSON, two-space indent, keys in schema order (orjson: ~10x faster than json with indent)."""
    return orjson.dumps(day_dict(day), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")
