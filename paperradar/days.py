"""Per-day facts derived from listings: counts, and whether a day repeats an earlier one.

daily-arXiv-ai-enhanced re-publishes Friday's list on Saturday and Sunday (and
after holidays); arXiv itself announces nothing on those days. Such a day is
kept as listings (so its digest can still be rendered) but flagged as a repeat
so that nobody reads it as new papers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from paperradar.errors import StoreError
from paperradar.store.base import Store


@dataclass(frozen=True, slots=True)
class DayInfo:
    date: str
    papers: int
    per_category: dict[str, int] = field(default_factory=dict)
    repeats: str | None = None  # date of the earlier day with exactly the same papers
    already_seen: int = 0  # papers of this day listed on an earlier day


def day_infos(store: Store, dates: list[str] | None = None) -> list[DayInfo]:
    """DayInfo for the given dates (default: every date with listings), oldest first."""
    all_dates = store.listing_dates()
    wanted = set(dates) if dates is not None else set(all_dates)
    out: list[DayInfo] = []
    earlier: set[str] = set()
    previous: frozenset[str] | None = None
    previous_date: str | None = None  # the original of the previous day (itself if not a repeat)
    for day in all_dates:
        listings = store.listings_on(day)
        ids = frozenset(x.arxiv_id for x in listings)
        repeats = previous_date if ids and previous == ids else None
        if day in wanted:
            per_cat: Counter[str] = Counter()
            first_cat: dict[str, str] = {}
            for x in listings:
                first_cat.setdefault(x.arxiv_id, x.category)
            per_cat.update(first_cat.values())
            out.append(DayInfo(day, len(ids), dict(per_cat), repeats, len(ids & earlier)))
        earlier |= ids
        previous, previous_date = ids, repeats or day
    return out


def day_info(store: Store, date: str) -> DayInfo:
    """DayInfo for one date, reading only that day and the few days before it
    (digests call this, so its cost must not grow with the store)."""
    listings = store.listings_on(date)
    if not listings:
        return DayInfo(date, 0)
    first_cat: dict[str, str] = {}
    for x in listings:
        first_cat.setdefault(x.arxiv_id, x.category)
    ids = frozenset(first_cat)
    first = store.first_listed(list(ids))
    already_seen = sum(1 for pid in ids if first.get(pid, date) < date)
    repeats = None
    # walk back through a chain of identical days (Sat -> Fri, Sun -> Sat -> Fri) to the original,
    # one index probe per day (never the list of every date)
    previous = store.listing_date_before(date) if already_seen == len(ids) else None
    while previous is not None:
        if frozenset(x.arxiv_id for x in store.listings_on(previous)) != ids:
            break
        repeats = previous
        previous = store.listing_date_before(previous)
    return DayInfo(date, len(ids), dict(Counter(first_cat.values())), repeats, already_seen)


def latest_listed_day(store: Store) -> str:
    """The newest date with listings: what digests, exports and summaries default to.
    Raises :class:`~paperradar.errors.StoreError` when nothing is listed yet."""
    dates = store.listing_dates()
    if not dates:
        raise StoreError(f"the store {store.location} has no listings yet; "
                         "run `paperradar ingest` or `paperradar fetch` first")
    return dates[-1]
