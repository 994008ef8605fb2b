"""Throughput of the extractive summarizer (papers/s), end to end from abstract to fields.

    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 .venv/bin/python bench/summarize_bench.py [--papers N] [--store]
        [--weights roles.json|tagger.onnx|network.npz]

Reads real abstracts from ../shared/data/arxiv_daily_ai_enhanced/days. With
--store the run also goes through the summarize job into a temporary SQLite
store (selection, staleness check, per-batch commits), which is what
`paperradar summarize` does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from paperradar.enrich.extractive import ExtractiveSummarizer
from paperradar.enrich.roles import RoleClassifier, default_classifier
from paperradar.models import Paper

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"


def load_papers(limit: int) -> list[Paper]:
    seen: dict[str, Paper] = {}
    for path in sorted(DAYS.glob("*_AI_enhanced_*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                r = json.loads(line)
                seen.setdefault(r["id"], Paper(r["id"], r["title"], tuple(r["authors"]), r["summary"],
                                               tuple(r["categories"]), version=1))
                if len(seen) >= limit:
                    return list(seen.values())
    return list(seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=3000)
    parser.add_argument("--store", action="store_true", help="go through the job and a SQLite store")
    parser.add_argument("--weights", type=Path, default=None,
                        help="role model to use (roles.json, .onnx or .npz; default: the shipped one)")
    args = parser.parse_args()
    papers = load_papers(args.papers)
    classifier = RoleClassifier.load(args.weights) if args.weights else default_classifier()
    # loading the weights and the sentence encoder (ONNX session) is a one-off, not per paper
    classifier.predict([["Warm-up sentence."]])
    backend = ExtractiveSummarizer(classifier=classifier)
    started = time.perf_counter()
    if args.store:
        from paperradar.enrich.job import run_summarize
        from paperradar.store import open_store

        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(str(Path(tmp) / "bench.db"))
            with store.transaction():
                store.insert_papers(papers, "2026-01-01T00:00:00Z")
            started = time.perf_counter()
            report = run_summarize(store, backend, papers, progress=False)
            done = report.stored
            store.close()
    else:
        done = 0
        backend.summarize_many(papers, lambda s: None)
        done = len(papers)
    seconds = time.perf_counter() - started
    print(json.dumps({"papers": done, "seconds": round(seconds, 2), "papers_per_s": round(done / seconds, 1),
                      "through_store": args.store}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
