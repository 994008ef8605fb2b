"""A work queue in the PostgreSQL store: claims with ``FOR UPDATE SKIP LOCKED`` and lease expiry.

One row per (job, paper) in ``paperradar_work``. :meth:`WorkQueue.claim` takes up
to N pending rows whose lease is free or expired, skipping rows another worker
is claiming at that moment, and stamps them with the worker's name and a lease
end. :meth:`WorkQueue.complete` marks rows done *only if the worker still holds
them*, in the same transaction as the caller's writes (the summaries), so a
worker that was too slow (its lease expired and another took the paper over)
stores nothing: every paper is stored exactly once. A rerun enqueues the same
papers again (a no-op for those done) and finishes what was left.

The table belongs to the queue, not to the Store protocol: it exists only in
PostgreSQL stores and is made on first use.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from paperradar.store.base import Store, StoreError

TABLE = "paperradar_work"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " job text COLLATE \"C\" NOT NULL,"
    " arxiv_id text COLLATE \"C\" NOT NULL,"
    " state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),"
    " claimed_by text, lease_until timestamptz, attempts integer NOT NULL DEFAULT 0,"
    " done_by text, done_at timestamptz,"
    " PRIMARY KEY (job, arxiv_id))",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_pending ON {TABLE} (job, lease_until) WHERE state = 'pending'",
)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class QueueCounts:
    pending: int
    leased: int
    done: int


class WorkQueue:
    """The work of one ``job`` (e.g. ``summarize:extractive:English``) in a PostgreSQL store."""

    def __init__(self, store: Store, job: str, worker: str | None = None) -> None:
        if not hasattr(store, "_rows") or getattr(store, "read_only", False):
            raise StoreError("several workers need a writable PostgreSQL store (--db postgresql://...); "
                             f"{store.location} is not one")
        self.store = store
        self.job = job
        self.worker = worker or worker_name()
        with store.transaction():
            for statement in SCHEMA:
                self._sql(statement)

    def _sql(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return self.store._rows(sql, params)

    def enqueue(self, ids: Sequence[str]) -> int:
        """Add papers to the job (those already there, done or not, are left alone); how many were new."""
        added = 0
        for start in range(0, len(ids), 10_000):
            part = list(ids[start:start + 10_000])
            with self.store.transaction():
                added += len(self._sql(
                    f"INSERT INTO {TABLE} (job, arxiv_id) SELECT %s, unnest(%s::text[]) "
                    "ON CONFLICT DO NOTHING RETURNING 1", (self.job, part)))
        return added

    def claim(self, n: int, lease_seconds: float) -> list[str]:
        """Up to ``n`` pending papers nobody holds (or whose holder's lease ran out), now ours."""
        with self.store.transaction():
            rows = self._sql(
                f"UPDATE {TABLE} w SET claimed_by=%s, lease_until=now() + make_interval(secs => %s::float8), "
                "attempts = w.attempts + 1 "
                f"FROM (SELECT job, arxiv_id FROM {TABLE} WHERE job=%s AND state='pending' "
                "AND (lease_until IS NULL OR lease_until < now()) ORDER BY arxiv_id LIMIT %s "
                "FOR UPDATE SKIP LOCKED) free WHERE w.job = free.job AND w.arxiv_id = free.arxiv_id "
                "RETURNING w.arxiv_id",
                (self.worker, lease_seconds, self.job, n))
        return sorted(r[0] for r in rows)

    def complete(self, ids: Sequence[str]) -> list[str]:
        """Mark ``ids`` done, those we still hold; call inside the transaction that stores their results,
        and store results only for the ids returned."""
        rows = self._sql(
            f"UPDATE {TABLE} SET state='done', done_by=%s, done_at=now(), lease_until=NULL "
            "WHERE job=%s AND arxiv_id = ANY(%s) AND state='pending' AND claimed_by=%s "
            "AND lease_until >= now() RETURNING arxiv_id",
            (self.worker, self.job, list(ids), self.worker))
        return [r[0] for r in rows]

    def counts(self) -> QueueCounts:
        rows = self._sql(
            "SELECT count(*) FILTER (WHERE state='pending' AND (lease_until IS NULL "
            "OR lease_until < now())), "
            "count(*) FILTER (WHERE state='pending' AND lease_until >= now()), "
            f"count(*) FILTER (WHERE state='done') FROM {TABLE} WHERE job=%s", (self.job,))
        pending, leased, done = rows[0]
        return QueueCounts(int(pending), int(leased), int(done))
