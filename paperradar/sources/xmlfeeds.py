"""Entry point for every arXiv XML format: sniff the root element, dispatch.

``paperradar ingest`` hands ``*.xml`` / ``.atom`` / ``.rss`` / ``.xml.gz``
files here, and :mod:`paperradar.sources.harvest` hands fetched bodies here, so a page
saved from the network and ingested later parses exactly like a live fetch.

Root element -> parser:

* ``{http://www.openarchives.org/OAI/2.0/}OAI-PMH`` -> :mod:`.oai_pmh`
* ``{http://www.w3.org/2005/Atom}feed`` -> :mod:`.export_api` (export-API
  search results; entries carrying ``arxiv:announce_type`` are announcement
  entries from rss.arxiv.org/atom and go to :mod:`.rss`)
* ``rss`` (RSS 2.0) -> :mod:`.rss`

Besides records, a parse fills a :class:`FeedInfo` with what the fetcher
needs to continue (resumption token, total results) and with notes such as
deleted OAI records, which are skipped rather than rejected.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element

from paperradar.models import Origin, Record, Rejection
from paperradar.sources.xmlsafe import XMLProblem, iter_events

log = logging.getLogger(__name__)

OAI_ROOT = "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
ATOM_ROOT = "{http://www.w3.org/2005/Atom}feed"
RSS_ROOT = "rss"


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


def _guarded(events: Iterator[tuple[str, Element]], info: FeedInfo) -> Iterator[tuple[str, Element]]:
    """Stop quietly at the first XML problem and remember it, so a parser can
    still finish the records it has (an RSS parser buffers items until the end)."""
    try:
        yield from events
    except XMLProblem as exc:
        info.problem = exc


def _problem_rejection(source: str, problem: XMLProblem) -> Rejection:
    message = problem.message if problem.column is None else f"{problem.message} at column {problem.column}"
    return Rejection(Origin(source, line=problem.line), message)


def parse_xml_stream(stream: IO[bytes], source: str,
                     info: FeedInfo | None = None) -> Iterator[Record | Rejection]:
    """Parse one XML document of any supported kind; problems become Rejections naming ``source``."""
    info = info if info is not None else FeedInfo()
    events = _guarded(iter_events(stream), info)
    root: Element | None = None
    for event, elem in events:
        if event == "start":
            root = elem
            break
    if root is None:
        problem = info.problem or XMLProblem("empty document: no root element")
        yield _problem_rejection(source, problem)
        return
    if root.tag == OAI_ROOT:
        from paperradar.sources import oai_pmh

        info.kind = "oai-pmh"
        yield from oai_pmh.parse_events(events, root, source, info)
    elif root.tag == ATOM_ROOT:
        from paperradar.sources import export_api

        info.kind = "atom"
        yield from export_api.parse_events(events, root, source, info)
    elif root.tag == RSS_ROOT:
        from paperradar.sources import rss

        info.kind = "rss"
        yield from rss.parse_events(events, root, source, info)
    else:
        yield Rejection(Origin(source), f"unsupported XML document with root element <{root.tag}>: expected "
                        "an OAI-PMH response, an arXiv Atom feed or an arXiv RSS 2.0 feed")
        return
    if info.problem is not None:
        yield _problem_rejection(source, info.problem)


def parse_xml_bytes(data: bytes, source: str, info: FeedInfo | None = None) -> Iterator[Record | Rejection]:
    """Parse a fetched body (used by :mod:`paperradar.sources.harvest`)."""
    yield from parse_xml_stream(io.BytesIO(data), source, info)


def parse_xml_file(path: Path, info: FeedInfo | None = None) -> Iterator[Record | Rejection]:
    """Parse a saved OAI-PMH page, export-API Atom feed or announcement RSS/Atom feed.

    ``.gz`` files are decompressed on the fly. Deleted OAI records are skipped
    and logged, not rejected: they are a normal part of a harvest.
    """
    info = info if info is not None else FeedInfo()
    try:
        handle: IO[bytes] = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        yield Rejection(Origin(str(path)), f"cannot open: {exc.strerror or exc}")
        return
    with handle:
        yield from parse_xml_stream(handle, str(path), info)
    for note in info.notes():
        log.warning("%s: %s", path, note)
