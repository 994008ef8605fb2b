"""Passage vectors: each abstract's sentences embedded on their own, for max-sim scoring.

One vector per paper (title and abstract, cut at 256 word pieces) blurs a claim found in one
sentence with everything else the abstract says, and loses what comes after the cut. With
passages, a paper's dense similarity to a query is the mean of its whole-text cosine and the
best cosine of its passages: the abstract's sentences (grouped into at most :data:`PER_PAPER`
runs of consecutive sentences when there are more), each embedded alone. On SciFact test that
lifts dense-only nDCG@10 from 0.646 to 0.695 (docs/search.md, "Passages"), at the price of
embedding every abstract twice (its text, then its sentences) and 6 KB more a paper.

Storage: a second :class:`~paperradar.index.dense.VectorStore` in ``index/passages/``, keyed
exactly as the paper vectors (arXiv id, text hash), one row of ``PER_PAPER x dim`` float16 values
a paper; an abstract with fewer passages repeats its last one, which leaves the maximum
unchanged. It is append-only and checksummed like the paper vectors, so an interrupted catch-up
resumes where it stopped and a damaged row is dropped and embedded again.

Scoring is a re-ranking of candidates: the paper vectors choose the dense candidates (one
matrix-vector product), the passages only re-score the few hundred candidates of a query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from paperradar.embed import Embedder
from paperradar.enrich.sentences import split_sentences
from paperradar.errors import EmbeddingError
from paperradar.index.dense import META, Key, VectorStore

PER_PAPER = 8  # passages kept a paper; longer abstracts group consecutive sentences
FOLDER = "passages"  # inside the index folder
CHUNK = 64  # papers whose passages are embedded and appended at once
INT8_ROWS = 300_000  # up to this many papers the passages are held as int8 in memory


def passage_space(space: str) -> str:
    """The passage store's space: the paper embedder's, with the grouping that made the rows."""
    return f"{space}|passages:{PER_PAPER}"


def split_passages(abstract: str, fallback: str = "", limit: int = PER_PAPER) -> list[str]:
    """The abstract's sentences, as at most ``limit`` runs of consecutive sentences.

    Runs are as even as possible (13 sentences in 8 passages: five of two, three of one), in
    abstract order. An abstract without sentences gives ``[fallback]`` (the title), or ``["."]``.
    """
    sentences = split_sentences(abstract)
    if not sentences:
        return [fallback.strip() or "."]
    if len(sentences) <= limit:
        return sentences
    base, extra = divmod(len(sentences), limit)
    out, start = [], 0
    for group in range(limit):
        size = base + (1 if group < extra else 0)
        out.append(" ".join(sentences[start:start + size]))
        start += size
    return out


def embed_passages(embedder: Embedder, abstracts: Sequence[str],
                   titles: Sequence[str] | None = None) -> np.ndarray:
    """``(n, PER_PAPER * dim)`` float32: each abstract's passage vectors, the last one repeated
    to fill the row (one embedder call for all passages of the batch)."""
    titles = titles if titles is not None else [""] * len(abstracts)
    groups = [split_passages(a, t) for a, t in zip(abstracts, titles, strict=True)]
    flat = [p for g in groups for p in g]
    vectors = embedder.embed(flat) if flat else np.zeros((0, embedder.dim), np.float32)
    if len(vectors) != len(flat):
        raise EmbeddingError(f"the embedder returned {len(vectors)} vectors for {len(flat)} passages")
    out = np.zeros((len(groups), PER_PAPER, embedder.dim), np.float32)
    at = 0
    for row, group in enumerate(groups):
        n = len(group)
        out[row, :n] = vectors[at:at + n]
        out[row, n:] = vectors[at + n - 1]
        at += n
    return out.reshape(len(groups), PER_PAPER * embedder.dim)


class PassageIndex:
    """Passage rows of the papers of one index snapshot; row ``i`` of the snapshot's papers
    is passage row ``rows[i]`` (``-1``: none, e.g. embedded after the snapshot was opened).

    Up to :data:`INT8_ROWS` rows are held as int8 with a scale per passage (3 KB a paper): a query
    re-scores ~400 candidates in about 1 ms, where converting their float16 rows took 5 (the
    conversion, not the product, is the cost); cosines move by at most ~0.002. Larger indexes
    keep the float16 memory map (no copy in memory)."""

    def __init__(self, matrix: np.ndarray, rows: np.ndarray, dim: int) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)
        self.dim = dim
        self.per_paper = matrix.shape[1] // dim if matrix.ndim == 2 and dim else PER_PAPER
        self.matrix = matrix  # (passage rows, PER_PAPER * dim), float16 memory map or array
        self.codes: np.ndarray | None = None
        self.scales: np.ndarray | None = None
        if 0 < len(matrix) <= INT8_ROWS:
            self._quantise()
            self.matrix = matrix[:0]  # the codes replace it (a copy, when rows were out of order)

    def _quantise(self) -> None:
        n, per, dim = len(self.matrix), self.per_paper, self.dim
        codes = np.empty((n, per, dim), np.int8)
        scales = np.empty((n, per), np.float32)
        for start in range(0, n, 4096):  # bounded temporaries
            block = np.asarray(self.matrix[start:start + 4096], dtype=np.float32).reshape(-1, per, dim)
            peak = np.abs(block).max(axis=2)
            peak[peak == 0] = 1.0
            scales[start:start + len(block)] = peak / 127.0
            codes[start:start + len(block)] = np.rint(block / (peak[..., None] / 127.0)).astype(np.int8)
        self.codes, self.scales = codes, scales

    def in_document_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(codes, scales, has) with row ``i`` for paper ``i`` (zeros where it has none): what
        :mod:`paperradar.index.shared` maps for every process; int8 indexes only."""
        if self.codes is None or self.scales is None:
            raise ValueError("only an int8 passage index has codes to share")
        has = self.rows >= 0
        codes = np.zeros((len(self.rows), *self.codes.shape[1:]), np.int8)
        scales = np.zeros((len(self.rows), self.codes.shape[1]), np.float32)
        codes[has], scales[has] = self.codes[self.rows[has]], self.scales[self.rows[has]]
        return codes, scales, has

    @classmethod
    def from_codes(cls, codes: np.ndarray, scales: np.ndarray, has: np.ndarray) -> PassageIndex:
        """An index over arrays of :meth:`in_document_order` (e.g. memory-mapped ones)."""
        index = cls(np.zeros((0, codes.shape[1] * codes.shape[2]), np.float16),
                    np.where(np.asarray(has, bool), np.arange(len(has)), -1), int(codes.shape[2]))
        index.codes, index.scales = codes, scales
        return index

    def __len__(self) -> int:
        return int((self.rows >= 0).sum())

    def best(self, query: np.ndarray, papers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mask of ``papers`` that have passages, their best passage cosine)."""
        rows = self.rows[papers]
        has = rows >= 0
        if not has.any():
            return has, np.zeros(0, np.float32)
        picked = rows[has]
        query = query.astype(np.float32)
        if self.codes is not None and self.scales is not None:
            scores = (self.codes[picked].astype(np.float32) @ query) * self.scales[picked]
        else:
            block = np.asarray(self.matrix[picked], dtype=np.float32)
            scores = block.reshape(-1, self.per_paper, self.dim) @ query
        return has, scores.max(axis=1)

    def similarity(self, query: np.ndarray, papers: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """Each paper's dense similarity: mean of ``cosine`` (whole text) and its best passage;
        ``cosine`` alone for a paper without passages."""
        out = np.asarray(cosine, dtype=np.float32).copy()
        has, best = self.best(query, papers)
        out[has] = (out[has] + best) / 2
        return out

    @classmethod
    def load(cls, folder: Path, keys: Sequence[Key], space: str, dim: int) -> PassageIndex | None:
        """The passages of ``keys`` (the snapshot's papers, in row order) from ``folder``'s
        passage store, or ``None`` when it has none of the ``space`` given."""
        store = VectorStore(folder / FOLDER)
        meta = store.meta()
        if meta is None or meta.get("space") != passage_space(space):
            return None
        if int(meta.get("dim", 0)) != PER_PAPER * dim:
            return None
        stored, matrix = store.load()
        if not stored:
            return None
        row_of = {key: row for row, key in enumerate(stored)}
        return cls(matrix, np.array([row_of.get(k, -1) for k in keys], dtype=np.int64), dim)


def catch_up_passages(folder: Path, wanted: Sequence[Key], embedder: Embedder,
                      texts_of: Callable[[list[str]], dict[str, tuple[str, str]]],
                      chunk: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> tuple[int, list[str]]:
    """Give every paper of ``wanted`` its passage row, ``chunk`` papers (default :data:`CHUNK`)
    at a time; returns (papers embedded, repairs made).

    ``texts_of(ids)`` gives each id's (title, abstract). Rows of another space are dropped
    (a new embedder), damaged rows dropped and embedded again, rows of papers no longer wanted
    dropped once they are a fifth of the store. Safe to interrupt: finished chunks are kept.
    """
    store = VectorStore(folder / FOLDER)
    store.folder.mkdir(parents=True, exist_ok=True)
    space, width = passage_space(embedder.space), PER_PAPER * embedder.dim
    repaired: list[str] = []
    meta, why = store.read_meta()
    if meta is None or meta.get("space") != space or int(meta.get("dim", 0)) != width:
        if meta is None and (store.keys_path.exists() or store.vec_path.exists()):
            repaired.append(f"{FOLDER}/{META} {why}: every paper's passages embedded again")
        store.reset(space, width)
    scan = store.scan(verify_vectors=True)
    if scan.problems or scan.tail_rows or scan.intact != scan.prefix:
        dropped = store.repair(scan)
        if scan.problems:
            damage = "; ".join(f"{FOLDER}/{f} {m}" for f, m in scan.problems)
            repaired.append(f"passages repaired ({damage}): {dropped} damaged rows dropped, "
                            "embedded again")
        scan = store.scan(verify_vectors=True)
    store.resume(scan)
    have = set(scan.rows.values())
    need = [key for key in wanted if key not in have]
    chunk = chunk or CHUNK
    if need and progress:
        progress(0, len(need))
    done = 0
    for start in range(0, len(need), chunk):
        part = need[start:start + chunk]
        texts = texts_of([arxiv_id for arxiv_id, _ in part])
        pairs = [texts.get(arxiv_id, ("", "")) for arxiv_id, _ in part]
        vectors = embed_passages(embedder, [a for _, a in pairs], [t for t, _ in pairs])
        store.append(part, vectors)
        done += len(part)
        if progress:
            progress(done, len(need))
    if store.count() > 1.25 * len(wanted) + 100:
        store.compact(set(wanted))
    return done, repaired
