"""The ranker's inputs, taken from the search index instead of computed again.

The index (``paperradar.config.data_dir_for(store.location) / "index"``) already holds a MiniLM
vector and term counts for every indexed paper, keyed by arXiv id and the hash of the indexed
text. A candidate or library paper whose (id, hash) is there reuses both; only papers the index
has not seen yet (or whose text changed since) and text-only library items are tokenised and
embedded here. Those embeddings (and the embedded interest texts) are cached in
``<data folder>/radar/embeddings.npz`` keyed by text hash and embedding space, so a warm ranking
loads no model at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperradar.embed import Embedder, make_embedder
from paperradar.errors import SearchIndexError
from paperradar.index.bm25 import Vocabulary, count_matrix
from paperradar.index.dense import VectorStore
from paperradar.index.state import DocInfo, content_hash, document_text, read_keyword, read_state
from paperradar.models import LibraryItem, Paper
from paperradar.radar.rank import Corpus

MAX_EMBED_ON_THE_FLY = 400  # papers; more than this missing from the index: run `paperradar index`


@dataclass
class IndexData:
    folder: Path
    docs: list[DocInfo]
    row_of: dict[tuple[str, str], int]
    counts: sp.csr_matrix
    vocab: Vocabulary
    idf: np.ndarray
    vectors: np.ndarray  # aligned with docs
    space: str
    embedder_spec: str | None

    def tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf x idf, rows L2-normalised (what arxiv-sanity-lite feeds its SVM)."""
        m = counts.tocsr().astype(np.float32, copy=True)
        if m.shape[1] < len(self.idf):
            m.resize((m.shape[0], len(self.idf)))
        elif m.shape[1] > len(self.idf):
            m = m[:, :len(self.idf)]
        m.data = np.log1p(m.data)
        m = m.multiply(self.idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms).dot(m).tocsr()


_cache: dict[tuple, IndexData] = {}
_lock = threading.Lock()


def _stamp(folder: Path) -> tuple:
    names = ("state.json", "dense_keys.tsv", "dense_vectors.f16")  # state.json lists every keyword segment
    return tuple((folder / n).stat().st_mtime_ns if (folder / n).exists() else 0 for n in names)


def load_index(folder: Path) -> IndexData:
    """The index at ``folder`` in memory; reloaded only when its files change (warm calls are free)."""
    key = (str(folder), _stamp(folder))
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
    state = read_state(folder)
    if state is None:
        raise SearchIndexError(f"no search index at {folder}; run `paperradar index` (recommend reuses "
                               "its vectors)")
    docs, counts, vocab = read_keyword(folder)
    if counts.shape[0] != len(docs):
        raise SearchIndexError(f"search index at {folder} is incomplete; run `paperradar index`")
    meta = VectorStore(folder).meta()
    if meta is None:
        raise SearchIndexError(f"search index at {folder} has no vectors; run `paperradar index` without "
                               "--no-dense")
    keys, vecs = VectorStore(folder).load()
    vrow = {k: i for i, k in enumerate(keys)}
    rows = [vrow.get((d.arxiv_id, d.digest), -1) for d in docs]
    dim = int(meta["dim"])
    vectors = np.zeros((len(docs), dim), dtype=np.float32)
    have = np.array([r >= 0 for r in rows], dtype=bool)
    if have.any():
        vectors[have] = np.asarray(vecs[[r for r in rows if r >= 0]], dtype=np.float32)
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    row_of = {(d.arxiv_id, d.digest): i for i, d in enumerate(docs) if have[i]}
    data = IndexData(folder, docs, row_of, counts, vocab, idf.astype(np.float32), vectors, meta["space"],
                     state.get("embedder"))
    with _lock:
        _cache.clear()
        _cache[key] = data
    return data


