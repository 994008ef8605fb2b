"""The on-disk search index next to the store, and incremental catch-up.

Layout of ``<db>.index/``:

- ``docs.jsonl``: one line per indexed paper in row order (id, content hash,
  date, categories, authors); the BM25 count matrix rows follow this order.
- ``bm25_counts.npz`` + ``bm25_vocab.json``: term frequencies (see :mod:`bm25`).
- ``dense_*``: the vector store (see :mod:`dense`), keyed by (id, hash) and
  tagged with the embedding space, so a model change re-embeds everything
  and an edited abstract re-embeds only that paper.
- ``state.json``: written last; records the store generation it matches.

Ingest bumps the store's ``papers.generation`` meta key when papers are new
or changed, so a search can tell cheaply that the index is behind.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperradar import config
from paperradar.clock import now_iso
from paperradar.embed import Embedder
from paperradar.errors import SearchIndexError
from paperradar.index.bm25 import BM25, Vocabulary, count_matrix, resize
from paperradar.index.dense import VectorStore
from paperradar.models import Paper
from paperradar.store.base import GENERATION_KEY, Store

EMBED_CHUNK = 256
STATE_VERSION = 1


def index_dir(location: str, data_dir: str | Path | None = None) -> Path:
    """The index folder of the store at ``location``: ``index/`` in its data folder
    (see :func:`paperradar.config.data_dir_for`)."""
    folder = config.data_dir_for(location, data_dir)
    if folder is None:
        raise SearchIndexError("an in-memory store has no data folder for an index; pass --data-dir")
    config.adopt_legacy(folder, location)
    return folder / "index"


def document_text(paper: Paper) -> str:
    """What both indexes see: title then abstract, whitespace collapsed."""
    return " ".join(f"{paper.title}. {paper.abstract}".split())


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def store_generation(store: Store) -> str:
    return store.get_meta(GENERATION_KEY) or "0"


@dataclass
class DocInfo:
    arxiv_id: str
    digest: str
    date: str
    categories: list[str]
    authors: list[str]

    def as_json(self) -> str:
        return json.dumps({"id": self.arxiv_id, "h": self.digest, "d": self.date, "c": self.categories,
                           "a": self.authors}, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> DocInfo:
        d = json.loads(line)
        return cls(d["id"], d["h"], d["d"], d["c"], d["a"])


@dataclass
class CatchUpReport:
    papers: int = 0
    tokenised: int = 0
    removed: int = 0
    embedded: int = 0
    reembedded_all: bool = False
    seconds: float = 0.0
    embed_seconds: float = 0.0
    space: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        rate = self.embedded / self.embed_seconds if self.embed_seconds > 0 else None
        return {"papers": self.papers, "tokenised": self.tokenised, "removed": self.removed,
                "embedded": self.embedded, "reembedded_all": self.reembedded_all,
                "seconds": round(self.seconds, 2), "embed_papers_per_s": rate and round(rate, 1),
                "space": self.space}


def read_docs(folder: Path) -> list[DocInfo]:
    path = folder / "docs.jsonl"
    if not path.exists():
        return []
    return [DocInfo.from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def read_state(folder: Path) -> dict | None:
    path = folder / "state.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _scan(store: Store) -> tuple[list[DocInfo], dict[str, str]]:
    """Current papers as index rows (ordered by id) and their texts."""
    infos: list[DocInfo] = []
    texts: dict[str, str] = {}
    batch: list[Paper] = []

    def flush() -> None:
        dates = store.last_listed([p.arxiv_id for p in batch])
        for p in batch:
            text = document_text(p)
            texts[p.arxiv_id] = text
            date = dates.get(p.arxiv_id) or (p.updated or p.submitted or "")[:10]
            infos.append(DocInfo(p.arxiv_id, content_hash(text), date, list(p.categories), list(p.authors)))
        batch.clear()

    for paper in store.iter_papers():
        batch.append(paper)
        if len(batch) >= 1000:
            flush()
    if batch:
        flush()
    return infos, texts


def catch_up(store: Store, folder: Path, embedder: Embedder | None,
             progress: Callable[[int, int], None] | None = None, spec: str | None = None,
             chunk: int = EMBED_CHUNK) -> CatchUpReport:
    """Bring the index up to date with the store; only new or changed papers are
    tokenised and embedded. Safe to interrupt: finished embedding chunks are kept."""
    started = time.perf_counter()
    report = CatchUpReport()
    folder.mkdir(parents=True, exist_ok=True)
    generation = store_generation(store)
    infos, texts = _scan(store)
    report.papers = len(infos)

    # keyword index: reuse count rows of unchanged papers
    old_docs = read_docs(folder)
    loaded = BM25.load_counts(folder)
    state = read_state(folder) or {}
    if loaded is None or state.get("format") != STATE_VERSION or len(old_docs) != loaded[0].shape[0]:
        old_docs, counts, vocab = [], sp.csr_matrix((0, 1), dtype=np.float32), Vocabulary()
    else:
        counts, vocab = loaded
    old_rows = {(d.arxiv_id, d.digest): row for row, d in enumerate(old_docs)}
    keep_rows = [old_rows.get((d.arxiv_id, d.digest), -1) for d in infos]
    fresh = [i for i, row in enumerate(keep_rows) if row < 0]
    report.tokenised = len(fresh)
    report.removed = len({d.arxiv_id for d in old_docs} - {d.arxiv_id for d in infos})
    if loaded is None or fresh or report.removed or len(old_docs) != len(infos):
        new_counts = count_matrix([texts[infos[i].arxiv_id] for i in fresh], vocab)
        width = max(len(vocab), 1)
        reused = resize(counts, width)[[r for r in keep_rows if r >= 0]] if counts.shape[0] else None
        # assemble rows in the order of ``infos``
        order = np.empty(len(infos), dtype=np.int64)
        n_reused = sum(1 for r in keep_rows if r >= 0)
        reused_pos = [i for i, r in enumerate(keep_rows) if r >= 0]
        order[reused_pos] = np.arange(n_reused)
        order[fresh] = n_reused + np.arange(len(fresh))
        parts = [m for m in (reused, resize(new_counts, width)) if m is not None]
        stacked = sp.vstack(parts).tocsr() if parts else sp.csr_matrix((0, width), dtype=np.float32)
        counts = stacked[order] if len(infos) else stacked  # row i <- stacked row order[i]
        BM25.save_counts(folder, counts, vocab)
    _write_atomic(folder / "docs.jsonl", "".join(d.as_json() + "\n" for d in infos))

    # dense vectors
    if embedder is not None:
        vectors = VectorStore(folder)
        meta = vectors.meta()
        if meta is None or meta.get("space") != embedder.space or int(meta.get("dim", 0)) != embedder.dim:
            report.reembedded_all = meta is not None
            vectors.reset(embedder.space, embedder.dim)
        report.space = embedder.space
        have = set(vectors.load()[0])
        need = [d for d in infos if (d.arxiv_id, d.digest) not in have]
        t0 = time.perf_counter()
        done = 0
        if need and progress:
            progress(0, len(need))
        for start in range(0, len(need), chunk):
            part = need[start:start + chunk]
            vecs = embedder.embed([texts[d.arxiv_id] for d in part])
            vectors.append([(d.arxiv_id, d.digest) for d in part], vecs)
            done += len(part)
            if progress:
                progress(done, len(need))
        report.embedded = done
        report.embed_seconds = time.perf_counter() - t0
        keys, _ = vectors.load()
        wanted = {(d.arxiv_id, d.digest) for d in infos}
        if len(keys) > 1.25 * len(wanted) + 100:
            vectors.compact(wanted)
    _write_atomic(folder / "state.json", json.dumps({
        "format": STATE_VERSION, "generation": generation, "papers": len(infos),
        "space": embedder.space if embedder is not None else (state.get("space") or ""),
        "dense": embedder is not None or bool(state.get("dense")),
        "embedder": spec if embedder is not None else state.get("embedder"),
        "updated": now_iso(),
    }))
    report.seconds = time.perf_counter() - started
    return report


def staleness(store: Store, folder: Path) -> str | None:
    """A sentence saying why the index is behind the store, or ``None`` if current."""
    state = read_state(folder)
    if state is None:
        return "no search index yet"
    if state.get("generation") != store_generation(store):
        gap = store.count_papers() - int(state.get("papers", 0))
        return f"papers were ingested since the index was built ({gap:+d} papers)"
    return None
