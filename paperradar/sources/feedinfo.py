"""What a parsed XML document said besides its records.

Its own module because both sides need it: :mod:`.xmlfeeds` creates one per
document and hands it to the parser it dispatches to (:mod:`.oai_pmh`,
:mod:`.export_api`, :mod:`.rss`), which fill it in; :mod:`.harvest` reads it
to continue a fetch. Keeping it apart from the dispatcher is what lets the
dispatcher import the parsers at the top without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paperradar.errors import XMLProblem


@dataclass(slots=True)
class FeedInfo:
    """What a parsed document said besides its records."""

    kind: str | None = None  # 'oai-pmh' | 'atom' | 'rss'
    # OAI-PMH
    response_date: str | None = None
    resumption_token: str | None = None
    complete_list_size: int | None = None
    oai_error: tuple[str, str] | None = None  # (code, message)
    deleted: list[str] = field(default_factory=list)
    # export API (opensearch)
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None
    api_error: str | None = None
    # announcement feeds
    category: str | None = None  # the feed's category; preset it to override what the feed says
    date: str | None = None  # announce date YYYY-MM-DD
    # counts and damage
    entries: int = 0  # records/entries/items seen, good or bad
    problem: XMLProblem | None = None

    def notes(self) -> list[str]:
        return [f"skipped deleted record {identifier}" for identifier in self.deleted]
