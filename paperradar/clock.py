"""One clock and one timestamp format for everything paperradar stores or prints.

Stored timestamps are UTC, to the second, written ``2026-06-30T20:00:00Z``
(ISO 8601 with a ``Z``): they sort as text and compare across machines.
Tests pass their own ``now`` where a function takes one, so nothing here is
patched.
"""

from __future__ import annotations

from datetime import UTC, datetime

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC, without microseconds."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``moment`` in the one stored format; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(ISO_FORMAT)


def now_iso() -> str:
    """The current UTC time in the stored format."""
    return iso(utcnow())


def parse_iso(text: str) -> datetime:
    """Read a stored timestamp (``Z``, ``+00:00`` or naive UTC, as older stores wrote them)."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
