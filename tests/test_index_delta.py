"""The search index catches up from the papers changed since it was built (the store's
generation stamps, migration 0006), not by reading the whole store, and ends up exactly where
a rebuild from scratch would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from indexkit import ingest_day

from paperradar.index.state import catch_up, read_docs, read_keyword
from paperradar.models import Listing, Paper
from paperradar.store import open_store

WORDS = ["graph", "neural", "network", "language", "model", "retrieval", "robot", "vision", "speech",
         "diffusion", "policy"]


class TinyEmbedder:
    """Deterministic 8-d vectors from the text's words: the index machinery, no model."""

    space, dim = "tiny-8", 8

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, hash(word) % self.dim] += 1.0  # str hashes vary per process, fine within one
            out[i] /= max(float(np.linalg.norm(out[i])), 1.0)
        return out


def _paper(n: int, abstract: str | None = None) -> Paper:
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(6))
    return Paper(arxiv_id=f"2606.{n:05d}", title=f"On {WORDS[n % len(WORDS)]} {n}", authors=(f"A{n}",),
                 abstract=abstract or f"We study {words}.", categories=("cs.LG",), version=1,
                 primary_category="cs.LG", submitted="2026-06-01")


_ingest = ingest_day


def _terms(folder: Path) -> list[dict[str, float]]:
    _, counts, vocab = read_keyword(folder)
    return [{vocab.words[j]: float(v) for j, v in zip(row.indices, row.data, strict=True)}
            for row in (counts.getrow(i) for i in range(counts.shape[0]))]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_catch_up_reads_only_the_changed_papers_and_matches_a_rebuild(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    location = str(tmp_path / "s.db") if backend == "sqlite" else \
        request.getfixturevalue("pg_cluster").new_store_url()
    store = open_store(location)
    embedder = TinyEmbedder()
    try:
        _ingest(store, [_paper(n) for n in range(1, 301)], "2026-06-01")
        first = catch_up(store, tmp_path / "index", embedder)
        assert first.read_from_store == 300 and first.embedded == 300
        # a day later: 20 new papers, one edited, one old one listed again (its date moves)
        _ingest(store, [_paper(n) for n in range(301, 321)], "2026-06-02",
                replace=[_paper(5, abstract="An edited abstract about robots.")])
        with store.transaction():
            store.add_listings([Listing(_paper(7).arxiv_id, "2026-06-02", "cs.AI", 50)])
        second = catch_up(store, tmp_path / "index", embedder)
        assert second.read_from_store == 22, second  # 20 new, 1 edited, 1 listed again
        # paper 7's row changed (its date), its text did not: counted again, not embedded again
        assert (second.tokenised, second.embedded, second.papers) == (22, 21, 320)
        # nothing changed: the listing-only write (no generation bump, as ingest does for a day that
        # only lists known papers) is read again until the next bump, nothing else
        third = catch_up(store, tmp_path / "index", embedder)
        assert (third.read_from_store, third.tokenised, third.embedded) == (1, 0, 0)
        docs = {d.arxiv_id: d for d in read_docs(tmp_path / "index")}
        assert docs[_paper(7).arxiv_id].date == "2026-06-02"
        full = catch_up(store, tmp_path / "rebuilt", embedder, rebuild=True)
        assert full.read_from_store == 320
        index, rebuilt = tmp_path / "index", tmp_path / "rebuilt"
        assert [d.as_json() for d in read_docs(index)] == [d.as_json() for d in read_docs(rebuilt)]
        assert _terms(index) == _terms(rebuilt)  # term ids differ, counts do not
    finally:
        store.close()


def test_an_index_from_before_the_stamps_reads_everything_once(tmp_path: Path) -> None:
    import json

    store = open_store(str(tmp_path / "s.db"))
    try:
        _ingest(store, [_paper(n) for n in range(1, 51)], "2026-06-01")
        catch_up(store, tmp_path / "index", None)
        state_file = tmp_path / "index" / "state.json"
        state = json.loads(state_file.read_text())
        del state["stamped"]  # as written by a paperradar before migration 0006
        state_file.write_text(json.dumps(state))
        _ingest(store, [_paper(51)], "2026-06-02")
        assert catch_up(store, tmp_path / "index", None).read_from_store == 51
        _ingest(store, [_paper(52)], "2026-06-03")
        assert catch_up(store, tmp_path / "index", None).read_from_store == 1
    finally:
        store.close()
