"""Field checks shared by the source parsers, raising errors that name the field.

Three rules every parser applies through this module, so no source can skip one:

* **Identifiers** are checked with :func:`re.fullmatch` (never ``$``, which also
  matches before a final newline): ``"2607.12345\\n"`` in a JSON file is not an
  id, and ``javascript:alert(1)//1712.88888`` is not one either.
* **Text is made safe to store and show** by :func:`clean_text`: NUL bytes and
  the bidirectional embedding, override and isolate controls (U+202A-U+202E,
  U+2066-U+2069, the "Trojan Source" characters) are removed. The marks U+200E,
  U+200F and U+061C are kept: they cannot open a run that reorders the text
  after them, and right-to-left names and titles use them legitimately.
* **Sizes are bounded** (:class:`Limits`, configurable in :mod:`paperradar.config`):
  a record with an over-long field is rejected naming its field; the rest of the
  file goes on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from paperradar import config
from paperradar.errors import ConfigError, FieldError
from paperradar.models import Paper, Record

# New-style (2007+) ids like 2606.28729 and old-style ids like hep-th/9901001 or math.GT/0309136.
_ID = r"\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID = re.compile(_ID)  # use with fullmatch only
VERSIONED_ID = re.compile(rf"(?P<id>{_ID})(?:v(?P<version>\d+))?")  # use with fullmatch only
ID_PREFIXES = ("oai:arXiv.org:", "http://arxiv.org/abs/", "https://arxiv.org/abs/", "arXiv:")

_UNSAFE = re.compile("[\x00\u202a-\u202e\u2066-\u2069]")


def is_arxiv_id(text: str) -> bool:
    """The whole of ``text`` is an unversioned arXiv id (no surrounding whitespace)."""
    return ARXIV_ID.fullmatch(text) is not None


def clean_text(text: str) -> str:
    """``text`` without NUL bytes and bidi embedding/override/isolate controls."""
    return _UNSAFE.sub("", text) if _UNSAFE.search(text) else text


# -- size limits ------------------------------------------------------------------

def _default(limit: str) -> int:
    return config.BY_KEY[f"limits.{limit}"].default


@dataclass(frozen=True, slots=True)
class Limits:
    """Largest accepted sizes (defaults: the ``limits.*`` rows of :mod:`paperradar.config`),
    far above anything arXiv publishes
    (the 41,630 real daily-arXiv records peak at a 201-character title, a
    1,954-character abstract, 319 authors and an 8,853-byte line)."""

    title_chars: int = _default("title_chars")
    abstract_chars: int = _default("abstract_chars")
    comment_chars: int = _default("comment_chars")
    authors: int = _default("authors")  # names
    authors_chars: int = _default("authors_chars")
    field_chars: int = _default("field_chars")  # journal ref, DOI, license, categories, summaries, ...
    record_bytes: int = _default("record_bytes")  # one JSONL line, read through a bounded reader

    @classmethod
    def from_config(cls) -> Limits:
        values = {}
        for f in dataclasses.fields(cls):
            key = f"limits.{f.name}"
            value = config.get(key)
            if value <= 0:
                raise ConfigError(f"setting {key} ({config.where(key)}) must be a positive integer, "
                                  f"got {value}")
            values[f.name] = value
        return cls(**values)

    @property
    def text_cap(self) -> int:
        """Longest text run an XML parse keeps in memory: no field may be longer anyway."""
        return max(self.title_chars, self.abstract_chars, self.comment_chars, self.authors_chars,
                   self.field_chars)


def env_name(limit: str) -> str:
    """The environment variable of a :class:`Limits` field, for messages."""
    return config.BY_KEY[f"limits.{limit}"].env


def _too_long(field: str, limit: str, value: int, unit: str = "characters") -> FieldError:
    return FieldError(field, f"longer than {value:,} {unit} (limit set by ${env_name(limit)})")


def finish(record: Record, limits: Limits, names: Mapping[str, str] | None = None) -> Record:
    """Clean every text field of ``record`` (:func:`clean_text`) and check its sizes.

    ``names`` maps :class:`~paperradar.models.Paper` field names to what the
    source calls them (``{"abstract": "summary"}``), so a rejection names the
    field as it appears in the input. Raises :class:`FieldError`.
    """
    names = names or {}
    paper = _clean_paper(record.paper)
    _check_paper(paper, limits, names)
    record.paper = paper
    if record.listing is not None:
        listing = record.listing
        category = clean_text(listing.category)
        if category != listing.category:
            record.listing = dataclasses.replace(listing, category=category)
    if record.summary is not None:
        fields = record.summary.fields()
        cleaned: dict[str, Any] = (
            {name: clean_text(value) for name, value in fields.items()} if _has_unsafe(fields.values())
            else dict(fields))
        for name, value in cleaned.items():
            if len(value) > limits.field_chars:
                raise _too_long(names.get(name, name), "field_chars", limits.field_chars)
        if cleaned != fields:
            record.summary = dataclasses.replace(record.summary, **cleaned)
    if record.code is not None:
        url = clean_text(record.code.url)
        if len(url) > limits.field_chars:
            raise _too_long(names.get("code_url", "code_url"), "field_chars", limits.field_chars)
        if url != record.code.url:
            record.code = dataclasses.replace(record.code, url=url)
    return record


_PAPER_FIELDS = tuple(f.name for f in dataclasses.fields(Paper))


def _has_unsafe(values: Iterable[object]) -> bool:
    """One regex scan over every text value (the common case: nothing to clean)."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, tuple):
            parts.extend(v for v in value if isinstance(v, str))
    return _UNSAFE.search("\n".join(parts)) is not None


