"""The summarize worker: N of them, on N machines, share one PostgreSQL store.

Each worker enqueues the selection (idempotent: every worker may do it), then
claims a batch, summarises it, and in one transaction marks the batch done and
stores the summaries of the papers it still holds. A worker that dies
(``kill -9``) loses its claims when their lease expires; the others take them
over. When nothing is claimable but other workers still hold leases, a worker
waits for them (bounded by ``wait_seconds``) so that one run finishes the job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from paperradar.clock import now_iso
from paperradar.enrich.base import Summarizer
from paperradar.enrich.job import needing_summary
from paperradar.models import Paper, Summary
from paperradar.store.base import Store
from paperradar.workers.queue import WorkQueue


@dataclass
class WorkerReport:
    worker: str
    enqueued: int = 0
    claimed: int = 0
    stored: int = 0
    lost: int = 0  # summarised, but the lease had run out and another worker took the paper
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"worker": self.worker, "enqueued": self.enqueued, "claimed": self.claimed,
                "stored": self.stored, "lost_leases": self.lost, "seconds": round(self.seconds, 3)}


def job_name(backend: Summarizer) -> str:
    return f"summarize:{backend.source}:{backend.model}:{backend.prompt_version}:{backend.language}"


def run_worker(store: Store, backend: Summarizer, papers: Sequence[Paper], *, batch: int = 20,
               lease_seconds: float = 60.0, wait_seconds: float = 600.0, worker: str | None = None,
               on_batch: Callable[[int], None] | None = None) -> WorkerReport:
    """Work on the summaries ``papers`` still need until none is left (see the module doc)."""
    started = time.monotonic()
    queue = WorkQueue(store, job_name(backend), worker=worker)
    report = WorkerReport(queue.worker)
    report.enqueued = queue.enqueue([p.arxiv_id for p in needing_summary(store, backend, papers)])
    deadline = time.monotonic() + wait_seconds
    while True:
        ids = queue.claim(batch, lease_seconds)
        if not ids:
            counts = queue.counts()
            if counts.pending == 0 and counts.leased == 0:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(min(1.0, lease_seconds / 4))
            continue
        report.claimed += len(ids)
        found = store.get_papers(ids)
        todo = [found[i] for i in ids if i in found]
        results: list[Summary] = []
        backend.summarize_many(todo, results.append)
        with store.transaction():
            kept = set(queue.complete(ids))
            fresh = [replace(s, created=s.created or now_iso()) for s in results if s.arxiv_id in kept]
            store.upsert_summaries(fresh)
        report.stored += len(fresh)
        report.lost += len(ids) - len(kept)
        if on_batch is not None:
            on_batch(report.stored)
    report.seconds = time.monotonic() - started
    return report
