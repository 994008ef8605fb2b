"""The one owner of "what has this profile been shown".

``recommend --unseen`` (what delivery uses) leaves out papers already shown to the profile and
records the ones it shows. A paper shown before comes back only as an *update*, and only when its
abstract changed: a new version that fixes a typo in the comments, or a replacement listing with
the same abstract, is not news. The abstract is compared by a hash of its whitespace-collapsed text,
so re-wrapped lines do not count as a change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from paperradar.models import Paper, SeenEntry
from paperradar.store.base import Store


def abstract_hash(paper: Paper) -> str:
    return hashlib.sha1(" ".join(paper.abstract.split()).encode("utf-8")).hexdigest()[:16]


def unseen(store: Store, profile: str, papers: Sequence[Paper]) -> tuple[list[Paper], set[str]]:
    """The papers not yet shown to ``profile`` (or shown with a different abstract), and the ids of
    those that are updates of something shown before."""
    seen = store.seen_for(profile, [p.arxiv_id for p in papers])
    keep, updated = [], set()
    for p in papers:
        before = seen.get(p.arxiv_id)
        if before is None:
            keep.append(p)
        elif before.abstract_hash != abstract_hash(p):
            keep.append(p)
            updated.add(p.arxiv_id)
    return keep, updated


def record_shown(store: Store, profile: str, papers: Sequence[Paper], now: str) -> None:
    with store.transaction():
        store.mark_seen([SeenEntry(profile, p.arxiv_id, p.version, abstract_hash(p), now) for p in papers])
