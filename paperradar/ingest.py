"""Apply parsed records to the store: deduplicate, merge versions, count what happened.

This is the only place that decides whether a record is new, an update, a
repeat or a duplicate, so every source (files, OAI-PMH, export API, RSS)
behaves the same. Each file or harvested page is written in one transaction:
a crash mid-way leaves the store as it was before that unit, and re-running
is always safe because applying the same records twice changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from paperradar.clock import now_iso
from paperradar.models import CodeLink, IngestReport, Listing, Paper, Record, Rejection, Summary
from paperradar.store.base import GENERATION_KEY, Store

BATCH = 2000
PAPER_FIELDS = tuple(f.name for f in dataclasses.fields(Paper))


def merge(stored: Paper, incoming: Paper, older_observation: bool = False) -> Paper | None:
    """The paper as it should be stored after seeing ``incoming``; ``None`` when
    ``incoming`` is stale: an older version, or (versions unknown or equal) an
    observation from an earlier date than one already stored.

    Fields a source does not know (``None``) never erase what another source
    told us, e.g. a daily-arXiv file without DOI does not wipe an OAI-PMH DOI.
    """
    if stored.version is not None and incoming.version is not None and incoming.version != stored.version:
        if incoming.version < stored.version:
            return None
    elif older_observation:
        return None
    fill = {
        name: getattr(stored, name)
        for name in PAPER_FIELDS
        if getattr(incoming, name) is None and getattr(stored, name) is not None
    }
    return dataclasses.replace(incoming, **fill) if fill else incoming


def ingest_records(
    store: Store,
    items: Iterable[Record | Rejection],
    unit: str,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest one unit (a file or a fetched page) atomically and report counts."""
    report = IngestReport(files=[unit])
    seen_raw: set[bytes | str] = set()
    now = now_iso()
    batch: list[Record] = []
    with store.transaction():
        for item in items:
            if isinstance(item, Rejection):
                report.rejected += 1
                report.rejections.append(item)
                if item.origin.line is not None or item.origin.record is not None:
                    report.read += 1
                continue
            report.read += 1
            if item.raw_key is not None:
                if item.raw_key in seen_raw:
                    report.duplicate += 1
                    continue
                seen_raw.add(item.raw_key)
            batch.append(item)
            if len(batch) >= BATCH:
                _apply(store, batch, report, now)
                if on_progress:
                    on_progress(len(batch))
                batch = []
        if batch:
            _apply(store, batch, report, now)
            if on_progress:
                on_progress(len(batch))
        if report.new or report.updated:  # tells the search index it is behind
            store.set_meta(GENERATION_KEY, str(int(store.get_meta(GENERATION_KEY) or 0) + 1))
    return report


def _apply(store: Store, batch: list[Record], report: IngestReport, now: str) -> None:
    ids = list(dict.fromkeys(r.paper.arxiv_id for r in batch))
    state: dict[str, Paper] = store.get_papers(ids)
    latest = store.last_listed(ids) if state else {}
    inserted: dict[str, Paper] = {}
    changed: dict[str, tuple[Paper, Paper]] = {}
    listings: list[Listing] = []
    summaries: dict[tuple, Summary] = {}
    summaries_if_missing: dict[tuple, Summary] = {}
    codes: dict[str, CodeLink] = {}
    for rec in batch:
        pid = rec.paper.arxiv_id
        as_of = rec.as_of
        newest = latest.get(pid)
        older = as_of is not None and newest is not None and as_of[:10] < newest[:10]
        if as_of is not None and not older:
            latest[pid] = as_of[:10]
        current = state.get(pid)
        if current is None:
            state[pid] = inserted[pid] = rec.paper
            report.new += 1
        else:
            merged = merge(current, rec.paper, older)
            if merged is None:
                older = True
                report.unchanged += 1
            elif merged == current:
                report.unchanged += 1
            else:
                state[pid] = merged
                if pid in inserted:
                    inserted[pid] = merged
                else:
                    original = changed[pid][0] if pid in changed else current
                    changed[pid] = (original, merged)
                report.updated += 1
        if rec.listing is not None:
            listings.append(rec.listing)
        if rec.summary is not None:
            s = rec.summary
            if s.paper_version is None and state[pid].version is not None:
                s = dataclasses.replace(s, paper_version=state[pid].version)
            if s.created is None:
                s = dataclasses.replace(s, created=now)
            key = (pid, s.source, s.model, s.language, s.prompt_version)
            if older:  # a stale observation may fill a gap but never overwrites newer text
                summaries_if_missing.setdefault(key, s)
            else:
                summaries[key] = s
        if rec.code is not None:
            codes[pid] = rec.code
    if inserted:
        store.insert_papers(list(inserted.values()), now)
    if changed:
        store.replace_papers(list(changed.values()), now)
    if listings:
        report.listings_added += store.add_listings(listings)
    if summaries:
        report.summaries_added += store.upsert_summaries(list(summaries.values()))
    missing = [s for k, s in summaries_if_missing.items() if k not in summaries]
    if missing:
        report.summaries_added += store.upsert_summaries(missing, replace=False)
    if codes:
        store.upsert_code_links(list(codes.values()))


def ingest_paths(
    store: Store,
    paths: Sequence[str | Path],
    on_file: Callable[[Path, int, int], None] | None = None,
) -> IngestReport:
    """Ingest files and folders (walked recursively, format autodetected), one transaction
    per file, and return the summed report; ``on_file(path, done, total)`` is called before
    each file, for progress bars. What ``paperradar ingest`` and the daily job run."""
    from paperradar.sources import expand, parse_path

    total = IngestReport()
    files = expand([Path(p) for p in paths])
    for number, path in enumerate(files):
        if on_file is not None:
            on_file(path, number, len(files))
        total.merge(ingest_records(store, parse_path(path), str(path)))
    return total
