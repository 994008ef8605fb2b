"""Summarize-worker scaling on PostgreSQL (issue 13): papers/s with 1 and with 2
``paperradar worker summarize`` processes (extractive backend) on the same papers, each count in
a fresh database of a throwaway local cluster, and the 16-machine backfill of 2.6M papers by
arithmetic from the measured rates.

    nice python bench/worker_scale.py [--files 3] [--days DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
DAYS = REPO.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"

import pg_cluster  # noqa: E402

from paperradar.ingest import ingest_records  # noqa: E402
from paperradar.sources import parse_path  # noqa: E402
from paperradar.store import open_store  # noqa: E402

BACKFILL = 2_600_000


def prepare(url: str, files: list[Path]) -> int:
    """Papers without summaries: the files' papers, their imported summaries ignored (extractive is
    its own source, so every paper needs one)."""
    store = open_store(url)
    try:
        for f in files:
            ingest_records(store, parse_path(f), str(f))
        return store.count_papers()
    finally:
        store.close()


def run(url: str, processes: int) -> float:
    cmd = [sys.executable, "-m", "paperradar", "--db", url, "worker", "summarize", "--all",
           "--backend", "extractive", "--wait", "30", "--json"]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)}) for _ in range(processes)]
    outs = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0 or not out.strip():
            raise SystemExit(f"worker failed ({p.returncode}): {err.strip()[-2000:]}")
        outs.append(json.JSONDecoder().raw_decode(out[out.index("{"):])[0])  # the --json report
    seconds = time.perf_counter() - t0
    stored = sum(int(o["stored"]) for o in outs)
    return stored / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=3, help="how many daily files to summarise")
    ap.add_argument("--days", type=Path, default=DAYS)
    args = ap.parse_args()
    files = [f for f in sorted(args.days.glob("*.jsonl.gz")) if "Chinese" not in f.name][: args.files]
    cluster = pg_cluster.start()
    try:
        rates = {}
        for n in (1, 2):
            url = cluster.new_store_url()
            papers = prepare(url, files)
            rates[n] = run(url, n)
            print(json.dumps({"processes": n, "papers": papers, "papers_per_s": round(rates[n], 2),
                              "load": os.getloadavg()[0]}), flush=True)
    finally:
        cluster.stop()
    per_machine = rates[2]  # a machine like this one runs 2 workers
    hours = BACKFILL / (16 * per_machine) / 3600
    print(f"1 process {rates[1]:.2f} papers/s, 2 processes {rates[2]:.2f} papers/s "
          f"(ratio {rates[2] / rates[1]:.2f}x)")
    print(f"16 machines x 2 workers: {BACKFILL:,} papers in {hours:.1f} h ({hours / 24:.1f} days) "
          f"at {16 * per_machine:.0f} papers/s, if the database keeps up")


if __name__ == "__main__":
    main()
