"""Ranking: BM25, dense, and their fusion, with a relevance floor.

Fusion (mode ``hybrid``): each retriever proposes its ``depth`` best papers;
for the union both scores are computed exactly, each is standardised
(z-score over the candidates), and they are mixed convexly with weight
``alpha`` on BM25. Optionally the query vector is moved towards the top
fused papers (Rocchio pseudo-relevance feedback) and the dense side re-scored.

Relevance floor (see docs/search.md): results are cut, never padded.
1. Every result must match the query lexically (BM25 > 0) or be semantically
   closer than chance: cosine >= ``floor_cos``, calibrated as a high
   percentile of cosines between queries and unrelated papers.
2. Short queries (1-2 content terms) must match lexically. An embedding of
   a single rare word is unreliable ("disentanglement" sits next to
   "entanglement"); only when no query term occurs in the corpus at all do
   semantic matches above ``floor_cos_strict`` stand in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from paperradar.blas import one_blas_thread
from paperradar.index import MODES
from paperradar.index.bm25 import BM25
from paperradar.index.dense import FlatIndex, IVFIndex, top_k
from paperradar.index.passages import PassageIndex
from paperradar.index.text import query_terms, query_text


@dataclass(frozen=True)
class Params:
    alpha: float = 0.5         # weight of standardised BM25 in the fused score
    depth: int = 200           # candidates taken from each retriever
    prf_docs: int = 0          # Rocchio feedback: top fused papers averaged into the query vector
    prf_beta: float = 0.0      # weight of that average
    floor_cos: float = 0.39    # semantic-only matches below this cosine are cut
    floor_cos_strict: float = 0.51
    short_terms: int = 2       # queries with at most this many content terms must match lexically


@dataclass(frozen=True)
class Hit:
    row: int
    score: float
    bm25: float
    cosine: float | None


def _z(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return values
    std = float(values.std())
    return (values - float(values.mean())) / (std if std > 1e-9 else 1.0)


class Ranker:
    """Ranks rows of one in-memory snapshot; ``allowed`` masks rows out (filters)."""

    def __init__(self, bm25: BM25, dense: FlatIndex | IVFIndex | None,
                 embed_query: Callable[[str], np.ndarray] | None, params: Params | None = None,
                 passages: PassageIndex | None = None) -> None:
        self.bm25 = bm25
        self.dense = dense
        self.embed_query = embed_query
        self.params = params or Params()
        self.passages = passages  # re-scores the dense side of the candidates (max-sim)

    def _similarity(self, qvec: np.ndarray, cands: np.ndarray, cos: np.ndarray) -> np.ndarray:
        """The dense score that ranks: ``cos`` (whole text), or its mean with the best passage."""
        return cos if self.passages is None else self.passages.similarity(qvec, cands, cos)

    @property
    def has_dense(self) -> bool:
        return self.dense is not None and self.embed_query is not None and len(self.dense) > 0

    def search(self, query: str, k: int = 20, mode: str = "hybrid",
               allowed: np.ndarray | None = None) -> list[Hit]:
        """The best ``k`` rows for ``query`` above the relevance floor, best first."""
        with one_blas_thread():
            return self._search(query, k, mode, allowed)

    def _search(self, query: str, k: int, mode: str, allowed: np.ndarray | None) -> list[Hit]:
        p = self.params
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if mode != "bm25" and not self.has_dense:
            mode = "bm25"
        qterms = query_terms(query)
        known = self.bm25.term_ids(qterms)
        lexical = self.bm25.scores(qterms) if known else np.zeros(self.bm25.n_docs, np.float32)
        if allowed is not None:
            lexical = np.where(allowed, lexical, 0.0).astype(np.float32)
        depth = max(p.depth, k)  # never fewer candidates than results asked for
        lex_cands = top_k(lexical, depth)
        lex_cands = lex_cands[lexical[lex_cands] > 0]
        if mode == "bm25" or k <= 0:
            return [Hit(int(r), float(lexical[r]), float(lexical[r]), None) for r in lex_cands[:max(k, 0)]]

        text = query_text(query)
        if not text:
            return []
        dense, embed_query = self.dense, self.embed_query
        if dense is None or embed_query is None:  # has_dense said otherwise above
            raise RuntimeError("dense search asked of a ranker without vectors")
        qvec = embed_query(text)
        cands = self._dense_candidates(qvec, allowed, lex_cands, depth)
        cos = dense.score(qvec, cands)
        sim = self._similarity(qvec, cands, cos)
        lex = lexical[cands]
        if mode == "dense":
            fused = sim
        else:
            fused = p.alpha * _z(lex) + (1 - p.alpha) * _z(sim)
            if p.prf_docs > 0 and p.prf_beta > 0 and len(cands):
                top = cands[top_k(fused, p.prf_docs)]
                centroid = dense.vectors_of(top).mean(axis=0)
                qvec = qvec + p.prf_beta * centroid
                qvec = qvec / max(float(np.linalg.norm(qvec)), 1e-9)
                cands = self._dense_candidates(qvec, allowed, lex_cands, depth)
                lex = lexical[cands]
                cos = dense.score(qvec, cands)
                fused = p.alpha * _z(lex) + (1 - p.alpha) * _z(self._similarity(qvec, cands, cos))
        keep = self._floor(qterms, known, lex, cos)
        order = np.argsort(-np.where(keep, fused, -np.inf), kind="stable")[: int(keep.sum())][:k]
        return [Hit(int(cands[i]), float(fused[i]), float(lex[i]), float(cos[i])) for i in order]

    def _dense_candidates(self, qvec: np.ndarray, allowed: np.ndarray | None,
                          lex_cands: np.ndarray, depth: int) -> np.ndarray:
        if isinstance(self.dense, FlatIndex):
            scores = self.dense.all_scores(qvec)
            if allowed is not None:
                scores = np.where(allowed, scores, -np.inf)
            rows = top_k(scores, depth)
            rows = rows[np.isfinite(scores[rows])]
        elif self.dense is None:
            return lex_cands.astype(np.int64)
        else:
            rows, _ = self.dense.search(qvec, depth if allowed is None else depth * 8)
            if allowed is not None:
                rows = rows[allowed[rows]][:depth]
        return np.union1d(rows, lex_cands).astype(np.int64)

    def _floor(self, qterms: list[str], known: list[int], lex: np.ndarray, cos: np.ndarray) -> np.ndarray:
        p = self.params
        has_lex = lex > 0
        if len(qterms) <= p.short_terms:
            return has_lex if known else cos >= p.floor_cos_strict
        return has_lex | (cos >= p.floor_cos)
