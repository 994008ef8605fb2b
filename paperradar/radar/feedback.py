"""Thumbs up, thumbs down, save: the reader's verdicts, which the next ranking learns from.

``up`` and ``save`` make the paper a library paper for the next ranking (classifier, similarity,
library authors); ``down`` makes it a negative as heavy as a library paper (all downs together at
most half the positives) and counts against its authors' library-author bonus
(:class:`paperradar.radar.rank.Params`). The latest verdict on a paper
replaces the earlier one.
"""

from __future__ import annotations

from paperradar.clock import now_iso
from paperradar.errors import ProfileError
from paperradar.models import FeedbackEntry
from paperradar.radar.library import arxiv_id_in
from paperradar.radar.profiles import load_profile
from paperradar.store.base import Store

VERDICTS = ("up", "down", "save")


def give_feedback(store: Store, profile: str, paper_id: str, verdict: str,
                  now: str | None = None) -> FeedbackEntry:
    load_profile(store, profile)
    if verdict not in VERDICTS:
        raise ProfileError(f"verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
    arxiv = arxiv_id_in(paper_id) or paper_id
    if not store.get_papers([arxiv]):
        raise ProfileError(f"paper {paper_id!r} is not in the store; feedback is on stored papers")
    entry = FeedbackEntry(profile, arxiv, verdict, now or now_iso())  # type: ignore[arg-type]
    with store.transaction():
        store.add_feedback([entry])
    return entry
