"""Which papers a topic digest covers: the hybrid search, above its relevance floor,
restricted to the listing window and categories, newest listing first.

The selection is never padded: a query that only a dozen papers of the week match
gives a dozen-paper digest. The window is the papers' last listing dates as the index
records them, so a paper re-listed this week counts this week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta

import numpy as np

from paperradar.errors import DigestError
from paperradar.index.search import SearchIndex
from paperradar.models import Paper


@dataclass(frozen=True, slots=True)
class Window:
    since: str
    until: str


def window(index: SearchIndex, since: str | None, until: str | None, days: int | None) -> Window:
    """``--until`` (default: the newest listing date in the index), ``--since`` (default:
    ``days`` days ending on ``until``, 7 when neither is given)."""
    listed = sorted({d for d in index.dates.tolist() if d})
    if not listed:
        raise DigestError("the search index holds no listed papers; ingest and run `paperradar index`")
    end = until or listed[-1]
    if since is None:
        span = 7 if days is None else days
        if span < 1:
            raise DigestError(f"--days must be at least 1, not {span}")
        since = (Date.fromisoformat(end) - timedelta(days=span - 1)).isoformat()
    if since > end:
        raise DigestError(f"--since {since} is after --until {end}")
    return Window(since, end)


def category_mask(index: SearchIndex, categories: list[str] | None) -> np.ndarray | None:
    if not categories:
        return None
    wanted = [c.lower() for c in categories]
    return np.array([any(c.lower() == w or c.lower().startswith(w + ".")
                         for c in d.categories for w in wanted) for d in index.docs], dtype=bool)


@dataclass(frozen=True, slots=True)
class Selected:
    paper: Paper
    date: str
    score: float
    row: int


def select(index: SearchIndex, query: str, win: Window, n: int,
           categories: list[str] | None = None) -> list[Selected]:
    """At most ``n`` papers of the window relevant to ``query``, newest listing first
    (ties: more relevant first)."""
    if not query.strip():
        raise DigestError("the topic query is empty")
    if n < 1:
        raise DigestError(f"--n must be at least 1, not {n}")
    allowed = index.mask(since=win.since, until=win.until)
    cats = category_mask(index, categories)
    if cats is not None:
        allowed = cats if allowed is None else allowed & cats
    hits = index.ranker.search(query, k=n, mode="hybrid", allowed=allowed)
    papers = index.store.get_papers([index.docs[h.row].arxiv_id for h in hits])
    chosen = [Selected(papers[index.docs[h.row].arxiv_id], index.docs[h.row].date, h.score, h.row)
              for h in hits if index.docs[h.row].arxiv_id in papers]
    chosen.sort(key=lambda s: (s.date, s.score), reverse=True)
    return chosen


def vectors(index: SearchIndex, rows: list[int]) -> np.ndarray | None:
    """The index's unit MiniLM vectors of ``rows`` (``None`` for a keyword-only index)."""
    dense = index.ranker.dense
    if dense is None or not rows:
        return None
    return np.asarray(dense.vectors_of(np.asarray(rows, dtype=np.int64)), dtype=np.float32)
