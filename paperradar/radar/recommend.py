"""``recommend``: the papers listed in a window, ranked for one profile, cut where they stop mattering.

Joins the pieces: the profile and its library (:mod:`profiles`), feedback, the index's vectors and
term counts (:mod:`features`), the ranker (:mod:`rank`) and the seen history (:mod:`seen`). A
profile with nothing to rank by (no library, interests, keywords, authors or categories) gets the
window's trending papers instead, as Hugging Face's daily e-mail does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from paperradar import config
from paperradar.clock import now_iso
from paperradar.days import latest_listed_day
from paperradar.errors import ProfileError
from paperradar.models import Paper
from paperradar.radar import features, seen
from paperradar.radar.profiles import Profile, load_profile
from paperradar.radar.rank import Params, Ranker, Wants
from paperradar.store.base import Store

BACKGROUND = 1200  # sampled other papers: half negatives for the classifier, half for calibration


@dataclass
class Recommendation:
    profile: str
    window: tuple[str, str]
    candidates: int
    threshold: float
    papers: list[dict] = field(default_factory=list)
    mode: str = "profile"  # or "trending"
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> list[dict]:
        return self.papers


def window_dates(store: Store, date: str | None, since: str | None) -> list[str]:
    dates = store.listing_dates()
    if since:
        return [d for d in dates if d >= since]
    day = date or latest_listed_day(store)
    return [day] if day in dates else []


def _candidates(store: Store, dates: list[str]) -> tuple[list[Paper], dict[str, str]]:
    ids: dict[str, str] = {}
    for d in dates:
        for listing in store.listings_on(d):
            ids.setdefault(listing.arxiv_id, d)
    papers = store.get_papers(list(ids))
    return [papers[i] for i in ids if i in papers], ids


def _seed(name: str) -> int:
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16)


def _entry(p: Paper, date: str, score: float, pct: float | None, why: str, signals: dict,
           updated: bool) -> dict:
    return {"id": p.arxiv_id, "title": " ".join(p.title.split()), "score": score, "why": why,
            "percentile": pct, "date": date, "authors": list(p.authors), "categories": list(p.categories),
            "version": p.version, "updated": updated, "url": p.abs_url, "signals": signals}


def _trending(store: Store, papers: list[Paper], dates: dict[str, str], k: int) -> list[dict]:
    """Stand-in until paperradar.trending lands: code-link stars, then cross-list breadth."""
    links = store.code_links_for([p.arxiv_id for p in papers])

    def key(p: Paper) -> tuple:
        link = links.get(p.arxiv_id)
        return (-(link.stars or 0) if link else 0, -len(p.categories), p.arxiv_id)

    out = []
    for p in sorted(papers, key=key)[:k]:
        link = links.get(p.arxiv_id)
        why = f"trending: {link.stars} stars on its code" if link and link.stars else \
            f"trending: listed in {len(p.categories)} categories"
        out.append(_entry(p, dates[p.arxiv_id], 0.0, None, why, {}, False))
    return out


def recommend(store: Store, name: str, *, date: str | None = None, since: str | None = None, k: int = 20,
              only_unseen: bool = False, folder: Path | None = None, params: Params | None = None,
              now: str | None = None, embedder: features.Embedder | None = None) -> Recommendation:
    """Rank the papers listed on ``date`` (default: the newest day) or since ``since`` for profile
    ``name``; at most ``k``, fewer when fewer clear the profile's calibrated threshold."""
    profile = load_profile(store, name)
    dates = window_dates(store, date, since)
    if not dates:
        raise ProfileError(f"no listings on {date or since}; see `paperradar stats`")
    papers, first = _candidates(store, dates)
    result = Recommendation(name, (dates[0], dates[-1]), len(papers), 0.0)
    updated: set[str] = set()
    if only_unseen:
        papers, updated = seen.unseen(store, name, papers)
    items = store.library_items(name)
    verdicts = {f.arxiv_id: f.verdict for f in store.feedback_for(name)}
    if not (profile.has_interests or items or any(v != "down" for v in verdicts.values())):
        result.mode = "trending"
        result.papers = _trending(store, papers, first, k)
    else:
        result.papers, result.threshold = _rank(store, profile, items, verdicts, papers, first, k, folder,
                                                params, embedder, updated, result.notes)
    if only_unseen and result.papers:
        shown = store.get_papers([e["id"] for e in result.papers])
        seen.record_shown(store, name, list(shown.values()), now or now_iso())
    return result


def _rank(store: Store, profile: Profile, items: list, verdicts: Mapping[str, str], papers: list[Paper],
          first: dict[str, str], k: int, folder: Path | None, params: Params | None,
          embedder: features.Embedder | None, updated: set[str],
          notes: list[str]) -> tuple[list[dict], float]:
    if folder is None:
        data_dir = config.data_dir_for(store.location)
        if data_dir is None:
            raise ProfileError("an in-memory store has no data folder for the search index; pass --data-dir")
        folder = data_dir / "index"
    data = features.load_index(folder)
    cache = features.EmbeddingCache(folder.parent / "radar" / "embeddings.npz", data, embedder)
    ups = [i for i, v in verdicts.items() if v in ("up", "save")]
    downs = [i for i, v in verdicts.items() if v == "down"]
    stored = store.get_papers([i.arxiv_id for i in items if i.arxiv_id] + ups + downs)
    library = features.items_corpus(data, cache, items, stored)
    up_c = features.papers_corpus(data, cache, [stored[i] for i in ups if i in stored])
    down_c = features.papers_corpus(data, cache, [stored[i] for i in downs if i in stored])
    exclude = set(first) | set(library.ids) | set(ups) | set(downs)
    background = features.background_corpus(data, exclude, BACKGROUND, _seed(profile.name))
    interest = None
    if profile.interests.strip():
        interest = cache.embed([profile.interests.strip()])[0]
    wants = Wants(profile.keywords, profile.exclude, profile.authors, profile.categories, interest,
                  data.vocab.ids)
    cands = features.papers_corpus(data, cache, papers, first)
    cache.save()
    ranker = Ranker(library, background, wants, params, up_c, down_c, seed=_seed(profile.name))
    if not len(library) and not len(up_c):
        notes.append("no library or thumbs-up yet: ranked by keywords, interests, authors and categories")
    scored = ranker.score(cands)[:k]
    by_row = {i: p for i, p in enumerate(papers)}
    out = [_entry(by_row[s.row], first[by_row[s.row].arxiv_id], s.score, s.percentile,
                  ("updated: " if by_row[s.row].arxiv_id in updated else "") + s.why, _clean(s.signals),
                  by_row[s.row].arxiv_id in updated) for s in scored]
    return out, round(ranker.threshold, 4)


def _clean(signals: dict) -> dict:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in signals.items()}
