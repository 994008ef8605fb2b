"""arXiv OAI-PMH responses (``ListRecords`` / ``GetRecord``), metadata formats
``arXiv`` and ``arXivRaw``.

OAI-PMH is the bulk channel: it says what a paper *is* (metadata, dates) but
not on which day it was announced in which listing, so records from here
carry no :class:`~paperradar.models.Listing`. ``arXivRaw`` additionally lists
every version with its date, which gives the version number the ``arXiv``
format lacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, tostring

from paperradar.models import Origin, Paper, Record, Rejection
from paperradar.sources.feedinfo import FeedInfo
from paperradar.sources.validate import FieldError, Limits, finish, split_version
from paperradar.sources.xmlsafe import child_text, children, split_authors, unwrap

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
NO_RECORDS = "noRecordsMatch"
# Paper field -> element name, for rejections
NAMES = {"comment": "comments", "journal_ref": "journal-ref", "submitted": "created"}


def parse_events(events: Iterator[tuple[str, Element]], root: Element, source: str,
                 info: FeedInfo, limits: Limits | None = None) -> Iterator[Record | Rejection]:
    """Records of one OAI-PMH response; deleted records are noted in ``info``, not yielded.

    ``<responseDate>`` and ``<error>`` are children of the root; ``<record>`` and
    ``<resumptionToken>`` are children of ``<ListRecords>`` / ``<GetRecord>``.
    """
    limits = limits if limits is not None else Limits()
    for _depth, elem in children(events, (1, 2)):
        tag = elem.tag
        if tag == OAI + "record":
            info.entries += 1
            origin = Origin(source, record=info.entries)
            try:
                record = record_from_element(elem, origin, info)
                if record is not None:
                    finish(record, limits, NAMES)
            except FieldError as exc:
                yield Rejection(origin, exc.message, exc.field)
            else:
                if record is not None:
                    yield record
            elem.clear()
        elif tag == OAI + "responseDate":
            info.response_date = (elem.text or "").strip() or None
        elif tag == OAI + "resumptionToken":
            info.resumption_token = (elem.text or "").strip() or None
            size = elem.get("completeListSize")
            if size and size.isdigit():
                info.complete_list_size = int(size)
        elif tag == OAI + "error":
            code = elem.get("code") or "unknown"
            message = unwrap(elem.text or "")
            info.oai_error = (code, message)
            if code != NO_RECORDS:
                yield Rejection(Origin(source), f"OAI-PMH error {code}: {message or '(no message)'}")


def record_from_element(elem: Element, origin: Origin, info: FeedInfo) -> Record | None:
    header = elem.find(OAI + "header")
    if header is None:
        raise FieldError("header", "missing")
    identifier = (child_text(header, OAI + "identifier") or "").strip()
    if header.get("status") == "deleted":
        info.deleted.append(identifier or f"record {origin.record}")
        return None
    if identifier:
        split_version(identifier, field="identifier")  # 'oai:arXiv.org:<id>', nothing before or after
    metadata = elem.find(OAI + "metadata")
    if metadata is None or len(metadata) == 0:
        raise FieldError("metadata", "missing")
    body = metadata[0]
    if body.tag == ARXIV + "arXiv":
        paper = _paper_arxiv(body, identifier)
    elif body.tag == RAW + "arXivRaw":
        paper = _paper_raw(body, identifier)
    else:
        raise FieldError("metadata", f"unsupported metadata format <{body.tag}>: harvest with "
                         "metadataPrefix arXiv or arXivRaw")
    return Record(paper=paper, origin=origin, raw_key=tostring(elem, encoding="unicode"))


# -- field helpers --------------------------------------------------------------

def _required(body: Element, ns: str, name: str) -> str:
    value = child_text(body, ns + name)
    if value is None:
        raise FieldError(name, "missing")
    if not value.strip():
        raise FieldError(name, "empty")
    return value


def _optional(body: Element, ns: str, name: str, one_line: bool = True) -> str | None:
    value = child_text(body, ns + name)
    if value is None or not value.strip():
        return None
    return unwrap(value) if one_line else value.strip()


def _paper_id(body: Element, ns: str, identifier: str) -> str:
    raw = child_text(body, ns + "id") or identifier
    if not raw.strip():
        raise FieldError("id", "missing")
    arxiv_id, _ = split_version(raw)
    return arxiv_id


def _iso_date(body: Element, ns: str, name: str) -> str | None:
    value = _optional(body, ns, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise FieldError(name, f"{value!r} is not a YYYY-MM-DD date") from None


def _categories(body: Element, ns: str) -> tuple[str, ...]:
    categories = tuple(_required(body, ns, "categories").split())
    return categories


def _paper_arxiv(body: Element, identifier: str) -> Paper:
    """``metadataPrefix=arXiv``: structured authors, created/updated dates, no version."""
    authors: list[str] = []
    for i, author in enumerate(body.iterfind(f"{ARXIV}authors/{ARXIV}author")):
        keyname = (child_text(author, ARXIV + "keyname") or "").strip()
        if not keyname:
            raise FieldError(f"authors[{i}].keyname", "missing")
        parts = [(child_text(author, ARXIV + "forenames") or "").strip(), keyname,
                 (child_text(author, ARXIV + "suffix") or "").strip()]
        authors.append(" ".join(p for p in parts if p))
    categories = _categories(body, ARXIV)
    return Paper(
        arxiv_id=_paper_id(body, ARXIV, identifier),
        title=unwrap(_required(body, ARXIV, "title")),
        authors=tuple(authors),
        abstract=_required(body, ARXIV, "abstract").strip(),
        categories=categories,
        primary_category=categories[0],
        comment=_optional(body, ARXIV, "comments"),
        journal_ref=_optional(body, ARXIV, "journal-ref"),
        doi=_optional(body, ARXIV, "doi"),
        license=_optional(body, ARXIV, "license"),
        submitted=_iso_date(body, ARXIV, "created"),
        updated=_iso_date(body, ARXIV, "updated"),
    )


def _version_dates(body: Element) -> dict[int, str]:
    """``<version version="v2"><date>Tue, 24 Jul 2007 20:10:27 GMT</date>`` -> {2: '2007-07-24T20:10:27Z'}."""
    out: dict[int, str] = {}
    for i, version in enumerate(body.iterfind(RAW + "version")):
        label = (version.get("version") or "").strip()
        if not (label.startswith("v") and label[1:].isdigit()):
            raise FieldError(f"version[{i}]", f"version attribute {label!r} is not like 'v2'")
        text = (child_text(version, RAW + "date") or "").strip()
        try:
            stamp = parsedate_to_datetime(text).astimezone(UTC)
        except (TypeError, ValueError):
            raise FieldError(f"version[{i}].date", f"{text!r} is not an RFC 2822 date") from None
        out[int(label[1:])] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def _paper_raw(body: Element, identifier: str) -> Paper:
    """``metadataPrefix=arXivRaw``: one author string, every version with its date."""
    versions = _version_dates(body)
    latest = max(versions) if versions else None
    categories = _categories(body, RAW)
    return Paper(
        arxiv_id=_paper_id(body, RAW, identifier),
        title=unwrap(_required(body, RAW, "title")),
        authors=tuple(split_authors(_required(body, RAW, "authors"))),
        abstract=_required(body, RAW, "abstract").strip(),
        categories=categories,
        primary_category=categories[0],
        version=latest,
        comment=_optional(body, RAW, "comments"),
        journal_ref=_optional(body, RAW, "journal-ref"),
        doi=_optional(body, RAW, "doi"),
        license=_optional(body, RAW, "license"),
        submitted=versions.get(1, versions[min(versions)]) if versions else None,
        updated=versions[latest] if latest is not None else None,
    )
