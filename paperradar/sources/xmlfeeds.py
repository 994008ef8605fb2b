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

Besides records, a parse fills a :class:`~.feedinfo.FeedInfo` with what the
fetcher needs to continue (resumption token, total results) and with notes such
as deleted OAI records, which are skipped rather than rejected. ``FeedInfo``
lives in :mod:`.feedinfo` (re-exported here) so that the parsers can use it
without importing this module back.

Every parse reads the size limits (:class:`~.validate.Limits`) once: text runs
past the largest one are dropped as they stream in, and each parser checks
its records' fields against them.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast
from xml.etree.ElementTree import Element

from paperradar.models import Origin, Record, Rejection
from paperradar.sources import export_api, oai_pmh, rss
from paperradar.sources.feedinfo import FeedInfo
from paperradar.sources.validate import Limits
from paperradar.sources.xmlsafe import XMLProblem, iter_events

__all__ = ["FeedInfo", "parse_xml_bytes", "parse_xml_file", "parse_xml_stream"]

log = logging.getLogger(__name__)

OAI_ROOT = "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
ATOM_ROOT = "{http://www.w3.org/2005/Atom}feed"
RSS_ROOT = "rss"


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


def parse_xml_stream(stream: IO[bytes], source: str, info: FeedInfo | None = None,
                     limits: Limits | None = None) -> Iterator[Record | Rejection]:
    """Parse one XML document of any supported kind; problems become Rejections naming ``source``."""
    info = info if info is not None else FeedInfo()
    limits = limits if limits is not None else Limits.from_config()
    events = _guarded(iter_events(stream, max_text=limits.text_cap), info)
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
        info.kind = "oai-pmh"
        yield from oai_pmh.parse_events(events, root, source, info, limits)
    elif root.tag == ATOM_ROOT:
        info.kind = "atom"
        yield from export_api.parse_events(events, root, source, info, limits)
    elif root.tag == RSS_ROOT:
        info.kind = "rss"
        yield from rss.parse_events(events, root, source, info, limits)
    else:
        yield Rejection(Origin(source), f"unsupported XML document with root element <{root.tag}>: expected "
                        "an OAI-PMH response, an arXiv Atom feed or an arXiv RSS 2.0 feed")
        return
    if info.problem is not None:
        yield _problem_rejection(source, info.problem)


def parse_xml_bytes(data: bytes, source: str, info: FeedInfo | None = None) -> Iterator[Record | Rejection]:
    """Parse a fetched body (used by :mod:`paperradar.sources.harvest`)."""
    yield from parse_xml_stream(io.BytesIO(data), source, info)


def _open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped on the fly for ``.gz``; the caller closes it."""
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.GzipFile(path, "rb"))
    return io.FileIO(path, "r")


def parse_xml_file(path: Path, info: FeedInfo | None = None) -> Iterator[Record | Rejection]:
    """Parse a saved OAI-PMH page, export-API Atom feed or announcement RSS/Atom feed.

    ``.gz`` files are decompressed on the fly. Deleted OAI records are skipped
    and logged, not rejected: they are a normal part of a harvest.
    """
    info = info if info is not None else FeedInfo()
    try:
        handle = _open_binary(path)
    except OSError as exc:
        yield Rejection(Origin(str(path)), f"cannot open: {exc.strerror or exc}")
        return
    with handle:
        yield from parse_xml_stream(handle, str(path), info)
    for note in info.notes():
        log.warning("%s: %s", path, note)
