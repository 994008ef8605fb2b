"""Ingest throughput, PostgreSQL vs SQLite, against the bare cost of reading the same files.

Prints, for the 128 JSONL files of daily-arXiv-ai-enhanced: seconds to gunzip +
json.loads every line (baseline), seconds for ingesting them into an empty SQLite
store and into an empty PostgreSQL store (a throwaway local cluster started here,
Unix socket, fsync off like the test cluster: see tests/pg_cluster.py; pass
--url to measure a real server instead), each in a fresh child process, and the
ratios to the baseline. ``--synthetic 100000 300000`` runs the synthetic-store scaling instead
(bench/scale_synth.py, once per backend, each in its own process) and prints the growth table;
worker scaling is bench/worker_scale.py.

    .venv/bin/python bench/scale_bench.py [DAYS_DIR] [--repeat N] [--url postgresql://...]
    nice .venv/bin/python bench/scale_bench.py --synthetic 100000 300000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

import pg_cluster  # noqa: E402  (tests/pg_cluster.py: the throwaway cluster)
from ingest_bench import CHILD, DEFAULT_DAYS, baseline  # noqa: E402


def ingest_once(files: list[Path], location: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([str(f) for f in files]), location],
                         capture_output=True, text=True, check=True, cwd=REPO, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def synthetic(sizes: list[int]) -> None:
    from scale_synth import growth_table

    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("sqlite", "postgresql"):
            out = Path(tmp) / f"{backend}.json"
            subprocess.run([sys.executable, str(REPO / "bench" / "scale_synth.py"), backend,
                            *map(str, sizes), "--json", str(out)], check=True, cwd=REPO)
            rows.extend(json.loads(out.read_text()))
    print(growth_table(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("days", nargs="?", type=Path, default=DEFAULT_DAYS)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best is reported")
    ap.add_argument("--url", help="an existing, empty PostgreSQL database instead of a throwaway cluster")
    ap.add_argument("--synthetic", type=int, nargs="+", metavar="SIZE",
                    help="synthetic stores of these sizes, both backends (bench/scale_synth.py)")
    args = ap.parse_args()
    if args.synthetic:
        synthetic(args.synthetic)
        return
    files = sorted(args.days.glob("*.jsonl.gz"))
    if not files:
        sys.exit(f"no *.jsonl.gz files in {args.days}")
    base = min(baseline(files) for _ in range(args.repeat))
    cluster = None if args.url else pg_cluster.start()
    try:
        results: dict[str, dict] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(args.repeat):
                for name in ("sqlite", "postgresql"):
                    if name == "sqlite":
                        location = str(Path(tmp) / f"s{run}.db")
                    else:
                        location = args.url if args.url else cluster.new_store_url()  # type: ignore[union-attr]
                    got = ingest_once(files, location)
                    if name not in results or got["seconds"] < results[name]["seconds"]:
                        results[name] = got
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"files {len(files)}, lines {results['sqlite']['read']}, papers {results['sqlite']['new']}")
    print(f"baseline (gunzip + json.loads): {base:.2f} s")
    for name, got in results.items():
        print(f"{name:10s} ingest {got['seconds']:.2f} s  ratio {got['seconds'] / base:.2f}x  "
              f"{got['read'] / got['seconds']:.0f} lines/s  peak RSS {got['peak_rss_mb']:.0f} MB")
    print(f"postgresql / sqlite: {results['postgresql']['seconds'] / results['sqlite']['seconds']:.2f}x")


if __name__ == "__main__":
    main()
