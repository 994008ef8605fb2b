"""Vectors in the store: a second data folder over the same store builds its index without embedding.

The index of data folder A embeds and writes its vectors to the store (float16, tagged with the
embedding space); data folder B, over the same store, takes them from there (zero embeddings) and
gives identical search results; after new papers, B catches up from the store's vector generation
with only the papers A embedded since.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from paperradar.index.search import SearchIndex
from paperradar.index.state import catch_up, read_state
from paperradar.models import Paper
from paperradar.store import open_store

NOW = "2026-07-01T00:00:00Z"
WORDS = [
    "graph",
    "neural",
    "network",
    "language",
    "model",
    "reasoning",
    "robot",
    "image",
    "segmentation",
    "quantum",
    "learning",
]


class CountingEmbedder:
    """Deterministic bag-of-words vectors; counts what it embeds."""

    space = "test:bow@1"
    dim = 16

    def __init__(self) -> None:
        self.embedded = 0

    def embed(self, texts, progress=None) -> np.ndarray:
        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def papers(start: int, n: int) -> list[Paper]:
    return [
        Paper(
            arxiv_id=f"2606.{i:05d}",
            title=f"{WORDS[i % 11]} {WORDS[(i * 3) % 11]} paper {i}",
            authors=("A. Author",),
            abstract=" ".join(WORDS[(i + k) % 11] for k in range(i % 7 + 3)),
            categories=("cs.LG",),
            version=1,
        )
        for i in range(start, start + n)
    ]


@pytest.mark.both_backends
def test_second_data_folder_builds_from_store_vectors_without_embedding(new_location, tmp_path: Path) -> None:
    store = open_store(new_location("store.db"))
    with store.transaction():
        store.insert_papers(papers(0, 60), NOW)
    a, b = CountingEmbedder(), CountingEmbedder()
    first = catch_up(store, tmp_path / "a" / "index", a, chunk=16)
    assert (first.embedded, first.from_store) == (60, 0)
    second = catch_up(store, tmp_path / "b" / "index", b, chunk=16)
    assert (b.embedded, second.embedded, second.from_store) == (0, 0, 60)
    queries = ["graph neural", "quantum robot", "language model reasoning"]

    def results(folder: Path, embedder: CountingEmbedder) -> list:
        index = SearchIndex.open(store, folder, embedder=embedder)  # type: ignore[arg-type]
        return [
            [(r.arxiv_id, round(r.score, 6)) for r in index.search(q, k=10, mode=mode)]
            for q in queries
            for mode in ("dense", "hybrid")
        ]

    assert results(tmp_path / "a" / "index", a) == results(tmp_path / "b" / "index", b)
    # 10 new papers: A embeds them, B catches up from the vector generation, reading only those
    with store.transaction():
        store.insert_papers(papers(60, 10), NOW)
    a.embedded = b.embedded = 0
    assert catch_up(store, tmp_path / "a" / "index", a, chunk=16).embedded == 10
    seen = int((read_state(tmp_path / "b" / "index") or {})["store_vectors"])
    assert len(list(store.vectors_since(a.space, seen))) == 10
    again = catch_up(store, tmp_path / "b" / "index", b, chunk=16)
    assert (b.embedded, again.from_store) == (0, 10)
    assert results(tmp_path / "a" / "index", a) == results(tmp_path / "b" / "index", b)
    store.close()
