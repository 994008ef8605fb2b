"""Synthetic-store scaling (issue 13): ingest rate, day-digest render time, search catch-up after
10,000 new papers and store size, at growing store sizes, in one backend.

Papers are real abstracts recombined: titles, abstract sentences, authors and categories drawn
from the daily-arXiv-ai-enhanced files; 500-700 new papers a day (weekdays), each listed under
its primary category as "new" and up to two more as "cross-list", plus 40 replacements a day of
earlier papers (new version, edited abstract). Each day is one ``ingest_records`` unit, as a
daily file is. At every size S: ingest up to S - 10,000 papers, catch the indexes up (untimed),
ingest 10,000 more (timed, the ingest rate), time a keyword-only and a dense catch-up (dense
with an 8-d deterministic embedder so the index machinery is timed, not MiniLM), time rendering
the last day (dae-md and html, best of 3), and measure the store on disk. ``merge all`` is the
CPU time of the rare merge of every keyword segment into one, ``open kw`` that of opening the
keyword index for search (not part of a catch-up; its whole-index work). For contrast it also
times reading every paper the way the old catch-up did (``_scan``). ``vector store CPU s`` is the
CPU time of the dense catch-up spent in the vector store: the dense self-check and every
``VectorStore`` method (outermost calls); ``dense part CPU s`` is all of its dense side: the dense
self-check plus everything after the keyword index is written (from the end of the first
``state.json`` write to the end of the last: reading the store's vectors, embedding, appending).
They measure what ``dense CPU s`` minus ``kw CPU s`` only estimates (both catch-ups do the same
keyword work, but its CPU time varies by seconds from run to run).

    nice python bench/scale_synth.py sqlite 100000 300000 [--days DIR] [--json OUT]
    nice python bench/scale_synth.py postgresql 100000 300000   # a throwaway local cluster
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gzip
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
DAYS = REPO.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"

import paperradar.index.state as index_state  # noqa: E402
from paperradar.digest import render_day  # noqa: E402
from paperradar.index import segments  # noqa: E402
from paperradar.index.dense import VectorStore  # noqa: E402
from paperradar.index.search import SearchIndex  # noqa: E402
from paperradar.index.state import _scan, catch_up, check, read_state  # noqa: E402
from paperradar.ingest import ingest_records  # noqa: E402
from paperradar.models import Listing, Origin, Paper, Record  # noqa: E402
from paperradar.store import open_store  # noqa: E402


class TinyEmbedder:
    space, dim = "tiny-8", 8

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text[:400].split():
                out[i, len(word) % self.dim] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1.0)
        return out


class StoreTimer:
    """CPU seconds spent in the dense self-check and the vector store's methods, outermost calls
    only (a method calling another counts once); works on any version of their API."""

    def __init__(self) -> None:
        self.cpu, self.depth, self.check_cpu, self.writes = 0.0, 0, 0.0, []
        self.wrap(index_state, "_check_dense")
        for name in ("scan", "load", "append", "repair", "compact", "count", "checked", "resume"):
            self.wrap(VectorStore, name)
        check_dense, write_state = index_state._check_dense, index_state._write_state

        def timed_check(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.process_time()
            try:
                return check_dense(*args, **kwargs)
            finally:
                self.check_cpu += time.process_time() - started

        def noted_write(*args, **kwargs):  # type: ignore[no-untyped-def]
            try:
                return write_state(*args, **kwargs)
            finally:
                self.writes.append(time.process_time())

        index_state._check_dense, index_state._write_state = timed_check, noted_write  # type: ignore[assignment]

    def reset(self) -> None:
        self.cpu, self.check_cpu, self.writes = 0.0, 0.0, []

    def dense_part(self) -> float:
        """The dense self-check, and the CPU from the end of the first state write to the last."""
        return self.check_cpu + (self.writes[-1] - self.writes[0] if len(self.writes) > 1 else 0.0)

    def wrap(self, owner: object, name: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            if self.depth:
                return original(*args, **kwargs)
            self.depth, started = 1, time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - started
                self.depth = 0

        setattr(owner, name, timed)


def load_pool(days: Path) -> list[dict]:
    pool = []
    for f in sorted(days.glob("*.jsonl.gz")):
        if "Chinese" in f.name:
            continue
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                if d.get("summary") and d.get("title") and d.get("categories"):
                    pool.append({"t": d["title"], "s": [s for s in d["summary"].split(". ") if s],
                                 "a": d.get("authors") or ["A. Author"], "c": d["categories"]})
    return pool


class Synth:
    def __init__(self, pool: list[dict], seed: int = 13) -> None:
        self.pool, self.rng, self.n, self.day = pool, random.Random(seed), 0, dt.date(2021, 1, 4)
        self.made: list[Paper] = []

    def paper(self, arxiv_id: str, version: int = 1) -> Paper:
        r = self.rng
        a, b, c = r.choice(self.pool), r.choice(self.pool), r.choice(self.pool)
        words = a["t"].split()
        title = " ".join(words[: len(words) // 2] + b["t"].split()[len(b["t"].split()) // 2:])
        sentences = a["s"][:2] + b["s"][1:3] + c["s"][-2:]
        authors = a["a"] if isinstance(a["a"], list) else [str(a["a"])]
        cats = tuple(dict.fromkeys(c["c"]))[:3]
        return Paper(arxiv_id=arxiv_id, title=title, authors=tuple(str(x) for x in authors[:12]),
                     abstract=". ".join(sentences), categories=cats, version=version,
                     primary_category=cats[0], submitted=self.day.isoformat())

    def next_day(self) -> tuple[str, list[Record]]:
        while self.day.weekday() >= 5:
            self.day += dt.timedelta(days=1)
        date = self.day.isoformat()
        self.day += dt.timedelta(days=1)
        records: list[Record] = []
        position = 0
        for _ in range(self.rng.randint(500, 700)):
            month = self.n // 40000
            pid = f"{21 + month // 12:02d}{month % 12 + 1:02d}.{self.n % 40000 + 1:05d}"
            self.n += 1
            p = self.paper(pid)
            self.made.append(p)
            for k, cat in enumerate(p.categories):
                records.append(Record(p, Origin(date), Listing(pid, date, cat, position,
                                                               "new" if k == 0 else "cross-list")))
            position += 1
        for old in self.rng.sample(self.made[:-700], min(40, max(len(self.made) - 700, 0))):
            p = self.paper(old.arxiv_id, version=(old.version or 1) + 1)
            p = dataclasses.replace(p, title=old.title, categories=old.categories,
                                    primary_category=old.primary_category)
            records.append(Record(p, Origin(date), Listing(p.arxiv_id, date, p.categories[0], position,
                                                           "replacement")))
            position += 1
        return date, records


def store_bytes(store, location: str) -> int:  # type: ignore[no-untyped-def]
    if location.startswith("postgresql"):
        return int(store._rows("SELECT pg_database_size(current_database())")[0][0])
    return sum(os.path.getsize(location + s) for s in ("", "-wal") if os.path.exists(location + s))


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


COLUMNS = (("papers", "papers", "{:,.0f}"), ("ingest_papers_per_s", "ingest papers/s", "{:,.0f}"),
           ("render_dae_md_s", "dae-md s", "{:.3f}"), ("render_dae_md_cpu_s", "dae-md CPU s", "{:.3f}"),
           ("render_html_s", "html s", "{:.3f}"), ("render_html_cpu_s", "html CPU s", "{:.3f}"),
           ("catch_up_keyword_s", "catch-up kw s", "{:.1f}"),
           ("catch_up_keyword_cpu_s", "kw CPU s", "{:.1f}"),
           ("catch_up_dense_s", "catch-up dense s", "{:.1f}"),
           ("catch_up_dense_cpu_s", "dense CPU s", "{:.1f}"),
           ("vector_store_cpu_s", "vector store CPU s", "{:.2f}"),
           ("dense_part_cpu_s", "dense part CPU s", "{:.2f}"),
           ("catch_up_read", "rows read", "{:,.0f}"), ("segments", "kw segments", "{:.0f}"),
           ("merge_all_cpu_s", "merge all CPU s", "{:.1f}"), ("open_kw_cpu_s", "open kw CPU s", "{:.1f}"),
           ("full_scan_s", "full scan s", "{:.1f}"),
           ("store_mb", "store MB", "{:,.0f}"), ("index_mb", "index MB", "{:,.0f}"),
           ("load", "load", "{:.1f}"))


def growth_table(rows: list[dict]) -> str:
    """A markdown table of the rows, then each figure's growth from the first size to the last
    beside the growth of the store (sub-linear: the ratio is below the store's)."""
    out = ["| backend | " + " | ".join(title for _, title, _ in COLUMNS) + " |",
           "| --- " * (len(COLUMNS) + 1) + "|"]
    for r in rows:
        out.append(f"| {r['backend']} | " + " | ".join(fmt.format(r[key]) for key, _, fmt in COLUMNS) + " |")
    for backend in dict.fromkeys(r["backend"] for r in rows):
        mine = [r for r in rows if r["backend"] == backend]
        if len(mine) < 2:
            continue
        a, b = mine[0], mine[-1]
        grow = b["papers"] / a["papers"]
        parts = [f"{title} x{b[key] / a[key]:.2f}" for key, title, _ in COLUMNS[1:-1]
                 if a[key] and key not in ("catch_up_read", "segments")]
        out.append(f"\n{backend}: store x{grow:.2f}; " + ", ".join(parts))
    return "\n".join(out)


def run_days(store, folder: Path, synth: Synth, days: int) -> dict:  # type: ignore[no-untyped-def]
    """``days`` daily ingests, each followed by a keyword catch-up: what the segments and their
    merges cost over time (per-day CPU mean and max, the segments, the rows merges rewrote)."""
    cpu, counts, merged = [], [], 0
    for _ in range(days):
        date, recs = synth.next_day()
        ingest_records(store, recs, date)
        c0 = time.process_time()
        report = catch_up(store, folder, None)
        cpu.append(time.process_time() - c0)
        counts.append(len((read_state(folder) or {}).get("keyword", {}).get("segments", [])))
        merged += report.merged
    return {"daily": days, "papers": store.count_papers(), "day_cpu_mean_s": sum(cpu) / len(cpu),
            "day_cpu_max_s": max(cpu), "day_cpu_min_s": min(cpu), "segments_max": max(counts),
            "segments_end": counts[-1], "rows_merged": merged, "rows_merged_per_day": merged / days}


def merge_and_open(store, folder: Path) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """CPU seconds of the rare merge of every keyword segment into one (what a catch-up does when
    the appended segments have grown as large as the first; written aside and removed, the index
    is left as it was), of opening the keyword index for search (check and assemble the segments,
    derive the BM25 weights), and how many segments there are."""
    state = read_state(folder) or {}
    listed = segments.segments_of(state)
    vocab = check(folder, assemble=False).vocab
    assert vocab is not None
    c0 = time.process_time()
    merged = segments.merge(folder, listed, 0, vocab, segments.new_name(999999))
    merge_cpu = time.process_time() - c0
    for name in merged.files:
        (folder / name).unlink()
    c0 = time.process_time()
    SearchIndex.open(store, folder, dense=False, share=False)
    return merge_cpu, time.process_time() - c0, len(listed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("backend", choices=["sqlite", "postgresql"])
    ap.add_argument("sizes", nargs="+", type=int)
    ap.add_argument("--days", type=Path, default=DAYS)
    ap.add_argument("--delta", type=int, default=10000)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--daily", type=int, default=0,
                    help="then this many days, each ingested and caught up (keyword only): merges over time")
    args = ap.parse_args()
    pool = load_pool(args.days)
    timer = StoreTimer()
    synth = Synth(pool)
    cluster = None
    results = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("SCALE_TMP")) as tmp:
        if args.backend == "postgresql":
            import pg_cluster
            cluster = pg_cluster.start()
            location = cluster.new_store_url()
        else:
            location = str(Path(tmp) / "scale.db")
        store = open_store(location)
        kw, dense, emb = Path(tmp) / "kw", Path(tmp) / "dense", TinyEmbedder()
        try:
            last_date = ""
            for size in args.sizes:
                while synth.n < size - args.delta:
                    last_date, recs = synth.next_day()
                    ingest_records(store, recs, last_date)
                catch_up(store, kw, None)
                catch_up(store, dense, emb)
                t0, start_n, listed = time.perf_counter(), synth.n, 0
                while synth.n < size:
                    last_date, recs = synth.next_day()
                    listed += len(recs)
                    ingest_records(store, recs, last_date)
                ingest_s = time.perf_counter() - t0
                t0, c0 = time.perf_counter(), time.process_time()
                k = catch_up(store, kw, None)
                kw_s, kw_cpu = time.perf_counter() - t0, time.process_time() - c0
                timer.reset()
                t0, c0 = time.perf_counter(), time.process_time()
                d = catch_up(store, dense, emb)
                dense_s, dense_cpu = time.perf_counter() - t0, time.process_time() - c0
                store_cpu, part_cpu = timer.cpu, timer.dense_part()
                render = {}
                for fmt in ("dae-md", "html"):
                    best = cpu = 1e9
                    for _ in range(3):
                        t0, c0 = time.perf_counter(), time.process_time()
                        render_day(store, last_date, fmt)
                        best = min(best, time.perf_counter() - t0)
                        cpu = min(cpu, time.process_time() - c0)
                    render[fmt], render[fmt + "_cpu"] = best, cpu
                t0 = time.perf_counter()
                _scan(store)
                scan_s = time.perf_counter() - t0
                merge_cpu, open_cpu, n_segments = merge_and_open(store, kw)
                row = {"backend": args.backend, "papers": store.count_papers(),
                       "ingest_papers_per_s": (synth.n - start_n) / ingest_s,
                       "ingest_records_per_s": listed / ingest_s,
                       "render_dae_md_s": render["dae-md"], "render_html_s": render["html"],
                       "render_dae_md_cpu_s": render["dae-md_cpu"], "render_html_cpu_s": render["html_cpu"],
                       "catch_up_keyword_s": kw_s, "catch_up_dense_s": dense_s,
                       "catch_up_keyword_cpu_s": kw_cpu, "catch_up_dense_cpu_s": dense_cpu,
                       "vector_store_cpu_s": store_cpu, "dense_part_cpu_s": part_cpu,
                       "catch_up_read": k.read_from_store, "catch_up_tokenised": k.tokenised,
                       "dense_embedded": d.embedded, "full_scan_s": scan_s, "segments": n_segments,
                       "merge_all_cpu_s": merge_cpu, "open_kw_cpu_s": open_cpu,
                       "store_mb": store_bytes(store, location) / 2**20,
                       "index_mb": (folder_bytes(kw) + folder_bytes(dense)) / 2**20,
                       "load": os.getloadavg()[0]}
                results.append(row)
                print(json.dumps(row), flush=True)
            if args.daily:
                daily = run_days(store, kw, synth, args.daily)
                print(json.dumps(daily), flush=True)
                results.append(daily)
        finally:
            store.close()
            if cluster is not None:
                cluster.stop()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(growth_table([r for r in results if "daily" not in r]))


if __name__ == "__main__":
    main()
