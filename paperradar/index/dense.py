"""Dense vectors: a compact append-only store on disk and search structures in memory.

On disk (:class:`VectorStore`) vectors are float16 rows appended in chunks,
each row keyed by ``arxiv_id`` and the hash of the text that was embedded,
plus the embedding space (model name and version). Appending the vectors
before their keys means an interrupted run leaves at most a tail of unkeyed
rows, which the next load ignores: embedding resumes where it stopped.

In memory, :class:`FlatIndex` scores every vector (exact; fine up to a few
hundred thousand papers) and :class:`IVFIndex` clusters the vectors with
k-means and scores only the lists nearest to the query (approximate; for
corpora of a million papers and more).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

Key = tuple[str, str]  # (arxiv_id, content hash)


class VectorStore:
    """float16 rows in ``dense_vectors.f16`` aligned with lines of ``dense_keys.tsv``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.meta_path = folder / "dense_meta.json"
        self.keys_path = folder / "dense_keys.tsv"
        self.vec_path = folder / "dense_vectors.f16"

    def meta(self) -> dict | None:
        if not self.meta_path.exists():
            return None
        return json.loads(self.meta_path.read_text(encoding="utf-8"))

    def reset(self, space: str, dim: int) -> None:
        """Start over in a new vector space (another model): old rows are deleted."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in (self.keys_path, self.vec_path):
            path.unlink(missing_ok=True)
        meta = {"space": space, "dim": dim, "dtype": "float16"}
        self.meta_path.write_text(json.dumps(meta), encoding="utf-8")

    def load(self) -> tuple[list[Key], np.ndarray]:
        """Keys and a read-only float16 memory map of the matching rows."""
        meta = self.meta()
        if meta is None:
            return [], np.zeros((0, 0), dtype=np.float16)
        dim = int(meta["dim"])
        keys: list[Key] = []
        if self.keys_path.exists():
            for line in self.keys_path.read_text(encoding="utf-8").splitlines():
                arxiv_id, _, digest = line.partition("\t")
                if digest:
                    keys.append((arxiv_id, digest))
        size = self.vec_path.stat().st_size if self.vec_path.exists() else 0
        rows = min(len(keys), size // (2 * dim))
        keys = keys[:rows]
        if rows == 0:
            return [], np.zeros((0, dim), dtype=np.float16)
        vectors = np.memmap(self.vec_path, dtype=np.float16, mode="r", shape=(rows, dim))
        return keys, vectors

    def append(self, keys: Sequence[Key], vectors: np.ndarray) -> None:
        """Durably add one chunk: vectors first, then their keys."""
        if len(keys) != len(vectors):
            raise ValueError("keys and vectors differ in length")
        if not len(keys):
            return
        stored_keys, _ = self.load()
        meta = self.meta() or {}
        size = self.vec_path.stat().st_size if self.vec_path.exists() else 0
        row_bytes = 2 * int(meta["dim"])
        if size != len(stored_keys) * row_bytes:  # drop a torn tail from an interrupted run
            with open(self.vec_path, "r+b") as fh:
                fh.truncate(len(stored_keys) * row_bytes)
        with open(self.vec_path, "ab") as fh:
            fh.write(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        with open(self.keys_path, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{a}\t{h}\n" for a, h in keys))
            fh.flush()
            os.fsync(fh.fileno())

    def compact(self, keep: set[Key]) -> None:
        """Rewrite without rows that no current paper needs (old versions, duplicates)."""
        keys, vectors = self.load()
        seen: set[Key] = set()
        rows = []
        for row, key in enumerate(keys):
            if key in keep and key not in seen:
                seen.add(key)
                rows.append(row)
        if len(rows) == len(keys):
            return
        kept = np.asarray(vectors[rows]) if rows else np.zeros((0, vectors.shape[1]), np.float16)
        tmp_vec, tmp_keys = self.vec_path.with_suffix(".tmp"), self.keys_path.with_suffix(".tmp")
        tmp_vec.write_bytes(np.ascontiguousarray(kept, dtype=np.float16).tobytes())
        tmp_keys.write_text("".join(f"{keys[r][0]}\t{keys[r][1]}\n" for r in rows), encoding="utf-8")
        tmp_keys.replace(self.keys_path)
        tmp_vec.replace(self.vec_path)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part], kind="stable")]


class FlatIndex:
    """Exact inner-product search over all rows (float32 in memory)."""

    exact = True

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.vectors)

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        return self.vectors @ query.astype(np.float32)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.all_scores(query)
        idx = top_k(scores, k)
        return idx, scores[idx]

    def score(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.vectors[rows] @ query.astype(np.float32)

    def vectors_of(self, rows: np.ndarray) -> np.ndarray:
        return self.vectors[rows]


def spherical_kmeans(sample: np.ndarray, k: int, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """Centroids (unit length) of ``k`` clusters by cosine, Lloyd iterations on ``sample``."""
    centroids = sample[rng.choice(len(sample), size=k, replace=False)].copy()
    for _ in range(iterations):
        assign = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assign, sample)
        empty = np.bincount(assign, minlength=k) == 0
        sums[empty] = sample[rng.choice(len(sample), size=int(empty.sum()), replace=False)]
        centroids = sums / np.clip(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9, None)
    return centroids.astype(np.float32)


class IVFIndex:
    """Inverted-file index: k-means lists stored contiguously, ``nprobe`` lists scanned.

    Vectors stay float16 (half the memory of float32); only the scanned lists
    are converted per query.
    """

    exact = False

    def __init__(self, vectors: np.ndarray, n_lists: int | None = None, nprobe: int = 24,
                 seed: int = 0, train_size: int = 50_000, iterations: int = 8) -> None:
        n = len(vectors)
        self.n_lists = min(n, n_lists or max(1, int(np.sqrt(n))))
        self.nprobe = min(nprobe, self.n_lists)
        rng = np.random.default_rng(seed)
        sample = np.asarray(vectors[np.sort(rng.choice(n, size=min(n, train_size), replace=False))],
                            dtype=np.float32)
        self.centroids = spherical_kmeans(sample, self.n_lists, iterations, rng)
        assign = np.empty(n, dtype=np.int32)
        for start in range(0, n, 65536):
            block = np.asarray(vectors[start:start + 65536], dtype=np.float32)
            assign[start:start + 65536] = np.argmax(block @ self.centroids.T, axis=1)
        self.order = np.argsort(assign, kind="stable")  # list-contiguous position -> original row
        self.offsets = np.concatenate([[0], np.cumsum(np.bincount(assign, minlength=self.n_lists))])
        self.vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float16)[self.order])
        self.row_vectors = vectors  # original order, for exact rescoring of given rows

    def __len__(self) -> int:
        return len(self.order)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        query = query.astype(np.float32)
        lists = top_k(self.centroids @ query, self.nprobe)
        spans = [(self.offsets[c], self.offsets[c + 1]) for c in lists]
        positions = np.concatenate([np.arange(s, e) for s, e in spans]) if spans else np.zeros(0, np.int64)
        block = np.concatenate([self.vectors[s:e] for s, e in spans]) if spans else np.zeros((0, len(query)))
        scores = block.astype(np.float32) @ query
        best = top_k(scores, k)
        return self.order[positions[best]], scores[best]

    def score(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.vectors_of(rows) @ query.astype(np.float32)

    def vectors_of(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.row_vectors[rows], dtype=np.float32)
