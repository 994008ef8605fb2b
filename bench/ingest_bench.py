"""Ingest speed and memory against the bare cost of reading the same files.

Prints: seconds to gunzip + json.loads every line of the 128 JSONL files
(baseline), seconds for `paperradar ingest` of the same files into an empty
SQLite store (run in a fresh child process so its peak RSS is its own), the
ratio (goal <= 3) and the child's peak resident memory (goal < 300 MB).

    .venv/bin/python bench/ingest_bench.py [DAYS_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DAYS = Path(__file__).resolve().parents[1].parent / "shared/data/arxiv_daily_ai_enhanced/days"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from paperradar.store import open_store
from paperradar.sources import parse_path
from paperradar.ingest import ingest_records
files = [Path(p) for p in json.loads(sys.argv[1])]
store = open_store(sys.argv[2])
t = time.perf_counter()
read = new = 0
for f in files:
    r = ingest_records(store, parse_path(f), str(f))
    read += r.read; new += r.new
elapsed = time.perf_counter() - t
store.close()
print(json.dumps({"seconds": elapsed, "read": read, "new": new,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def baseline(files: list[Path]) -> float:
    t = time.perf_counter()
    for f in files:
        with gzip.open(f, "rb") as handle:
            for line in handle:
                json.loads(line)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("days", nargs="?", type=Path, default=DEFAULT_DAYS)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    args = ap.parse_args()
    files = sorted(args.days.glob("*.jsonl.gz"))
    if not files:
        sys.exit(f"no *.jsonl.gz files in {args.days}")
    base = min(baseline(files) for _ in range(args.repeat))
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([str(f) for f in files]),
                                  str(Path(tmp) / "bench.db")], check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout))
    best = min(runs, key=lambda r: r["seconds"])
    print(f"files                  {len(files)}")
    print(f"records read           {best['read']}  (new papers {best['new']})")
    print(f"baseline gunzip+json   {base:.3f} s")
    print(f"paperradar ingest      {best['seconds']:.3f} s")
    print(f"ratio                  {best['seconds'] / base:.2f}x  (goal <= 3)")
    print(f"peak RSS (ingest)      {max(r['peak_rss_mb'] for r in runs):.0f} MB  (goal < 300)")


if __name__ == "__main__":
    main()
