"""arXiv announcement feeds: rss.arxiv.org/rss/<cat> (RSS 2.0) and
rss.arxiv.org/atom/<cat> (Atom), the format arXiv has used since January 2024.

These are the only live source that says *what was announced today under
which category*: every item becomes a paper plus a
:class:`~paperradar.models.Listing` with the feed's announce date, the feed's
category, the item's position and its announce type:

==============  ===============
arXiv           paperradar
==============  ===============
new             new
cross           cross-list
replace         replacement
replace-cross   replacement
==============  ===============

The item description reads ``arXiv:2501.01234v1 Announce Type: new`` then
``Abstract: ...``; the id, version and abstract are taken from there.
``dc:creator`` holds all authors in one comma-separated string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, tostring

from paperradar.models import AnnounceType, Listing, Origin, Paper, Record, Rejection
from paperradar.sources.feedinfo import FeedInfo
from paperradar.sources.validate import FieldError, Limits, finish, split_version
from paperradar.sources.xmlsafe import child_text, children, split_authors, unwrap

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
ATOM = "{http://www.w3.org/2005/Atom}"

ANNOUNCE_TYPES: dict[str, AnnounceType] = {
    "new": "new",
    "cross": "cross-list",
    "replace": "replacement",
    "replace-cross": "replacement",
}
DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>\S+)\s*(?:Abstract:[ \t]*(?P<abstract>.*))?\Z",
    re.DOTALL,
)
FEED_URL = re.compile(r"/(?:rss|atom)/(?P<cats>[^/?#\s]+)")
# Paper field -> element name, for rejections (RSS items; Atom entries)
RSS_NAMES = {"abstract": "description", "authors": "dc:creator", "doi": "arxiv:DOI",
             "journal_ref": "arxiv:journal_reference", "license": "dc:rights", "categories": "category"}
ATOM_NAMES = {"abstract": "summary", "authors": "author", "doi": "arxiv:DOI",
              "journal_ref": "arxiv:journal_reference", "license": "rights", "categories": "category"}


def _rfc822_day(text: str | None) -> str | None:
    """'Fri, 23 Feb 2024 00:00:00 -0500' -> '2024-02-23' (the day in the feed's own time zone)."""
    if not text or not text.strip():
        return None
    try:
        return parsedate_to_datetime(text.strip()).date().isoformat()
    except (TypeError, ValueError):
        return None


def _iso_day(text: str | None) -> str | None:
    if not text or len(text.strip()) < 10:
        return None
    try:
        return date.fromisoformat(text.strip()[:10]).isoformat()
    except ValueError:
        return None


def feed_categories(*candidates: str | None) -> list[str]:
    """Categories a feed is for, from its URL ('.../rss/cs.AI+q-bio.NC') or title ('cs.AI updates on ...')."""
    for text in candidates:
        if not text:
            continue
        m = FEED_URL.search(text)
        if m:
            return [c for c in m.group("cats").split("+") if c]
        if " updates on arXiv" in text:
            return [c for c in text.split()[0].split("+") if c]
    return []


def listing_category(feed_cats: list[str], item_cats: tuple[str, ...]) -> str | None:
    """The category an item is listed under: the feed's own for a one-category
    feed; for a multi-category or whole-archive feed ('cs'), the item's first
    category that the feed covers."""
    if len(feed_cats) == 1 and "." in feed_cats[0]:
        return feed_cats[0]
    for cat in item_cats:
        for feed_cat in feed_cats:
            if cat == feed_cat or cat.startswith(feed_cat + "."):
                return cat
    return feed_cats[0] if feed_cats else None


def parse_events(events: Iterator[tuple[str, Element]], root: Element, source: str,
                 info: FeedInfo, limits: Limits | None = None) -> Iterator[Record | Rejection]:
    """RSS 2.0: items (children of ``<channel>``) are buffered until the channel's
    date and category are known."""
    limits = limits if limits is not None else Limits()
    channel: dict[str, str] = {}
    items: list[Element] = []
    for _depth, elem in children(events, (2,)):
        if elem.tag == "item":
            items.append(elem)
        elif elem.tag in ("title", "link", "pubDate", "lastBuildDate"):
            channel[elem.tag] = (elem.text or "").strip()
        elif elem.tag == ATOM + "link" and elem.get("rel") == "self":
            channel["self"] = elem.get("href", "")
    cats = [info.category] if info.category else feed_categories(
        channel.get("self"), channel.get("link"), channel.get("title"))
    info.category = info.category or ("+".join(cats) if cats else None)
    info.date = _rfc822_day(channel.get("pubDate")) or _rfc822_day(channel.get("lastBuildDate"))
    for position, item in enumerate(items):
        info.entries += 1
        origin = Origin(source, record=info.entries)
        try:
            yield finish(_item_record(item, origin, cats, info.date, position), limits, RSS_NAMES)
        except FieldError as exc:
            yield Rejection(origin, exc.message, exc.field)


def _announcement(description: str | None, fallback_id: str | None,
                  typed: str | None) -> tuple[str, str, str]:
    """(versioned id, announce type, abstract) from ``arXiv:<id> Announce Type: <t> Abstract: ...``."""
    m = DESCRIPTION.match(description or "")
    if m is None:
        if description is None:
            raise FieldError("description", "missing")
        raise FieldError("description", "does not start with 'arXiv:<id> Announce Type: <type>'")
    abstract = (m.group("abstract") or "").strip()
    if not abstract:
        raise FieldError("description", "no 'Abstract:' text")
    raw_type = (typed or m.group("type")).strip()
    return m.group("id") or fallback_id or "", raw_type, abstract


def _paper_and_listing(*, raw_id: str, raw_type: str, abstract: str, title: str | None, authors: list[str],
                       categories: tuple[str, ...], feed_cats: list[str], day: str | None, position: int,
                       license_: str | None, doi: str | None,
                       journal_ref: str | None) -> tuple[Paper, Listing]:
    arxiv_id, version = split_version(raw_id)
    announce = ANNOUNCE_TYPES.get(raw_type)
    if announce is None:
        raise FieldError("arxiv:announce_type", f"unknown announce type {raw_type!r} "
                         f"(expected one of {', '.join(ANNOUNCE_TYPES)})")
    if title is None or not title.strip():
        raise FieldError("title", "missing")
    if not categories:
        raise FieldError("category", "missing")
    if day is None:
        raise FieldError("pubDate", "the feed gives no announcement date (channel pubDate/lastBuildDate)")
    category = listing_category(feed_cats, categories)
    if category is None:
        raise FieldError("category", "cannot tell which category feed this is (no channel link or title)")
    paper = Paper(
        arxiv_id=arxiv_id, title=unwrap(title), authors=tuple(authors), abstract=abstract,
        categories=categories, version=version, license=license_, doi=doi, journal_ref=journal_ref,
    )
    return paper, Listing(arxiv_id, day, category, position, announce)


def _opt(elem: Element, tag: str) -> str | None:
    value = child_text(elem, tag)
    return unwrap(value) if value and value.strip() else None


def _item_record(item: Element, origin: Origin, feed_cats: list[str], day: str | None,
                 position: int) -> Record:
    raw_id, raw_type, abstract = _announcement(
        child_text(item, "description"), child_text(item, "guid"), child_text(item, ARXIV + "announce_type"))
    paper, listing = _paper_and_listing(
        raw_id=raw_id, raw_type=raw_type, abstract=abstract, title=child_text(item, "title"),
        authors=split_authors(child_text(item, DC + "creator") or ""),
        categories=tuple(c.text.strip() for c in item.iterfind("category") if c.text and c.text.strip()),
        feed_cats=feed_cats, day=day or _rfc822_day(child_text(item, "pubDate")), position=position,
        license_=_opt(item, DC + "rights"), doi=_opt(item, ARXIV + "DOI"),
        journal_ref=_opt(item, ARXIV + "journal_reference"),
    )
    return Record(paper=paper, origin=origin, listing=listing, raw_key=tostring(item, encoding="unicode"))


def atom_entry_record(entry: Element, origin: Origin, feed: Element, position: int, info: FeedInfo) -> Record:
    """One entry of rss.arxiv.org/atom/<cat>: same content as an RSS item, Atom-shaped."""
    if info.category:
        feed_cats = info.category.split("+")
    else:
        self_link = next((link.get("href") for link in feed.iterfind(ATOM + "link")
                          if link.get("rel") == "self"), None)
        feed_cats = feed_categories(self_link, child_text(feed, ATOM + "id"),
                                    child_text(feed, ATOM + "title"))
        info.category = "+".join(feed_cats) or None
    day = _iso_day(child_text(entry, ATOM + "published")) or _iso_day(child_text(feed, ATOM + "updated"))
    info.date = info.date or day
    raw_id, raw_type, abstract = _announcement(
        child_text(entry, ATOM + "summary"), child_text(entry, ATOM + "id"),
        child_text(entry, ARXIV + "announce_type"))
    creators = [child_text(e, ATOM + "name") or "" for e in entry.iterfind(ATOM + "author")]
    creators += [e.text or "" for e in entry.iterfind(DC + "creator")]
    paper, listing = _paper_and_listing(
        raw_id=raw_id, raw_type=raw_type, abstract=abstract, title=child_text(entry, ATOM + "title"),
        authors=split_authors(", ".join(creators)),
        categories=tuple(c.get("term", "").strip() for c in entry.iterfind(ATOM + "category")
                         if c.get("term")),
        feed_cats=feed_cats, day=day, position=position,
        license_=_opt(entry, ATOM + "rights") or _opt(entry, DC + "rights"), doi=_opt(entry, ARXIV + "DOI"),
        journal_ref=_opt(entry, ARXIV + "journal_reference"),
    )
    return Record(paper=paper, origin=origin, listing=listing, raw_key=tostring(entry, encoding="unicode"))
