"""``paperradar search``: load the index next to the store, filter, rank, explain.

This module joins the pieces: the on-disk index (:mod:`paperradar.index.state`),
the ranker (:mod:`paperradar.index.hybrid`), metadata filters, and snippets
that show where the query terms occur in each abstract.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperradar.embed import Embedder, make_embedder
from paperradar.errors import EmbeddingError, IndexDamaged, SearchIndexError
from paperradar.index.bm25 import BM25, weigh
from paperradar.index.dense import FlatIndex, IVFIndex, VectorStore
from paperradar.index.hybrid import Params, Ranker
from paperradar.index.passages import INT8_ROWS, PassageIndex
from paperradar.index.shared import open_shared, trim_memory
from paperradar.index.snippets import snippet
from paperradar.index.state import (
    STATE,
    CatchUpReport,
    DocInfo,
    Health,
    Progress,
    catch_up,
    check,
    read_state,
    staleness,
    store_generation,
    update_index,
)
from paperradar.index.text import query_terms, stem, words
from paperradar.store.base import Store

IVF_THRESHOLD = 300_000  # above this many papers the dense side is approximate (IVF)


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


class SearchIndex:
    """A loaded, read-only snapshot of the index for one store.

    ``mode_for(requested)`` is the mode results really come in: ``bm25`` whenever
    the dense side is unusable, with the reason in ``degraded``; ``note`` says
    when the index is behind the store; ``caught_up`` is the report of the
    catch-up :meth:`open` ran, if any."""

    def __init__(self, store: Store, docs: list[DocInfo], ranker: Ranker, space: str,
                 degraded: str | None = None, note: str | None = None,
                 caught_up: CatchUpReport | None = None) -> None:
        self.store = store
        self.docs = docs
        self.ranker = ranker
        self.space = space
        self.degraded = degraded
        self.note = note
        self.caught_up = caught_up
        self.dates = np.array([d.date for d in docs], dtype="<U10")

    @classmethod
    def open(cls, store: Store, folder: Path, embedder: Embedder | None = None,
             params: Params | None = None, dense: bool = True, catch_up_below: int = 0,
             progress: Progress | None = None, share: bool = True) -> SearchIndex:
        """Check the index in ``folder`` and load it. When it is behind the store, or
        damaged, by less than ``catch_up_below`` papers' work (0: never), it is caught
        up (and repaired) first, with the embedder it was built with; if that fails
        (a read-only folder, no model) the index is used as it is, with a note. A damaged keyword index
        raises :class:`IndexDamaged`; a damaged or missing dense side gives a
        keyword-only index that says so in ``degraded``. With ``share`` the query-time arrays
        (BM25 weights, float32 vectors) are memory-mapped from files derived once into the
        index folder (:mod:`paperradar.index.shared`), so processes share them."""
        health = check(folder)
        report, failed = None, None
        work = _pending_work(store, health)
        if work is not None and work < catch_up_below:
            state = (health.state or read_state(folder)) if folder.is_dir() else None
            wants_dense = dense and (bool(state.get("dense", True)) if state else True)
            spec = state.get("embedder") if state else None
            try:
                if wants_dense and embedder is not None:
                    report = catch_up(store, folder, embedder, progress, spec=spec)
                else:
                    report = update_index(store, folder, spec, dense=wants_dense, progress=progress)
            except (OSError, EmbeddingError, SearchIndexError) as exc:  # read-only, no model: as is
                failed = f"automatic catch-up failed ({exc})"
            health = check(folder)
        state = health.state
        if state is None or not health.keyword_ok:
            if not folder.exists() or (folder.is_dir() and not (folder / STATE).exists()):
                raise SearchIndexError(f"no search index at {folder}; run `paperradar index`")
            why = f" ({failed})" if failed else ""
            raise IndexDamaged(f"search index at {folder} is damaged: {health.summary('index', 'keyword')}; "
                               f"run `paperradar index` to repair it{why}", health.problems)
        docs, vocab = health.docs or [], health.vocab
        assert vocab is not None
        note = "; ".join(n for n in (staleness(store, folder), failed) if n) or None
        index: FlatIndex | IVFIndex | None = None
        embed_query, space, degraded = None, "", None
        passage_index: PassageIndex | None = None
        if not dense:
            degraded = None
        elif not health.dense_wanted:
            degraded = "the index has no dense vectors (built with --no-dense); keyword-only results"
        elif not health.dense_ok:
            degraded = (f"dense index damaged ({health.summary('dense')}); keyword-only results; "
                        "run `paperradar index`")
        with_dense = dense and degraded is None and bool(docs)
        vectors = VectorStore(folder)

        def dense_rows() -> np.ndarray:
            keys, matrix_rows = vectors.load()
            row_of = {key: row for row, key in enumerate(keys)}
            return np.asarray(matrix_rows[[row_of[(d.arxiv_id, d.digest)] for d in docs]], dtype=np.float32)

        def counts() -> sp.csr_matrix:
            matrix = health.count_matrix()
            assert matrix is not None
            return matrix

        meta = (vectors.meta() or {}) if with_dense else {}  # read once
        space, dim = str(meta.get("space", "")), int(meta.get("dim", 0))

        def passages() -> PassageIndex | None:  # papers still without passages score by their text
            return PassageIndex.load(folder, [(d.arxiv_id, d.digest) for d in docs], space, dim)

        def coded_passages() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            found = passages()
            if found is None or found.codes is None:
                return (np.zeros((len(docs), 1, max(dim, 1)), np.int8), np.zeros((len(docs), 1), np.float32),
                        np.zeros(len(docs), bool))
            return found.in_document_order()

        share_passages = with_dense and bool(state.get("passages")) and len(docs) <= INT8_ROWS
        # the counts are stacked from the segments only when the weights must be derived
        shared = open_shared(folder, lambda: weigh(counts(), len(vocab)), dense_rows,
                             with_dense and len(docs) <= IVF_THRESHOLD,
                             coded_passages if share_passages else None) if share else None
        if shared is not None:
            bm25 = BM25.from_parts(shared.postings, shared.idf, vocab)
        else:
            bm25 = BM25(counts(), vocab)
        health.drop_counts()  # the weights replace the counts: freed before the index is used
        trim_memory()
        if with_dense:
            if shared is not None and shared.vectors is not None:
                index = FlatIndex(shared.vectors)
            else:
                matrix = dense_rows()
                index = FlatIndex(matrix) if len(docs) <= IVF_THRESHOLD else IVFIndex(matrix)
            if shared is not None and shared.passages is not None:
                coded = PassageIndex.from_codes(*shared.passages)
                passage_index = coded if len(coded) else None
            elif state.get("passages"):
                passage_index = passages()
            lazy: dict[str, Embedder] = {}

            def embed_query(text: str) -> np.ndarray:
                if "e" not in lazy:
                    chosen = embedder or make_embedder(state.get("embedder"))
                    if chosen.space != space:
                        raise SearchIndexError(f"index vectors are from {space}, the embedder is "
                                               f"{chosen.space}; run `paperradar index`")
                    lazy["e"] = chosen
                    trim_memory()  # a model load leaves ~60 MB of freed heap behind
                return lazy["e"].embed([text])[0]
        ranker = Ranker(bm25, index, embed_query, params, passages=passage_index)
        return cls(store, docs, ranker, space, degraded, note, report)

    def mode_for(self, mode: str) -> str:
        """The mode results for a ``mode`` request really come in."""
        return mode if mode == "bm25" or self.ranker.has_dense else "bm25"

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
        try:
            hits = self.ranker.search(query, k=k, mode=self.mode_for(mode), allowed=allowed)
        except (EmbeddingError, SearchIndexError) as exc:  # no query vector: say so, use keywords
            self.degraded = f"query embedding failed ({exc}); keyword-only results"
            self.ranker.dense = None
            hits = self.ranker.search(query, k=k, mode="bm25", allowed=allowed)
        papers = self.store.get_papers([self.docs[h.row].arxiv_id for h in hits])
        qterms = set(query_terms(query))
        memo: dict[str, bool] = {}
        results = []
        for rank, hit in enumerate(hits, 1):
            doc = self.docs[hit.row]
            paper = papers.get(doc.arxiv_id)
            title = " ".join(paper.title.split()) if paper else ""
            text, matched = snippet(" ".join(paper.abstract.split()) if paper else "", qterms, memo=memo)
            title_matched = [w for w in words(title) if stem(w.lower()) in qterms]
            results.append(Result(rank, doc.arxiv_id, doc.date, title, list(doc.categories),
                                  round(hit.score, 4), text, list(dict.fromkeys(title_matched + matched)),
                                  round(hit.bm25, 4),
                                  None if hit.cosine is None else round(hit.cosine, 4)))
        return results


def _pending_work(store: Store, health: Health) -> int | None:
    """Papers a catch-up would have to tokenise or embed, or ``None`` when the index is
    current and intact: the store gap when behind, every paper when the keyword index
    must be rebuilt, the papers without vectors when the dense side is damaged."""
    state = health.state
    behind = state is None or state.get("generation") != store_generation(store)
    if not behind and health.ok:
        return None
    papers = store.count_papers()
    if state is None or not health.keyword_ok:
        return papers
    work = abs(papers - int(state.get("papers", 0))) if behind else 0
    if health.dense_wanted and not health.dense_ok:
        work += health.dense_missing or papers
    return work


def results_json(query: str, mode: str, results: list[Result], note: str | None = None,
                 requested: str | None = None, degraded: str | None = None) -> str:
    """``mode`` is the mode results came in (see :meth:`SearchIndex.mode_for`),
    ``requested`` the one asked for, ``degraded`` why they differ."""
    notes = "; ".join(n for n in (degraded, note) if n) or None
    return json.dumps({"query": query, "mode": mode, "requested_mode": requested or mode,
                       "degraded": degraded, "count": len(results), "note": notes,
                       "results": [r.as_dict() for r in results]}, ensure_ascii=False)
