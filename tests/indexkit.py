"""What the index tests share: listing a day of papers into a store the way ingest does."""

from __future__ import annotations

from collections.abc import Sequence

from paperradar.models import Listing, Paper
from paperradar.store import GENERATION_KEY

NOW = "2026-06-01T00:00:00+00:00"


def ingest_day(store, papers: list[Paper], day: str, replace: Sequence[Paper] = ()) -> None:  # type: ignore[no-untyped-def]
    """Insert ``papers`` (and ``replace`` as new versions) listed on ``day``, one transaction,
    bumping the store generation as ``paperradar ingest`` does."""
    with store.transaction():
        store.insert_papers(papers, NOW)
        if replace:
            old = store.get_papers([p.arxiv_id for p in replace])
            store.replace_papers([(old[p.arxiv_id], p) for p in replace], NOW)
        store.add_listings([Listing(p.arxiv_id, day, "cs.LG", k) for k, p in enumerate([*papers, *replace])])
        store.set_meta(GENERATION_KEY, str(int(store.get_meta(GENERATION_KEY) or 0) + 1))
