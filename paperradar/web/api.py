"""The JSON API: the same schemas as the CLI's ``--json`` output, and its OpenAPI description.

``/api/days`` is ``paperradar stats --json`` (``store`` is the store's file name
only: a page never shows where on disk the store lives), ``/api/day/<date>`` is
the JSON digest (docs/digest.md, ``schema_version`` 1), ``/api/search`` is
``paperradar search --json``. ``/api/paper/<id>`` is one paper as it appears in
the JSON digest, plus its other summaries, versions, listing dates and similar papers.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from paperradar.days import DayInfo
from paperradar.digest.daily import DigestPaper, pick_summary
from paperradar.digest.json_out import paper_dict
from paperradar.models import SUMMARY_FIELDS
from paperradar.store.base import Store
from paperradar.web.views import configured_language


def days_dict(store: Store, infos: list[DayInfo]) -> dict[str, Any]:
    return {
        "store": PurePath(store.location).name,
        "papers": store.count_papers(),
        "days": [{"date": d.date, "papers": d.papers, "categories": d.per_category, "repeats": d.repeats,
                  "already_seen": d.already_seen} for d in infos],
    }


def paper_api_dict(store: Store, arxiv_id: str,
                   similar: list[tuple[str, str, float]]) -> dict[str, Any] | None:
    paper = store.get_papers([arxiv_id]).get(arxiv_id)
    if paper is None:
        return None
    summaries = store.summaries_for([arxiv_id]).get(arxiv_id, [])
    chosen = pick_summary(summaries, configured_language())
    category = paper.primary_category or (paper.categories[0] if paper.categories else "")
    out = paper_dict(DigestPaper(paper, category, 0, chosen, store.code_links_for([arxiv_id]).get(arxiv_id)))
    out.pop("listing_category", None)
    out["summaries"] = [
        {**{name: getattr(s, name) for name in SUMMARY_FIELDS}, "source": s.source, "model": s.model,
         "language": s.language, "prompt_version": s.prompt_version, "paper_version": s.paper_version,
         "created": s.created} for s in summaries]
    out["history"] = [{"version": h.version, "replaced_at": h.replaced_at, "title": h.paper.title}
                      for h in store.history(arxiv_id)]
    out["first_listed"] = store.first_listed([arxiv_id]).get(arxiv_id)
    out["last_listed"] = store.last_listed([arxiv_id]).get(arxiv_id)
    out["submitted"] = paper.submitted
    out["updated"] = paper.updated
    out["similar"] = [{"id": pid, "date": date, "cosine": round(score, 4)} for pid, date, score in similar]
    return out


def _get(summary: str, params: list[dict[str, Any]], description: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params,
                    "responses": {"200": {"description": description,
                                          "content": {"application/json": {"schema": {"type": "object"}}}},
                                  "400": {"description": "a parameter is invalid"},
                                  "404": {"description": "no such day or paper"}}}}


def _param(name: str, where: str, description: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "description": description,
            "schema": {"type": "string", **schema}}


def openapi(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the JSON API (served at ``/api/openapi.json``)."""
    date = _param("date", "path", "announcement date, YYYY-MM-DD", format="date")
    return {
        "openapi": "3.1.0",
        "info": {"title": "paperradar", "version": version,
                 "description": "Read-only JSON API of a paperradar store; schemas as in docs/digest.md "
                                "and docs/web.md."},
        "paths": {
            "/api/days": _get("Every listed day with counts and repeat flags", [],
                              "as `paperradar stats --json`"),
            "/api/day/{date}": _get("One day's digest", [date, _param("lang", "query", "summary language")],
                                    "the JSON digest, schema_version 1"),
            "/api/paper/{arxiv_id}": _get(
                "One paper", [_param("arxiv_id", "path", "arXiv id without version")],
                "paper, summaries, versions and similar papers"),
            "/api/search": _get("Hybrid keyword and semantic search", [
                _param("q", "query", "the query", required=True, maxLength=300),
                _param("mode", "query", "hybrid, bm25 or dense"),
                _param("category", "query", "arXiv category or archive"),
                _param("author", "query", "author name contains"),
                _param("since", "query", "listed on or after", format="date"),
                _param("until", "query", "listed on or before", format="date"),
                _param("k", "query", "results at most (1-200)")], "as `paperradar search --json`"),
        },
    }
