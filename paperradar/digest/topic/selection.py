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
from paperradar.index.text import stem, words
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


# Words too general to require in a multi-word query ("graph neural *networks*" must match
# graph and neural; "diffusion *models*" is a one-word query).
_GENERIC = """a an the of for and or in on with to via model models modeling modelling learning method
methods approach approaches system systems network networks task tasks"""
GENERIC = frozenset(_GENERIC.split())


def _initials(ws: list[str]) -> str:
    return "".join(w[0] for w in ws).lower()


def covers(query: str, text: str) -> bool:
    """Whether ``text`` holds every content word of a multi-word ``query`` (stemmed), where a
    run of query words may also be written as its acronym ("llm" for "large language model",
    "gnn" for "graph neural networks"). One-word queries (after dropping the general words)
    always pass: the search's own floor decides for them."""
    qwords = [w.lower() for w in words(query)]
    content = [w for w in qwords if w not in GENERIC]
    if len(content) < 2:
        return True
    tokens = {w.lower() for w in words(text)}
    stems = {stem(w) for w in tokens}
    if all(stem(w) in stems for w in content):
        return True
    for i in range(len(qwords)):
        for j in range(len(qwords), i + 1, -1):
            acronym = _initials(qwords[i:j])
            if len(acronym) >= 3 and (acronym in tokens or acronym + "s" in tokens):
                rest = [w for w in qwords[:i] + qwords[j:] if w not in GENERIC]
                if all(stem(w) in stems for w in rest):
                    return True
    return False


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
    # a multi-word query also needs every content word (or its acronym) in the paper: the
    # floor alone lets through papers that match one word ("graph", "speech")
    strict = not covers(query, "")
    hits = index.ranker.search(query, k=n * 3 if strict else n, mode="hybrid", allowed=allowed)
    papers = index.store.get_papers([index.docs[h.row].arxiv_id for h in hits])
    chosen = []
    for h in hits:
        paper = papers.get(index.docs[h.row].arxiv_id)
        if paper is None or (strict and not covers(query, f"{paper.title} {paper.abstract}")):
            continue
        chosen.append(Selected(paper, index.docs[h.row].date, h.score, h.row))
        if len(chosen) >= n:
            break
    chosen.sort(key=lambda s: (s.date, s.score), reverse=True)
    return chosen


def vectors(index: SearchIndex, rows: list[int]) -> np.ndarray | None:
    """The index's unit MiniLM vectors of ``rows`` (``None`` for a keyword-only index)."""
    dense = index.ranker.dense
    if dense is None or not rows:
        return None
    return np.asarray(dense.vectors_of(np.asarray(rows, dtype=np.int64)), dtype=np.float32)
