"""Plain data records shared by sources, store, enrichers and digests.

Every source parser turns its input into these records, so that the store and
everything after it never needs to know whether a paper came from a
daily-arXiv-ai-enhanced file, OAI-PMH, the export API or an RSS feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AnnounceType = Literal["new", "cross-list", "replacement"]
SummarySource = Literal["imported", "extractive", "llm"]
SUMMARY_FIELDS: tuple[str, ...] = ("tldr", "motivation", "method", "result", "conclusion")


@dataclass(frozen=True, slots=True)
class Paper:
    """Metadata of one arXiv paper at one version.

    Strings are kept exactly as the source gave them (line breaks in abstracts
    included) so that digests can reproduce other tools' output byte for byte.
    ``None`` means "this source does not know", never "empty".
    """

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]
    version: int | None = None
    primary_category: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    submitted: str | None = None
    updated: str | None = None

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


@dataclass(frozen=True, slots=True)
class Listing:
    """One appearance of a paper in one day's announcement under one category."""

    arxiv_id: str
    date: str
    category: str
    position: int
    announce_type: AnnounceType = "new"


@dataclass(frozen=True, slots=True)
class Summary:
    """The five structured fields for a paper, with where they came from."""

    arxiv_id: str
    source: SummarySource
    model: str
    language: str
    tldr: str
    motivation: str
    method: str
    result: str
    conclusion: str
    paper_version: int | None = None
    prompt_version: str = ""
    created: str | None = None

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SUMMARY_FIELDS}


@dataclass(frozen=True, slots=True)
class CodeLink:
    arxiv_id: str
    url: str
    stars: int | None = None
    last_update: str | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was read from, for error messages and reports."""

    file: str
    line: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        elif self.record is not None:
            where += f" record {self.record}"
        return where


@dataclass(slots=True)
class Record:
    """Everything one input record says: a paper plus optional listing, summary, code link."""

    paper: Paper
    origin: Origin
    listing: Listing | None = None
    summary: Summary | None = None
    code: CodeLink | None = None
    raw_key: bytes | str | None = None  # exact bytes/text of the input, to spot exact duplicates

    @property
    def as_of(self) -> str | None:
        """The date this record speaks for: its announcement, else the paper's own dates."""
        if self.listing is not None:
            return self.listing.date
        return self.paper.updated or self.paper.submitted


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be used, and why: shown to the user, counted in reports."""

    origin: Origin
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = str(self.origin)
        if self.field:
            return f"{where}: field {self.field!r}: {self.message}"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class IngestReport:
    """Counts for one ingest run; ``rejections`` keeps the messages."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    rejected: int = 0
    listings_added: int = 0
    summaries_added: int = 0
    files: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        for name in ("read", "new", "updated", "unchanged", "duplicate", "rejected",
                     "listings_added", "summaries_added"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.files.extend(other.files)
        self.rejections.extend(other.rejections)

    def as_dict(self) -> dict:
        return {
            "read": self.read, "new": self.new, "updated": self.updated,
            "unchanged": self.unchanged, "duplicate": self.duplicate, "rejected": self.rejected,
            "listings_added": self.listings_added, "summaries_added": self.summaries_added,
            "files": list(self.files),
            "rejections": [
                {"file": r.origin.file, "line": r.origin.line, "record": r.origin.record,
                 "field": r.field, "message": r.message}
                for r in self.rejections
            ],
        }


# -- personal ranking (paperradar.radar) ----------------------------------------------------------

Verdict = Literal["up", "down", "save"]


@dataclass(frozen=True, slots=True)
class ProfileRecord:
    """A reader's profile as stored: ``settings`` is plain JSON (interests, keywords, excludes,
    followed authors, categories, seed papers, e-mail, language); see :mod:`paperradar.radar.profiles`."""

    name: str
    settings: dict
    created: str
    updated: str


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """One paper of a profile's library (imported file, Zotero, or a seed paper).

    ``key`` is unique within the profile (``arxiv:ID``, ``doi:DOI``, else ``text:HASH``);
    ``arxiv_id`` is set when the item matched a stored paper or carried an arXiv id, otherwise
    the item is kept as its title and abstract text. ``source`` says where it came from
    (``refs.bib#key``, ``zotero:ABCD1234``, ``seed``); ``date`` (``YYYY[-MM[-DD]]``) orders the
    library newest first for the recency weights."""

    key: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    doi: str | None = None
    date: str | None = None
    source: str = ""
    added: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """A reader's verdict on one paper for one profile; the latest verdict per paper counts."""

    profile: str
    arxiv_id: str
    verdict: Verdict
    at: str


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """A paper shown to a profile: the version and abstract hash it was shown at, so a later
    version counts as an update only when its abstract changed (:mod:`paperradar.radar.seen`)."""

    profile: str
    arxiv_id: str
    version: int | None
    abstract_hash: str
    shown_at: str


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """What was (or is being) delivered to one profile for one day; owned by
    :mod:`paperradar.deliver.record`, which alone decides the state moves.

    ``state``: ``pending`` (message built and stored, sending not begun), ``sending`` (the SMTP
    ``DATA`` command was about to start: the server may have accepted it), ``sent`` (the server
    accepted it), ``failed`` (refused or unreachable; ``reason`` says why; the next run retries),
    ``skipped`` (nothing to send: an empty day the profile opted out of, or no e-mail address).
    ``kind``: ``papers``, ``empty`` (a day with nothing new; ``reason`` says why) or ``late``
    (the listing was not out yet). ``papers`` are the ranked entries shown (JSON-able dicts).
    ``attempts`` counts connections tried.
    """

    profile: str
    date: str
    kind: str
    state: str
    message_id: str
    recipient: str | None
    message: str  # the whole RFC 5322 message as built (empty when nothing is e-mailed)
    papers: tuple[dict, ...] = ()
    reason: str = ""  # why a day has nothing (kinds empty and late), or why it was skipped
    attempts: int = 0
    created: str = ""
    updated: str = ""
    sent_at: str | None = None
    error: str = ""  # why the last attempt failed (state failed); empty once sent
