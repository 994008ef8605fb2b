"""Render-time benchmark for the daily digest: a 600-paper day in every format.

Builds a fresh SQLite store holding one synthetic 600-paper day, made of the
real papers (with their Chinese summaries and code links) of the two largest
real days, re-listed under one date. Optionally (--with-history) all 64 real
days are ingested first, so the repeat/already-seen lookup sees a realistic store.
Prints the median wall time of several runs per format (store queries included).

    nice -n 10 .venv/bin/python bench/render_bench.py [--runs 7] [--papers 600] [--with-history]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from paperradar.digest import FORMATS, build_day, render_day
from paperradar.ingest import ingest_records
from paperradar.models import Record
from paperradar.sources import parse_path
from paperradar.store import open_store

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"
BIG_DAY = "2026-07-15"  # not a real day in the data, so it cannot clash


def synthetic_day(papers: int) -> list[Record]:
    """``papers`` unique records from the largest AI-enhanced files, listed on BIG_DAY."""
    files = sorted(DAYS.glob("*_AI_enhanced_*.jsonl.gz"), key=lambda p: p.stat().st_size, reverse=True)
    out: list[Record] = []
    seen: set[str] = set()
    for path in files:
        for item in parse_path(path):
            if not isinstance(item, Record) or item.listing is None or item.paper.arxiv_id in seen:
                continue
            seen.add(item.paper.arxiv_id)
            item.listing = dataclasses.replace(item.listing, date=BIG_DAY, position=len(out))
            out.append(item)
            if len(out) == papers:
                return out
    raise SystemExit(f"only {len(out)} unique papers found in {DAYS}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--papers", type=int, default=600)
    ap.add_argument("--with-history", action="store_true", help="ingest all 64 real days first")
    args = ap.parse_args()
    if not DAYS.is_dir():
        sys.exit(f"shared data not found at {DAYS}")

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "bench.db"))
        if args.with_history:
            for path in sorted(DAYS.glob("*_AI_enhanced_*.jsonl.gz")):
                ingest_records(store, parse_path(path), str(path))
        ingest_records(store, synthetic_day(args.papers), "synthetic")
        day = build_day(store, BIG_DAY)
        print(f"store: {store.count_papers()} papers, {len(store.listing_dates())} dates; day {BIG_DAY}: "
              f"{day.total} papers in {len(day.categories)} categories; median of {args.runs} runs")

        def timed(fn) -> tuple[float, int]:
            times, size = [], 0
            for _ in range(args.runs):
                start = time.perf_counter()
                result = fn()
                times.append(time.perf_counter() - start)
                size = len(result.encode("utf-8")) if isinstance(result, str) else 0
            return statistics.median(times), size

        seconds, _ = timed(lambda: build_day(store, BIG_DAY))
        print(f"{'build_day (queries only)':<26} {seconds * 1000:8.1f} ms")
        for fmt in FORMATS:
            seconds, size = timed(lambda fmt=fmt: render_day(store, BIG_DAY, fmt))
            print(f"{'render_day ' + fmt:<26} {seconds * 1000:8.1f} ms  {size / 1e6:6.2f} MB")
        store.close()


if __name__ == "__main__":
    main()
