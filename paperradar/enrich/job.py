"""The ``summarize`` job: which papers need a summary, and storing each one at once.

A stored summary is *current* for a backend when its source, model, prompt
version and language match the backend's and it was made from the paper's
current version; only papers without a current summary are sent to the
backend. Finished summaries are written in small transactions as they arrive
(at most ``FLUSH_EVERY`` of them or ``FLUSH_SECONDS`` apart, and always when
the run stops, Ctrl-C included), so an interruption loses only papers that were
still in flight and a re-run picks up the rest.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tqdm import tqdm

from paperradar.clock import now_iso
from paperradar.enrich.base import RunStats, Summarizer
from paperradar.models import Paper, Summary
from paperradar.store.base import Store

FLUSH_EVERY = 32
FLUSH_SECONDS = 1.0


@dataclass(slots=True)
class JobReport:
    selected: int = 0
    current: int = 0  # already had a current summary: skipped
    stored: int = 0
    stats: RunStats = field(default_factory=RunStats)
    seconds: float = 0.0
    interrupted: bool = False

    def as_dict(self) -> dict:
        s = self.stats
        return {
            "selected": self.selected, "skipped_current": self.current, "stored": self.stored,
            "done": s.done, "failed": s.failed, "fallback": s.fallback, "cached": s.cached,
            "prompt_tokens": s.prompt_tokens, "completion_tokens": s.completion_tokens,
            "cost_usd": round(s.cost_usd, 6), "seconds": round(self.seconds, 2),
            "interrupted": self.interrupted, "errors": list(s.errors),
        }


def select_papers(store: Store, date: str | None = None, since: str | None = None,
                  everything: bool = False) -> list[Paper]:
    """Papers listed on ``date``, listed on or after ``since``, or all stored papers."""
    if everything:
        return list(store.iter_papers())
    if date is not None:
        days = [date]
    elif since is not None:
        days = [d for d in store.listing_dates() if d >= since]
    else:
        raise ValueError("give a date, a since date, or everything=True")
    ids: dict[str, None] = {}
    for day in days:
        for listing in store.listings_on(day):
            ids.setdefault(listing.arxiv_id, None)
    found = store.get_papers(list(ids))
    return [found[i] for i in ids if i in found]


def is_current(summary: Summary, backend: Summarizer, paper: Paper) -> bool:
    return (summary.source == backend.source and summary.model == backend.model
            and summary.prompt_version == backend.prompt_version
            and summary.language.casefold() == backend.language.casefold()
            and summary.paper_version == paper.version)


def needing_summary(store: Store, backend: Summarizer, papers: Sequence[Paper]) -> list[Paper]:
    """The papers among ``papers`` that lack a current summary from ``backend``."""
    stored = store.summaries_for([p.arxiv_id for p in papers], language=backend.language)
    return [p for p in papers if not any(is_current(s, backend, p) for s in stored.get(p.arxiv_id, []))]


class _Writer:
    """Buffers finished summaries briefly and commits them in small transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.buffer: list[Summary] = []
        self.last = time.monotonic()
        self.stored = 0

    def add(self, summary: Summary) -> None:
        if summary.created is None:
            summary = replace(summary, created=now_iso())
        self.buffer.append(summary)
        if len(self.buffer) >= FLUSH_EVERY or time.monotonic() - self.last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            with self.store.transaction():
                self.store.upsert_summaries(self.buffer)
            self.stored += len(self.buffer)
            self.buffer = []
        self.last = time.monotonic()


def run_summarize(store: Store, backend: Summarizer, papers: Sequence[Paper],
                  progress: bool = True) -> JobReport:
    """Summarise the papers of ``papers`` that need it with ``backend``; store as they finish.

    KeyboardInterrupt is re-raised after everything finished so far is committed.
    """
    started = time.monotonic()
    report = JobReport(selected=len(papers))
    todo = needing_summary(store, backend, papers)
    report.current = len(papers) - len(todo)
    writer = _Writer(store)
    bar = tqdm(total=len(todo), unit="paper", file=sys.stderr, disable=not progress or not todo,
               dynamic_ncols=True, smoothing=0.1)

    def on_done(summary: Summary) -> None:
        writer.add(summary)
        bar.update(1)

    try:
        if todo:
            report.stats = backend.summarize_many(todo, on_done)
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        writer.flush()
        bar.close()
        report.stored = writer.stored
        report.seconds = time.monotonic() - started
    return report
