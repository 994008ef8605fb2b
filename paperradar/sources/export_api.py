"""arXiv export API (``/api/query``) Atom feeds.

Search results: each entry is one paper at its latest version, with
``published`` (v1 date) and ``updated`` (latest version date). The opensearch
``totalResults``/``startIndex``/``itemsPerPage`` elements drive paging in
:mod:`paperradar.sources.harvest`. The API reports bad queries as a feed with a single
entry whose id points at ``/api/errors``; that becomes a clear error.

rss.arxiv.org also serves announcement feeds as Atom; their entries carry
``arxiv:announce_type`` and are handed to :mod:`paperradar.sources.rss`.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element, tostring

from paperradar.errors import ApiError
from paperradar.models import Origin, Paper, Record, Rejection
from paperradar.sources import rss
from paperradar.sources.feedinfo import FeedInfo
from paperradar.sources.validate import FieldError, Limits, finish, split_version
from paperradar.sources.xmlsafe import child_text, children, unwrap

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# Paper field -> element name, for rejections
NAMES = {"abstract": "summary", "authors": "author", "comment": "arxiv:comment",
         "journal_ref": "arxiv:journal_ref", "doi": "arxiv:doi", "submitted": "published",
         "categories": "category", "primary_category": "arxiv:primary_category"}


def _int(elem: Element) -> int | None:
    text = (elem.text or "").strip()
    return int(text) if text.isdigit() else None


def parse_events(events: Iterator[tuple[str, Element]], root: Element, source: str,
                 info: FeedInfo, limits: Limits | None = None) -> Iterator[Record | Rejection]:
    """Entries of one Atom feed (only direct children of ``<feed>`` matter here)."""
    limits = limits if limits is not None else Limits()
    announce_position = 0
    for _depth, elem in children(events):
        tag = elem.tag
        if tag == ATOM + "entry":
            info.entries += 1
            origin = Origin(source, record=info.entries)
            try:
                if elem.find(ARXIV + "announce_type") is not None:
                    record = rss.atom_entry_record(elem, origin, root, announce_position, info)
                    announce_position += 1
                    finish(record, limits, rss.ATOM_NAMES)
                else:
                    record = finish(entry_record(elem, origin), limits, NAMES)
            except ApiError as exc:
                info.api_error = str(exc)
                yield Rejection(Origin(source), f"arXiv export API error: {exc}")
            except FieldError as exc:
                yield Rejection(origin, exc.message, exc.field)
            else:
                yield record
            elem.clear()
        elif tag == OPENSEARCH + "totalResults":
            info.total_results = _int(elem)
        elif tag == OPENSEARCH + "startIndex":
            info.start_index = _int(elem)
        elif tag == OPENSEARCH + "itemsPerPage":
            info.items_per_page = _int(elem)


def _text(entry: Element, tag: str) -> str | None:
    value = child_text(entry, tag)
    if value is None or not value.strip():
        return None
    return value


def entry_record(entry: Element, origin: Origin) -> Record:
    raw_id = _text(entry, ATOM + "id")
    if raw_id is None:
        raise FieldError("id", "missing")
    if "/api/errors" in raw_id:
        raise ApiError(unwrap(_text(entry, ATOM + "summary") or _text(entry, ATOM + "title") or raw_id))
    arxiv_id, version = split_version(raw_id)
    title = _text(entry, ATOM + "title")
    if title is None:
        raise FieldError("title", "missing")
    summary = _text(entry, ATOM + "summary")
    if summary is None:
        raise FieldError("summary", "missing")
    authors = []
    for i, author in enumerate(entry.iterfind(ATOM + "author")):
        name = (child_text(author, ATOM + "name") or "").strip()
        if not name:
            raise FieldError(f"author[{i}].name", "missing")
        authors.append(name)
    categories = tuple(c.get("term", "").strip() for c in entry.iterfind(ATOM + "category") if c.get("term"))
    primary = entry.find(ARXIV + "primary_category")
    primary_term = primary.get("term") if primary is not None else None
    if not categories:
        if not primary_term:
            raise FieldError("category", "missing")
        categories = (primary_term,)
    comment = _text(entry, ARXIV + "comment")
    journal_ref = _text(entry, ARXIV + "journal_ref")
    doi = _text(entry, ARXIV + "doi")
    paper = Paper(
        arxiv_id=arxiv_id,
        title=unwrap(title),
        authors=tuple(authors),
        abstract=summary.strip(),
        categories=categories,
        version=version,
        primary_category=primary_term or categories[0],
        comment=unwrap(comment) if comment else None,
        journal_ref=unwrap(journal_ref) if journal_ref else None,
        doi=doi.strip() if doi else None,
        submitted=(_text(entry, ATOM + "published") or "").strip() or None,
        updated=(_text(entry, ATOM + "updated") or "").strip() or None,
    )
    return Record(paper=paper, origin=origin, raw_key=tostring(entry, encoding="unicode"))
