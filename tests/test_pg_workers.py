"""Several summarize workers on one PostgreSQL store, one of them killed with SIGKILL mid-run.

Three ``paperradar worker summarize`` processes share the papers: at the end every
paper has exactly one extractive summary, the work table says each was done once,
by one worker, and the papers the killed worker held came back after its lease.

Size: PAPERS papers (default 240, ``$PAPERRADAR_WORKER_TEST_PAPERS`` to change it).
The issue asks for 3,000; the extractive backend runs at about 10 papers/s per core
on the shared 2-core CI machine, so 3,000 would take five minutes: the 3,000-paper
figure is measured by bench/scale_bench.py instead (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pg_cluster as throwaway_pg
import pytest

from paperradar.models import Record
from paperradar.sources import parse_path
from paperradar.store import open_store
from paperradar.workers.queue import WorkQueue
from paperradar.workers.summarize import job_name

REPO = Path(__file__).resolve().parents[1]
DAYS = REPO.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"
PAPERS = int(os.environ.get("PAPERRADAR_WORKER_TEST_PAPERS", "240"))
NOW = "2026-07-01T00:00:00Z"


def _papers(n: int) -> list:
    found: dict = {}
    for path in sorted(DAYS.glob("*_AI_enhanced_Chinese.jsonl.gz")):
        for r in parse_path(path):
            if isinstance(r, Record):
                found.setdefault(r.paper.arxiv_id, r.paper)
        if len(found) >= n:
            break
    return list(found.values())[:n]


def _worker(url: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "paperradar", "-q", "--db", url, "worker", "summarize",
                             "--all", "--batch", "8", "--lease", "4", "--wait", "120", "--json"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.needs_shared
def test_three_workers_one_killed_every_paper_done_exactly_once(pg_cluster: throwaway_pg.Cluster) -> None:
    papers = _papers(PAPERS)
    assert len(papers) == PAPERS and DAYS.is_dir()
    url = pg_cluster.new_store_url()
    store = open_store(url)
    with store.transaction():
        store.insert_papers(papers, NOW)
    workers = [_worker(url) for _ in range(3)]
    victim = workers[1]
    try:
        deadline = time.monotonic() + 120
        while store._rows("SELECT count(*) FROM summaries")[0][0] < PAPERS // 5:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "workers made no progress"
            assert all(w.poll() is None for w in workers), [w.stderr.read() for w in workers if w.stderr]
            time.sleep(0.2)
        held = store._rows("SELECT count(*) FROM paperradar_work WHERE state='pending' "  # type: ignore[attr-defined]
                           "AND claimed_by LIKE %s", (f"%:{victim.pid}",))[0][0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        reports = []
        for w in (workers[0], workers[2]):
            out, err = w.communicate(timeout=300)
            assert w.returncode == 0, err
            reports.append(json.loads(out))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(10)
    rows = store._rows("SELECT arxiv_id, count(*) FROM summaries GROUP BY arxiv_id")  # type: ignore[attr-defined]
    assert len(rows) == PAPERS and all(n == 1 for _, n in rows)
    work = store._rows("SELECT state, done_by, attempts FROM paperradar_work")  # type: ignore[attr-defined]
    assert len(work) == PAPERS and all(state == "done" for state, _, _ in work)
    by_worker: dict[str, int] = {}
    for _, done_by, _ in work:
        by_worker[done_by] = by_worker.get(done_by, 0) + 1
    for report in reports:  # what each survivor says it stored is what the table credits it with
        assert by_worker.get(report["worker"], 0) == report["stored"]
    killed = next((w for w in by_worker if w.endswith(f":{victim.pid}")), None)
    assert sum(r["stored"] for r in reports) + (by_worker[killed] if killed else 0) == PAPERS
    if held:  # the victim's claims were taken over after its lease: tried twice
        assert sum(1 for _, _, attempts in work if attempts > 1) >= 1
    queue = WorkQueue(store, job_name_for_extractive())
    counts = queue.counts()
    assert (counts.pending, counts.leased, counts.done) == (0, 0, PAPERS)
    store.close()


def job_name_for_extractive() -> str:
    from paperradar.enrich.extractive import ExtractiveSummarizer

    return job_name(ExtractiveSummarizer())


def test_a_worker_needs_postgresql(tmp_path: Path) -> None:
    from paperradar.store import StoreError

    store = open_store(str(tmp_path / "s.db"))
    try:
        with pytest.raises(StoreError, match="PostgreSQL"):
            WorkQueue(store, "summarize:x")
    finally:
        store.close()


def test_claims_skip_locked_lease_expiry_and_late_completion(pg_cluster: throwaway_pg.Cluster) -> None:
    store = open_store(pg_cluster.new_store_url())
    a, b = WorkQueue(store, "j", worker="a"), WorkQueue(store, "j", worker="b")
    assert a.enqueue([f"p{i}" for i in range(10)]) == 10 and b.enqueue(["p0", "p1"]) == 0
    first = a.claim(4, lease_seconds=1)
    second = b.claim(100, lease_seconds=60)
    assert len(first) == 4 and len(second) == 6 and not set(first) & set(second)
    assert b.claim(5, 60) == []  # everything is held
    time.sleep(1.2)  # a's lease runs out
    taken = b.claim(5, 60)
    assert taken == first
    with store.transaction():
        assert a.complete(first) == []  # too late: b holds them now
        assert sorted(b.complete(first + second)) == sorted(first + second)
    counts = a.counts()
    assert (counts.pending, counts.leased, counts.done) == (0, 0, 10)
    store.close()
