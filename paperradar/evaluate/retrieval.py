"""Retrieval quality and latency on a BEIR-layout folder (e.g. SciFact).

The folder holds ``corpus.jsonl`` (or ``.jsonl.gz``), ``queries.jsonl`` and
``qrels/<split>.tsv``. Documents are indexed exactly as papers are (title and
text through the same tokeniser, BM25 and embedding model) and ranked by the
same :class:`paperradar.index.hybrid.Ranker` that ``paperradar search`` uses.
Document vectors are cached (keyed by text hash and embedding space) so
repeated runs and interrupted runs do not embed again.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from paperradar.embed import Embedder
from paperradar.errors import DatasetError
from paperradar.evaluate.metrics import evaluate
from paperradar.index.bm25 import BM25, Vocabulary, count_matrix
from paperradar.index.dense import FlatIndex, VectorStore
from paperradar.index.hybrid import Params, Ranker
from paperradar.index.passages import PER_PAPER, PassageIndex, embed_passages, passage_space
from paperradar.index.state import content_hash

EMBED_CHUNK = 256


@dataclass
class BeirData:
    doc_ids: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    corpus_path: Path
    titles: list[str] = field(default_factory=list)  # each document's title and body, apart
    bodies: list[str] = field(default_factory=list)  # (for passages)


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def _jsonl(path: Path):
    with _open_text(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise DatasetError(f"{path}:{number}: not JSON: {exc}") from exc
            if not isinstance(obj, dict) or "_id" not in obj:
                raise DatasetError(f"{path}:{number}: field '_id' missing")
            yield number, obj


def load_beir(folder: Path, split: str = "test") -> BeirData:
    folder = Path(folder)
    corpus = next((folder / n for n in ("corpus.jsonl", "corpus.jsonl.gz") if (folder / n).exists()), None)
    if corpus is None:
        raise DatasetError(f"{folder}: no corpus.jsonl or corpus.jsonl.gz")
    queries_path = folder / "queries.jsonl"
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for path in (queries_path, qrels_path):
        if not path.exists():
            raise DatasetError(f"{path}: file missing")
    doc_ids, texts, titles, bodies = [], [], [], []
    for number, obj in _jsonl(corpus):
        title, text = obj.get("title") or "", obj.get("text") or ""
        if not isinstance(title, str) or not isinstance(text, str):
            raise DatasetError(f"{corpus}:{number}: fields 'title' and 'text' must be strings")
        doc_ids.append(str(obj["_id"]))
        texts.append(" ".join(f"{title} {text}".split()))
        titles.append(title)
        bodies.append(text)
    queries = {str(obj["_id"]): str(obj.get("text") or "") for _, obj in _jsonl(queries_path)}
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8") as fh:
        for number, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
            if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                continue
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                raise DatasetError(f"{qrels_path}:{number}: expected query-id, corpus-id, integer score")
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    missing = [q for q in qrels if q not in queries]
    if missing:
        raise DatasetError(f"{qrels_path}: query ids not in queries.jsonl, e.g. {missing[0]!r}")
    return BeirData(doc_ids, texts, queries, qrels, corpus, titles, bodies)


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paperradar" / "beir"


def embed_corpus(data: BeirData, embedder: Embedder, cache: Path,
                 progress: Callable[[int, int], None] | None = None, passages: bool = False) -> np.ndarray:
    """Document vectors in corpus order, embedding only what the cache lacks; with ``passages``
    each document's passage row instead (:mod:`paperradar.index.passages`: its body's sentences)."""
    space = passage_space(embedder.space) if passages else embedder.space
    dim = PER_PAPER * embedder.dim if passages else embedder.dim
    tag = hashlib.sha1(f"{data.corpus_path.resolve()}|{space}".encode()).hexdigest()[:16]
    store = VectorStore(cache / tag)
    meta = store.meta()
    if meta is None or meta.get("space") != space:
        store.reset(space, dim)
    keys = [(d, content_hash(t)) for d, t in zip(data.doc_ids, data.texts, strict=True)]
    have = set(store.load()[0])
    need = [i for i, key in enumerate(keys) if key not in have]

    def embed(rows: list[int]) -> np.ndarray:
        if passages:
            return embed_passages(embedder, [data.bodies[i] for i in rows], [data.titles[i] for i in rows])
        return embedder.embed([data.texts[i] for i in rows])

    for start in range(0, len(need), EMBED_CHUNK):
        part = need[start:start + EMBED_CHUNK]
        store.append([keys[i] for i in part], embed(part))
        if progress:
            progress(min(start + EMBED_CHUNK, len(need)), len(need))
    stored, vectors = store.load()
    row_of = {key: row for row, key in enumerate(stored)}
    return np.asarray(vectors[[row_of[k] for k in keys]], dtype=np.float32)


def build_ranker(data: BeirData, embedder: Embedder | None, cache: Path, params: Params | None = None,
                 progress: Callable[[int, int], None] | None = None, passages: bool = False) -> Ranker:
    """The ranker ``paperradar search`` would use over the corpus (``passages``: with passage
    vectors, as ``paperradar index --passages`` keeps them)."""
    vocab = Vocabulary()
    bm25 = BM25(count_matrix(data.texts, vocab), vocab)
    dense = None
    if embedder is not None:
        dense = FlatIndex(embed_corpus(data, embedder, cache, progress))

    if embedder is None:
        return Ranker(bm25, dense, None, params)
    model = embedder
    index = None
    if passages:
        matrix = embed_corpus(data, embedder, cache, progress, passages=True)
        index = PassageIndex(matrix, np.arange(len(matrix)), embedder.dim)

    def embed_query(text: str) -> np.ndarray:
        return model.embed([text])[0]

    return Ranker(bm25, dense, embed_query, params, passages=index)


def run_queries(ranker: Ranker, data: BeirData, mode: str, k: int = 100) -> tuple[dict, list[float]]:
    """Ranked doc ids per judged query and each query's latency in ms."""
    run: dict[str, list[str]] = {}
    latencies = []
    for qid in data.qrels:
        start = time.perf_counter()
        hits = ranker.search(data.queries[qid], k=k, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        run[qid] = [data.doc_ids[h.row] for h in hits]
    return run, latencies


def evaluate_beir(data: BeirData, ranker: Ranker, mode: str) -> dict[str, float | int | str]:
    """nDCG@10, Recall@100, MRR@10 and latency p50/p95 (ms) as one flat dict."""
    ranker.search("warm up", k=10, mode=mode)
    run, latencies = run_queries(ranker, data, mode)
    result: dict[str, float | int | str] = dict(evaluate(run, data.qrels))
    result["latency_ms_p50"] = float(np.percentile(latencies, 50)) if latencies else 0.0
    result["latency_ms_p95"] = float(np.percentile(latencies, 95)) if latencies else 0.0
    result["queries"] = len(latencies)
    result["mode"] = mode
    return result
