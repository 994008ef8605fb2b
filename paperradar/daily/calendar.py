"""arXiv's announcement calendar, and why a run found nothing new.

arXiv announces new submissions once a day, Sunday to Thursday at 20:00 US
Eastern (America/New_York); there is no announcement on Friday or Saturday
evening, and none on a few holidays it names in advance. The announcement of
Sunday evening is Monday's listing, Thursday evening's is Friday's, so the
announcement feeds (rss.arxiv.org) carry five listings a week, each appearing
within a few hours of its announcement.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ARXIV_TZ = ZoneInfo("America/New_York")
ANNOUNCE_AT = time(20, 0)
ANNOUNCE_DAYS = (6, 0, 1, 2, 3)  # weekday(): Sunday, Monday ... Thursday
FEED_LAG = timedelta(hours=4)  # how long after 20:00 the feeds may still show the previous listing
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def eastern(now: datetime | None = None) -> datetime:
    """``now`` (default: the current time) in US Eastern time; a naive ``now`` is taken as UTC."""
    now = now or datetime.now(ARXIV_TZ)
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo("UTC"))
    return now.astimezone(ARXIV_TZ)


def last_announcement(now: datetime | None = None) -> datetime:
    """The latest announcement at or before ``now`` (US Eastern)."""
    here = eastern(now)
    day = here.date()
    for back in range(8):
        d = day - timedelta(days=back)
        at = datetime.combine(d, ANNOUNCE_AT, ARXIV_TZ)
        if d.weekday() in ANNOUNCE_DAYS and at <= here:
            return at
    raise AssertionError("an announcement happens every week")  # pragma: no cover


def next_announcement(now: datetime | None = None) -> datetime:
    """The first announcement after ``now`` (US Eastern)."""
    here = eastern(now)
    for ahead in range(8):
        d = here.date() + timedelta(days=ahead)
        at = datetime.combine(d, ANNOUNCE_AT, ARXIV_TZ)
        if d.weekday() in ANNOUNCE_DAYS and at > here:
            return at
    raise AssertionError("an announcement happens every week")  # pragma: no cover


def listing_date(announced: datetime) -> date:
    """The date of the listing an announcement starts (the next weekday)."""
    return announced.date() + timedelta(days=1)


def announcement_days_between(after: date, until: date) -> list[date]:
    """Listing dates (Monday to Friday) after ``after`` up to and including ``until``."""
    out: list[date] = []
    d = after + timedelta(days=1)
    while d <= until and len(out) < 400:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def _when(at: datetime) -> str:
    return f"{DAY_NAMES[at.weekday()]} {at:%Y-%m-%d} 20:00 US Eastern"


def why_nothing_new(now: datetime | None, *, feeds_empty: bool, categories: list[str]) -> str:
    """A one-line reason for a live fetch that brought no new paper and no new listing."""
    here = eastern(now)
    last = last_announcement(here)
    upcoming = f"next announcement {_when(next_announcement(here))}"
    # Friday 20:00 until Sunday 20:00: the last announcement was Thursday's.
    if last.weekday() == 3 and here >= last + timedelta(days=1):
        return (f"weekend: arXiv announces Sunday to Thursday at 20:00 US Eastern, none on Friday or "
                f"Saturday; {upcoming}")
    if here - last <= FEED_LAG:
        return (f"the listing announced {_when(last)} is not out in the feeds yet (they follow within "
                f"a few hours); run again later")
    if feeds_empty:
        cats = ", ".join(categories)
        return (f"arXiv's feeds for {cats} list nothing today: an arXiv holiday, or nothing new in the "
                f"configured categories; {upcoming}")
    return f"the listing of {listing_date(last)} is already stored (an earlier run fetched it); {upcoming}"
