"""Okapi BM25 over a sparse term matrix, rebuilt cheaply on change.

The variant: Lucene's IDF ``log(1 + (N - df + 0.5) / (df + 0.5))`` with the classic
term-frequency part ``tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl))``, k1 = 1.2,
b = 0.75; in bm25s terms ``method="atire", idf_method="lucene"``, which
``tests/test_bm25_parity.py`` checks score for score on SciFact. (Lucene itself
dropped the constant ``k1 + 1``; it changes no ranking.)

Term frequencies are kept as a CSR matrix (documents x terms) so that adding
or replacing papers only tokenises those papers; the BM25 weights (which
depend on corpus-wide IDF and average length) are recomputed from the counts
in one vectorised pass. Query time is a sum over the posting lists of the
query terms into a dense score array, so cost grows with posting-list length
rather than corpus size times query length.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperradar.files import atomic_open, atomic_write
from paperradar.index.text import terms as doc_terms

K1 = 1.2
B = 0.75


class Vocabulary:
    """Term -> column id, growing as new words arrive (ids never change)."""

    def __init__(self, words: list[str] | None = None) -> None:
        self.words: list[str] = list(words or [])
        self.ids: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    def add(self, term: str) -> int:
        idx = self.ids.get(term)
        if idx is None:
            idx = self.ids[term] = len(self.words)
            self.words.append(term)
        return idx

    def __len__(self) -> int:
        return len(self.words)


def count_matrix(texts: Sequence[str], vocab: Vocabulary) -> sp.csr_matrix:
    """Term-frequency rows for ``texts``, growing ``vocab`` as needed."""
    indptr: list[int] = [0]
    indices: list[int] = []
    data: list[int] = []
    for text in texts:
        counts: dict[int, int] = {}
        for term in doc_terms(text):
            idx = vocab.add(term)
            counts[idx] = counts.get(idx, 0) + 1
        indices.extend(counts.keys())
        data.extend(counts.values())
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32),
         np.array(indptr, dtype=np.int64)),
        shape=(len(texts), max(len(vocab), 1)),
    )


def weigh(counts: sp.csr_matrix, terms: int, k1: float = K1, b: float = B,
          dtype: type = np.float32) -> tuple[sp.csr_matrix, np.ndarray]:
    """BM25 weights of ``counts`` as a terms x documents CSR matrix (sorted indices), and the IDFs."""
    n_docs = counts.shape[0]
    counts = resize(counts, max(terms, 1))
    lengths: np.ndarray = np.asarray(counts.sum(axis=1)).ravel().astype(dtype)
    avg = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
    df: np.ndarray = np.bincount(counts.indices, minlength=counts.shape[1]).astype(dtype)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(dtype)
    coo = counts.tocoo()
    tf = coo.data.astype(dtype)
    norm = k1 * (1.0 - b + b * lengths[coo.row] / avg)
    weights = idf[coo.col] * tf * (k1 + 1.0) / (tf + norm)
    postings = sp.csr_matrix((weights.astype(dtype), (coo.col, coo.row)), shape=(counts.shape[1], n_docs))
    postings.sort_indices()
    return postings, idf


def resize(matrix: sp.csr_matrix, columns: int) -> sp.csr_matrix:
    matrix = matrix.tocsr()
    matrix.resize((matrix.shape[0], columns))
    return matrix


class BM25:
    """Scores for one snapshot of the corpus.

    ``postings`` is the BM25 weight matrix transposed to terms x documents
    (CSR), so each query term is one contiguous slice.
    """

    def __init__(self, counts: sp.csr_matrix, vocab: Vocabulary, k1: float = K1, b: float = B,
                 dtype: type = np.float32) -> None:
        self.vocab = vocab
        self.k1, self.b = k1, b
        self.dtype = dtype
        self.n_docs = counts.shape[0]
        self.postings, self.idf = weigh(counts, len(vocab), k1, b, dtype)

    @classmethod
    def from_parts(cls, postings: sp.csr_matrix, idf: np.ndarray, vocab: Vocabulary,
                   k1: float = K1, b: float = B) -> BM25:
        """A scorer over weights already computed by :func:`weigh` (e.g. memory-mapped
        from the index folder's shared arrays, see :mod:`paperradar.index.shared`)."""
        self = cls.__new__(cls)
        self.vocab, self.k1, self.b = vocab, k1, b
        self.dtype = postings.dtype.type
        self.n_docs = postings.shape[1]
        self.postings, self.idf = postings, idf
        return self

    def term_ids(self, query_terms: Sequence[str]) -> list[int]:
        return [self.vocab.ids[t] for t in query_terms if t in self.vocab.ids]

    def scores(self, query_terms: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        """BM25 score of every document (0 where no query term occurs)."""
        out = np.zeros(self.n_docs, dtype=self.dtype)
        weights = weights if weights is not None else [1.0] * len(query_terms)
        ptr, idx, data = self.postings.indptr, self.postings.indices, self.postings.data
        for term, weight in zip(query_terms, weights, strict=True):
            col = self.vocab.ids.get(term)
            if col is None:
                continue
            start, end = ptr[col], ptr[col + 1]
            out[idx[start:end]] += data[start:end] * weight if weight != 1.0 else data[start:end]
        return out

    # -- persistence ----------------------------------------------------------
    @staticmethod
    def save_counts(folder: Path, counts: sp.csr_matrix, vocab: Vocabulary) -> None:
        """Write counts and vocabulary, each atomically, as the single files of an index before
        keyword segments (no row keys; ``bench/search_bench.py`` sizes a synthetic index with it).
        The index itself writes segments: :mod:`paperradar.index.segments`."""
        with atomic_open(folder / COUNTS, "wb") as fh:
            sp.save_npz(fh, counts.tocsr(), compressed=False)
        atomic_write(folder / VOCAB, json.dumps(vocab.words, ensure_ascii=False))


COUNTS, VOCAB = "bm25_counts.npz", "bm25_vocab.json"


def parse_counts(data: bytes) -> sp.csr_matrix:
    """The count matrix saved in ``data``; ``ValueError`` saying why when it cannot be read."""
    try:
        matrix = sp.load_npz(io.BytesIO(data)).tocsr()
    except Exception as exc:  # zip, pickle and numpy errors of every kind
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    if matrix.ndim != 2:
        raise ValueError("not a matrix")
    return matrix


def parse_vocab(data: bytes) -> Vocabulary:
    """The vocabulary saved in ``data``; ``ValueError`` saying why when it cannot be read."""
    try:
        words = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError("not a list of terms")
    if len(set(words)) != len(words):
        raise ValueError("repeats terms")
    return Vocabulary(words)
