"""Trending benchmark: speed over the whole store, planted bursts, shuffled dates, real top 15.

    python bench/trending_bench.py --db PATH [--days 7] [--baseline-days 28] [--json]

1. Speed: ``trending`` over the store's last ``--days`` + ``--baseline-days`` (and over all
   64 days: recent 7 + baseline 57: first call, which fills the per-paper phrase cache in the
   data folder when it is new; warm call; without the cache, and whether all three agree),
   wall time and peak RSS.
2. Planted bursts: a made-up phrase appended to the abstracts of k papers first listed in the
   recent window, for several k (in memory; the store is not changed); the smallest k found
   at rank <= 10 and significant.
3. Shuffled dates: the recent/baseline flags permuted at random (5 seeds); significant
   detections are false by construction.
4. The real top 15 of the last week with counts (``--all``: flagged when not significant).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperradar.digest.trending import corpus, detect, trending, windows  # noqa: E402
from paperradar.store import open_store  # noqa: E402

PLANT = "zorblax manifold distillation"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--baseline-days", type=int, default=28)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    store = open_store(args.db)
    out: dict = {}
    dates = store.listing_dates()
    t0 = time.perf_counter()
    report = trending(store, days=args.days, baseline_days=args.baseline_days, top=15, significant_only=False)
    out["seconds_default"] = round(time.perf_counter() - t0, 2)
    span = (len(dates) and (__import__("datetime").date.fromisoformat(dates[-1])
                            - __import__("datetime").date.fromisoformat(dates[0])).days + 1)
    t0 = time.perf_counter()
    whole = trending(store, days=7, baseline_days=max(span - 7, 1), top=15)
    out["seconds_all_days"] = round(time.perf_counter() - t0, 2)  # cold when the phrase cache is new
    t0 = time.perf_counter()
    warm = trending(store, days=7, baseline_days=max(span - 7, 1), top=15)
    out["seconds_all_days_warm"] = round(time.perf_counter() - t0, 2)  # phrase cache filled
    t0 = time.perf_counter()
    uncached = trending(store, days=7, baseline_days=max(span - 7, 1), top=15, cache=None)
    out["seconds_all_days_uncached"] = round(time.perf_counter() - t0, 2)
    out["cached_equals_uncached"] = warm.as_dict() == uncached.as_dict() == whole.as_dict()
    out["all_days"] = {"recent": whole.recent_papers, "baseline": whole.baseline_papers,
                       "significant": [t.term for t in whole.trends]}
    out["peak_rss_mb"] = round(peak_mb(), 1)
    out["window"] = [report.since, report.until, report.baseline_since, report.baseline_until,
                     report.recent_papers, report.baseline_papers, report.tested, report.threshold]
    out["top15"] = [(t.term, t.recent, t.baseline, t.ratio, t.llr, t.significant, t.merged[:3])
                    for t in report.trends]

    since, until, b_since, _ = windows(report.until, args.days, args.baseline_days)
    papers = corpus(store, b_since, until)
    base = [(p.arxiv_id, f"{p.title}. {p.abstract}", d >= since) for p, d in papers]
    recent_rows = [i for i, (_, _, r) in enumerate(base) if r]
    rng = random.Random(0)
    order = rng.sample(recent_rows, len(recent_rows))
    planted = {}
    for k in (2, 3, 4, 5, 6, 8, 10, 12, 16, 20):
        docs = list(base)
        for i in order[:k]:
            pid, text, r = docs[i]
            docs[i] = (pid, f"{text} We use {PLANT}.", r)
        trends, *_ = detect(docs, top=10)
        rank = next((n for n, t in enumerate(trends, 1) if "zorblax" in t.term), None)
        planted[k] = rank
    out["planted_rank_by_k"] = planted
    out["smallest_k_detected"] = min((k for k, r in planted.items() if r is not None and r <= 10),
                                     default=None)
    false = []
    for seed in range(5):
        r2 = random.Random(seed)
        flags = [f for _, _, f in base]
        r2.shuffle(flags)
        docs = [(pid, text, f) for (pid, text, _), f in zip(base, flags, strict=True)]
        trends, *_ = detect(docs, top=50)
        false.append(len(trends))
    out["false_detections_shuffled"] = false
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    for key, value in out.items():
        if key == "top15":
            print("top 15 (term, recent, baseline, ratio, G², significant, merged):")
            for row in value:
                print("   ", row)
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