class EmbeddingCache:
    """Vectors for texts the index does not hold, by (text hash, space), in one small npz file."""

    def __init__(self, path: Path | None, data: IndexData, embedder: Embedder | None = None) -> None:
        self.path = path
        self.data = data
        self._embedder = embedder
        self.vectors: dict[str, np.ndarray] = {}
        self.dirty = False
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    if str(z["space"]) == data.space:
                        self.vectors = dict(zip([str(k) for k in z["keys"]], z["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self.vectors = {}

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.data.embedder_spec)
        if self._embedder.space != self.data.space:
            raise SearchIndexError(f"index vectors are from {self.data.space}, the embedder is "
                                   f"{self._embedder.space}; run `paperradar index`")
        return self._embedder

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [content_hash(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        if missing:
            if len(missing) > MAX_EMBED_ON_THE_FLY:
                raise SearchIndexError(f"{len(missing)} papers are not in the search index; run "
                                       "`paperradar index` first")
            fresh = self.embedder().embed([texts[i] for i in missing])
            for i, v in zip(missing, fresh, strict=True):
                self.vectors[keys[i]] = np.asarray(v, dtype=np.float16)
            self.dirty = True
        dim = len(self.data.vectors[0]) if len(self.data.vectors) else 384
        if not keys:
            return np.zeros((0, dim), dtype=np.float32)
        return np.vstack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        keys = list(self.vectors)
        np.savez(tmp, keys=np.array(keys), space=np.array(self.data.space),
                 vectors=np.vstack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 1)))
        tmp.replace(self.path)
        self.dirty = False


def _build(data: IndexData, cache: EmbeddingCache, ids: list[str], texts: list[str], titles: list[str],
           authors: list[tuple[str, ...]], categories: list[tuple[str, ...]], dates: list[str]) -> Corpus:
    rows = [data.row_of.get((i, content_hash(t)), -1) if i else -1 for i, t in zip(ids, texts, strict=True)]
    missing = [n for n, r in enumerate(rows) if r < 0]
    dense = np.zeros((len(ids), data.vectors.shape[1]), dtype=np.float32)
    have = [n for n, r in enumerate(rows) if r >= 0]
    if have:
        dense[have] = data.vectors[[rows[n] for n in have]]
    width = data.counts.shape[1]
    parts = [data.counts[[rows[n] for n in have]]] if have else []
    if missing:
        vocab = Vocabulary(data.vocab.words)  # a copy: unseen words get ids past the index's and are cut
        parts.append(_pad(count_matrix([texts[n] for n in missing], vocab)[:, :width], width))
        dense[missing] = cache.embed([texts[n] for n in missing])
    stacked = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, width), dtype=np.float32)
    position = np.empty(len(ids), dtype=np.int64)  # row i of the result is row position[i] of stacked
    position[have + missing] = np.arange(len(ids))
    sparse = data.tfidf(stacked[position])
    return Corpus(list(ids), dense, sparse, texts, titles, authors, categories, dates)


def _pad(m: sp.csr_matrix, width: int) -> sp.csr_matrix:
    m = m.tocsr()
    m.resize((m.shape[0], width))
    return m


def papers_corpus(data: IndexData, cache: EmbeddingCache, papers: Sequence[Paper],
                  dates: dict[str, str] | None = None) -> Corpus:
    dates = dates or {}
    return _build(data, cache, [p.arxiv_id for p in papers], [document_text(p) for p in papers],
                  [" ".join(p.title.split()) for p in papers], [tuple(p.authors) for p in papers],
                  [tuple(p.categories) for p in papers],
                  [dates.get(p.arxiv_id) or (p.updated or p.submitted or "")[:10] for p in papers])


def items_corpus(data: IndexData, cache: EmbeddingCache, items: Sequence[LibraryItem],
                 stored: dict[str, Paper]) -> Corpus:
    """Library items: those matched to a stored paper use its indexed text (and so its vector)."""
    ids, texts, titles, authors, dates = [], [], [], [], []
    for it in items:
        paper = stored.get(it.arxiv_id) if it.arxiv_id else None
        if paper is not None:
            ids.append(paper.arxiv_id)
            texts.append(document_text(paper))
        else:
            ids.append("")
            texts.append(" ".join(f"{it.title}. {it.abstract}".split()))
        titles.append(it.title or (paper.title if paper else ""))
        authors.append(tuple(it.authors) or (tuple(paper.authors) if paper else ()))
        dates.append(it.date or "")
    return _build(data, cache, ids, texts, titles, authors, [() for _ in items], dates)


def background_corpus(data: IndexData, exclude: set[str], n: int, seed: int) -> Corpus:
    """A random sample of indexed papers outside ``exclude``: the negatives and the calibration set."""
    rng = np.random.default_rng(seed)
    pool = np.array([i for i, d in enumerate(data.docs)
                     if d.arxiv_id not in exclude and (d.arxiv_id, d.digest) in data.row_of], dtype=np.int64)
    rows = np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False)) if len(pool) else pool
    docs = [data.docs[r] for r in rows]
    return Corpus([d.arxiv_id for d in docs], data.vectors[rows], data.tfidf(data.counts[rows]),
                  ["" for _ in docs], ["" for _ in docs], [tuple(d.authors) for d in docs],
                  [tuple(d.categories) for d in docs], [d.date for d in docs])


def describe(data: IndexData) -> str:
    return json.dumps({"papers": len(data.docs), "space": data.space})
