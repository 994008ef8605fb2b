"""Search latency and indexing throughput benchmark.

    nice python bench/search_bench.py [--db PATH] [--days DIR] [--passages] [--million] [--json]

Part 1 (arXiv days): ingests ``../shared/data`` days into a store under
``--workdir`` (once), builds/catches up the index (``--no-embed`` uses random
unit vectors of the right shape instead of real embeddings, which times the
dense side identically but makes no quality claim), then times 200 queries
in each mode: p50/p95 in ms, query embedding included.

Part 2 (``--million``): a synthetic corpus of 1,000,000 papers generated in
memory (Zipf-distributed terms, 60 distinct terms per paper; vectors are
perturbed copies of real arXiv vectors so that clusters look real), saved to
disk to report the index size, searched with the IVF dense index.

Embedding throughput is measured on 256 real abstracts (papers/s, tokens/s).
Pin threads with PAPERRADAR_THREADS=2 (the default is the CPU count).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperradar.embed import OnnxMiniLM  # noqa: E402
from paperradar.index.bm25 import BM25, Vocabulary  # noqa: E402
from paperradar.index.dense import IVFIndex, VectorStore  # noqa: E402
from paperradar.index.hybrid import Ranker  # noqa: E402
from paperradar.index.passages import embed_passages  # noqa: E402
from paperradar.index.search import SearchIndex  # noqa: E402
from paperradar.index.state import catch_up, document_text, index_dir  # noqa: E402
from paperradar.ingest import ingest_records  # noqa: E402
from paperradar.sources import expand, parse_path  # noqa: E402
from paperradar.store import open_store  # noqa: E402

DAYS = REPO.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def timed(fn, queries: list, repeat: int = 1) -> dict:
    fn(queries[0])
    times = []
    for _ in range(repeat):
        for q in queries:
            start = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2), "queries": len(times)}


def sample_queries(titles: list[str], n: int, seed: int = 0) -> list[str]:
    """Short, realistic queries: 1-4 words cut from random titles, plus full titles."""
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(titles), n, replace=False):
        words = titles[i].replace(":", " ").split()
        if rng.random() < 0.25:
            out.append(titles[i])
        else:
            start = rng.integers(0, max(1, len(words) - 3))
            out.append(" ".join(words[start:start + int(rng.integers(1, 5))]))
    return out


class RandomVectors:
    """Random unit vectors of MiniLM's shape: times the dense side without embedding."""

    space, dim = "random-unit-vectors", 384

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self.rng.normal(size=(len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def arxiv_part(args, model: OnnxMiniLM) -> dict:
    db = Path(args.db or Path(args.workdir) / "arxiv.db")
    store = open_store(str(db))
    if store.count_papers() == 0:
        for path in expand([Path(args.days)]):
            if path.name.endswith(".jsonl.gz") and "_AI_" not in path.name:
                ingest_records(store, parse_path(path), str(path))
    folder = index_dir(store.location)
    t0 = time.perf_counter()
    # --no-embed: random unit vectors through the real catch-up (so the state says the index is
    # dense; writing vectors beside a keyword-only index left the dense side unused)
    embedder = RandomVectors() if args.no_embed else model
    report = catch_up(store, folder, embedder, progress=None, passages=args.passages)
    build_s = time.perf_counter() - t0
    rss_before = round(rss_mb(), 1)
    index = SearchIndex.open(store, folder, embedder=model)
    if args.no_embed:  # vectors are random: embed queries with the real model anyway (timing)
        index.ranker.embed_query = lambda text: model.embed([text])[0]
    titles = [p.title for p in store.get_papers([d.arxiv_id for d in index.docs[:5000]]).values()]
    queries = sample_queries(titles, 200)
    out = {"papers": len(index.docs), "index_mb": round(folder_mb(folder), 1),
           "passages": index.ranker.passages is not None,
           "build_or_catch_up_s": round(build_s, 1),
           "vectors": "random (timing only)" if args.no_embed else "real", "catch_up": report.as_dict()}
    for mode in ("bm25", "dense", "hybrid"):
        out[mode] = timed(lambda q, m=mode: index.ranker.search(q, k=20, mode=m), queries)
    out["hybrid_with_snippets_and_store"] = timed(lambda q: index.search(q, k=20), queries)
    out["rss_mb"] = round(rss_mb(), 1)
    out["rss_mb_before_loading_index"] = rss_before
    return out


def throughput(model: OnnxMiniLM, days: Path) -> dict:
    papers = []
    for path in sorted(days.glob("2026-06-3*.jsonl.gz")):
        for rec in parse_path(path):
            if hasattr(rec, "paper"):
                papers.append(rec.paper)
    papers = papers[:256]
    texts = [document_text(p) for p in papers]
    abstracts, titles = [p.abstract for p in papers], [p.title for p in papers]
    tokens = sum(min(len(e.ids), 256) for e in model.tokenizer.encode_batch(texts))
    model.embed(texts[:8])
    start = time.perf_counter()
    model.embed(texts)
    seconds = time.perf_counter() - start
    start = time.perf_counter()  # what `index --passages` adds: each abstract's sentences
    embed_passages(model, abstracts, titles)
    passage_s = time.perf_counter() - start
    return {"papers": len(texts), "papers_per_s": round(len(texts) / seconds, 1),
            "tokens_per_s": round(tokens / seconds), "mean_tokens": round(tokens / len(texts)),
            "passages_papers_per_s": round(len(texts) / passage_s, 1),
            "with_passages_papers_per_s": round(len(texts) / (seconds + passage_s), 1),
            "threads": model.session.get_session_options().intra_op_num_threads}


def million_part(args, model: OnnxMiniLM, real_vectors: np.ndarray) -> dict:
    n, vocab_size, per_doc = args.n, 200_000, 60
    rss_start = round(rss_mb(), 1)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    # Zipf-like term ids, tf 1-3: a CSR count matrix built block by block
    ranks = np.arange(1, vocab_size + 1)
    probs = 1.0 / ranks**1.05
    probs /= probs.sum()
    blocks = []
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        cols = rng.choice(vocab_size, size=(m, per_doc), p=probs).astype(np.int32)
        cols.sort(axis=1)
        data = rng.integers(1, 4, size=(m, per_doc)).astype(np.float32)
        indptr = np.arange(0, m * per_doc + 1, per_doc, dtype=np.int64)
        block = sp.csr_matrix((data.ravel(), cols.ravel(), indptr), shape=(m, vocab_size))
        block.sum_duplicates()
        blocks.append(block)
    counts = sp.vstack(blocks).tocsr()
    vocab = Vocabulary([f"t{i}" for i in range(vocab_size)])
    bm25 = BM25(counts, vocab)
    # vectors: real MiniLM vectors plus noise, float16
    vectors = np.empty((n, real_vectors.shape[1]), dtype=np.float16)
    dim = real_vectors.shape[1]
    for start in range(0, n, 100_000):
        chunk = real_vectors[rng.integers(0, len(real_vectors), min(100_000, n - start))]
        chunk = chunk + rng.normal(scale=0.35 / np.sqrt(dim), size=chunk.shape).astype(np.float32)
        vectors[start:start + 100_000] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    gen_s = time.perf_counter() - t0
    folder = Path(args.workdir) / "million.index"
    folder.mkdir(parents=True, exist_ok=True)
    BM25.save_counts(folder, counts, vocab)
    VectorStore(folder).reset("synthetic", vectors.shape[1])
    (folder / "dense_vectors.f16").write_bytes(vectors.tobytes())
    t1 = time.perf_counter()
    ivf = IVFIndex(vectors, n_lists=args.lists, nprobe=args.nprobe)
    ivf_s = time.perf_counter() - t1
    # recall of the IVF against exact search on 30 queries
    probe_q = real_vectors[rng.integers(0, len(real_vectors), 30)]
    probe_q = probe_q + rng.normal(scale=0.5 / np.sqrt(dim), size=probe_q.shape).astype(np.float32)
    recall = []
    for q in probe_q:
        exact = np.argpartition(-_dot(vectors, q), 20)[:20]
        approx, _ = ivf.search(q, 20)
        recall.append(len(set(exact) & set(approx)) / 20)
    ranker = Ranker(bm25, ivf, lambda text: model.embed([text])[0])
    # queries: 1-4 terms, ranks log-uniform in 5..50,000 (common and rare words alike)
    term_ids = np.exp(rng.uniform(np.log(5), np.log(50_000), size=(200, 4))).astype(int)
    lengths = rng.integers(1, 5, size=200)
    queries = [" ".join(f"t{t}" for t in term_ids[i, :lengths[i]]) for i in range(200)]
    out = {"papers": n, "generate_s": round(gen_s, 1), "ivf_build_s": round(ivf_s, 1),
           "ivf_lists": ivf.n_lists, "nprobe": ivf.nprobe, "ivf_recall@20": round(float(np.mean(recall)), 3),
           "index_mb_on_disk": round(folder_mb(folder), 1), "bm25_nnz": int(counts.nnz)}
    del counts
    for mode in ("bm25", "dense", "hybrid"):
        out[mode] = timed(lambda q, m=mode: ranker.search(q, k=20, mode=m), queries)
    out["rss_mb"] = round(rss_mb(), 1)
    out["rss_mb_at_start_of_part"] = rss_start
    return out


def _dot(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    out = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), 100_000):
        out[start:start + 100_000] = vectors[start:start + 100_000].astype(np.float32) @ q
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="existing store (with or without index); default: build one in --workdir")
    ap.add_argument("--days", default=str(DAYS))
    ap.add_argument("--workdir", default="/tmp/paperradar-bench")
    ap.add_argument("--no-embed", action="store_true", help="random vectors for the arXiv part (timing only)")
    ap.add_argument("--skip-arxiv", action="store_true")
    ap.add_argument("--passages", action="store_true",
                    help="index (and search) the arXiv part with passage vectors")
    ap.add_argument("--million", action="store_true", help="also run the 1,000,000-paper synthetic case")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--lists", type=int, default=1024)
    ap.add_argument("--base-vectors", help=".npy of real unit vectors to perturb for the synthetic corpus "
                    "(default: the arXiv index's vectors if real)")
    ap.add_argument("--nprobe", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    model = OnnxMiniLM()
    threads = model.session.get_session_options().intra_op_num_threads
    result: dict = {"cpus": os.cpu_count(), "threads": threads,
                    "load_avg_at_start": os.getloadavg()}
    result["embedding_throughput"] = throughput(model, Path(args.days))
    if not args.skip_arxiv:
        result["arxiv"] = arxiv_part(args, model)
    if args.million:
        db = Path(args.db or Path(args.workdir) / "arxiv.db")
        vs = VectorStore(index_dir(str(db)))
        real_index = vs.meta() is not None and vs.meta()["space"].startswith("onnx")
        _, real = vs.load() if real_index else ([], np.zeros((0, 384)))
        if args.base_vectors:
            real = np.load(args.base_vectors)
        if len(real) == 0:
            real = np.random.default_rng(1).normal(size=(5000, 384)).astype(np.float32)
        real = np.asarray(real, dtype=np.float32)
        real /= np.linalg.norm(real, axis=1, keepdims=True)
        result["million"] = million_part(args, model, real)
    result["load_avg_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