def _paper_is_clean(p: Paper) -> bool:
    """The common case, checked with one regex scan over every text field of the paper."""
    text = "\n".join(
        [p.arxiv_id, p.title, p.abstract, p.comment or "", p.journal_ref or "", p.doi or "",
         p.license or "", p.primary_category or "", p.submitted or "", p.updated or "",
         *p.authors, *p.categories])
    return _UNSAFE.search(text) is None


def _clean_paper(paper: Paper) -> Paper:
    if _paper_is_clean(paper):
        return paper
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(Paper):
        value = getattr(paper, f.name)
        cleaned: str | tuple[str, ...]
        if isinstance(value, str):
            cleaned = clean_text(value)
        elif isinstance(value, tuple):
            cleaned = tuple(clean_text(v) for v in value)
        else:
            continue
        if cleaned != value:
            changes[f.name] = cleaned
    return dataclasses.replace(paper, **changes) if changes else paper


def _check_paper(paper: Paper, limits: Limits, names: Mapping[str, str]) -> None:
    def name(field: str) -> str:
        return names.get(field, field)

    for field, limit in (("title", "title_chars"), ("abstract", "abstract_chars")):
        value = getattr(paper, field)
        if not value.strip():
            raise FieldError(name(field), "empty (after removing NUL and bidi control characters)")
        if len(value) > getattr(limits, limit):
            raise _too_long(name(field), limit, getattr(limits, limit))
    if paper.comment is not None and len(paper.comment) > limits.comment_chars:
        raise _too_long(name("comment"), "comment_chars", limits.comment_chars)
    if len(paper.authors) > limits.authors:
        raise _too_long(name("authors"), "authors", limits.authors, "names")
    if sum(len(a) for a in paper.authors) > limits.authors_chars:
        raise _too_long(name("authors"), "authors_chars", limits.authors_chars)
    for field in ("journal_ref", "doi", "license", "submitted", "updated", "primary_category"):
        value = getattr(paper, field)
        if value is not None and len(value) > limits.field_chars:
            raise _too_long(name(field), "field_chars", limits.field_chars)
    if sum(len(c) for c in paper.categories) > limits.field_chars:
        raise _too_long(name("categories"), "field_chars", limits.field_chars)


# -- JSON field readers -------------------------------------------------------------

def req_str(obj: dict, name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise FieldError(name, "missing")
    if not isinstance(value, str):
        raise FieldError(name, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise FieldError(name, "empty")
    return value


def opt_str(obj: dict, name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(name, f"expected a string or null, got {type(value).__name__}")
    return value


def opt_int(obj: dict, name: str) -> int | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(name, "expected an integer, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise FieldError(name, f"expected an integer, got {type(value).__name__} {value!r}")


def req_str_list(obj: dict, name: str, non_empty: bool = False) -> list[str]:
    value = obj.get(name)
    if value is None:
        raise FieldError(name, "missing")
    if not isinstance(value, list):
        raise FieldError(name, f"expected a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise FieldError(f"{name}[{i}]", f"expected a string, got {type(item).__name__}")
    if non_empty and not value:
        raise FieldError(name, "empty list")
    return value


def split_version(raw_id: str, field: str = "id") -> tuple[str, int | None]:
    """'2606.28729v3' -> ('2606.28729', 3).

    For XML element text: the outer whitespace is layout (``<id>\\n  http://...</id>``)
    and is stripped; one known prefix (``oai:arXiv.org:``, the abs URL, ``arXiv:``)
    is removed; what is left must be an id with an optional version, whole.
    """
    text = raw_id.strip()
    for prefix in ID_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    m = VERSIONED_ID.fullmatch(text)
    if m is None:
        raise FieldError(field, f"{raw_id!r} is not an arXiv identifier")
    version = m.group("version")
    return m.group("id"), int(version) if version else None
