"""``paperradar search``: load the index next to the store, filter, rank, explain.

This module joins the pieces: the on-disk index (:mod:`paperradar.index.state`),
the ranker (:mod:`paperradar.index.hybrid`), metadata filters, and snippets
that show where the query terms occur in each abstract.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from paperradar.embed import Embedder, make_embedder
from paperradar.index.bm25 import BM25
from paperradar.index.dense import FlatIndex, IVFIndex, VectorStore
from paperradar.index.hybrid import Params, Ranker
from paperradar.index.state import DocInfo, SearchIndexError, read_docs, read_state
from paperradar.index.text import query_terms, stem, words
from paperradar.store.base import Store

IVF_THRESHOLD = 300_000  # above this many papers the dense side is approximate (IVF)
SNIPPET_WORDS = 32


@dataclass
class Result:
    rank: int
    arxiv_id: str
    date: str
    title: str
    categories: list[str]
    score: float
    snippet: str
    matched: list[str]
    bm25: float
    cosine: float | None

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=200_000)
def _token_stems(token: str) -> tuple[str, ...]:
    return tuple(stem(w.lower()) for w in words(token))


def snippet(text: str, qterms: set[str], width: int = SNIPPET_WORDS) -> tuple[str, list[str]]:
    """The ``width``-word window of ``text`` holding the most query terms, and the
    words in it that matched (as written in the text)."""
    tokens = text.split()
    if not tokens:
        return "", []
    hits = [any(s in qterms for s in _token_stems(tok)) for tok in tokens]
    best, best_count = 0, -1
    counts = np.concatenate([[0], np.cumsum(hits)])
    for start in range(0, max(1, len(tokens) - width + 1)):
        window = counts[min(start + width, len(tokens))] - counts[start]
        if window > best_count:
            best, best_count = start, int(window)
    chosen = tokens[best:best + width]
    matched = list(dict.fromkeys(
        w for tok, hit in zip(chosen, hits[best:best + width], strict=True) if hit
        for w, s in zip(words(tok), _token_stems(tok), strict=True) if s in qterms))
    prefix = "… " if best else ""
    suffix = " …" if best + width < len(tokens) else ""
    return prefix + " ".join(chosen) + suffix, matched


class SearchIndex:
    """A loaded, read-only snapshot of the index for one store."""

    def __init__(self, store: Store, docs: list[DocInfo], ranker: Ranker, space: str) -> None:
        self.store = store
        self.docs = docs
        self.ranker = ranker
        self.space = space
        self.dates = np.array([d.date for d in docs], dtype="<U10")

    @classmethod
    def open(cls, store: Store, folder: Path, embedder: Embedder | None = None,
             params: Params | None = None, dense: bool = True) -> SearchIndex:
        state = read_state(folder)
        if state is None:
            raise SearchIndexError(f"no search index at {folder}; run `paperradar index`")
        docs = read_docs(folder)
        loaded = BM25.load_counts(folder)
        if loaded is None or loaded[0].shape[0] != len(docs):
            raise SearchIndexError(f"search index at {folder} is incomplete; run `paperradar index`")
        bm25 = BM25(*loaded)
        index, embed_query, space = None, None, ""
        meta = VectorStore(folder).meta()
        if dense and meta is not None and docs:
            space = meta["space"]
            keys, vectors = VectorStore(folder).load()
            row_of = {key: row for row, key in enumerate(keys)}
            rows = [row_of.get((d.arxiv_id, d.digest)) for d in docs]
            if all(r is not None for r in rows):
                matrix = np.asarray(vectors[rows])
                index = FlatIndex(matrix) if len(docs) <= IVF_THRESHOLD else IVFIndex(matrix)
                lazy: dict[str, Embedder] = {}

                def embed_query(text: str) -> np.ndarray:
                    if "e" not in lazy:
                        lazy["e"] = embedder or make_embedder(state.get("embedder"))
                        if lazy["e"].space != space:
                            raise SearchIndexError(f"index vectors are from {space}, the embedder is "
                                              f"{lazy['e'].space}; run `paperradar index`")
                    return lazy["e"].embed([text])[0]
        return cls(store, docs, Ranker(bm25, index, embed_query, params), space)

    def mask(self, since: str | None = None, until: str | None = None, category: str | None = None,
             author: str | None = None) -> np.ndarray | None:
        """Rows allowed by the filters (``None`` when there are none)."""
        if not any((since, until, category, author)):
            return None
        allowed = np.ones(len(self.docs), dtype=bool)
        if since:
            allowed &= self.dates >= since
        if until:
            allowed &= (self.dates <= until) & (self.dates != "")
        if category:
            want = category.lower()
            allowed &= np.array([any(c.lower() == want or c.lower().startswith(want + ".")
                                     for c in d.categories) for d in self.docs], dtype=bool)
        if author:
            needle = " ".join(author.lower().split())
            allowed &= np.array([any(needle in a.lower() for a in d.authors) for d in self.docs], dtype=bool)
        return allowed

    def search(self, query: str, k: int = 20, mode: str = "hybrid", since: str | None = None,
               until: str | None = None, category: str | None = None,
               author: str | None = None) -> list[Result]:
        allowed = self.mask(since, until, category, author)
        hits = self.ranker.search(query, k=k, mode=mode, allowed=allowed)
        papers = self.store.get_papers([self.docs[h.row].arxiv_id for h in hits])
        qterms = set(query_terms(query))
        results = []
        for rank, hit in enumerate(hits, 1):
            doc = self.docs[hit.row]
            paper = papers.get(doc.arxiv_id)
            title = " ".join(paper.title.split()) if paper else ""
            text, matched = snippet(" ".join(paper.abstract.split()) if paper else "", qterms)
            title_matched = [w for w in words(title) if stem(w.lower()) in qterms]
            results.append(Result(rank, doc.arxiv_id, doc.date, title, list(doc.categories),
                                  round(hit.score, 4), text, list(dict.fromkeys(title_matched + matched)),
                                  round(hit.bm25, 4),
                                  None if hit.cosine is None else round(hit.cosine, 4)))
        return results


def results_json(query: str, mode: str, results: list[Result], note: str | None = None) -> str:
    return json.dumps({"query": query, "mode": mode, "count": len(results), "note": note,
                       "results": [r.as_dict() for r in results]}, ensure_ascii=False)
