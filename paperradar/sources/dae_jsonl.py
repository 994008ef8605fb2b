"""daily-arXiv-ai-enhanced data files: ``YYYY-MM-DD.jsonl[.gz]`` and
``YYYY-MM-DD_AI_enhanced_<Language>.jsonl[.gz]``.

The crawler writes one JSON object per line; the first category is the listing
category it found the paper under, and the AI file adds an ``AI`` object with
the five summary fields. The date and the summary language only exist in the
file name, so they are taken from there.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from paperradar.models import SUMMARY_FIELDS, CodeLink, Listing, Origin, Paper, Record, Rejection, Summary
from paperradar.sources.validate import (
    FieldError,
    Limits,
    env_name,
    finish,
    is_arxiv_id,
    opt_int,
    opt_str,
    req_str,
    req_str_list,
)

FILE_NAME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:_AI_enhanced_(?P<language>[A-Za-z][A-Za-z _-]*))?\.jsonl(?:\.gz)?$"
)
IMPORTED_MODEL = "daily-arXiv-ai-enhanced"
SKIP_CHUNK = 64 * 1024
# Paper field -> JSON key, for rejections
NAMES = {"abstract": "summary", **{name: f"AI.{name}" for name in SUMMARY_FIELDS}}


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """Stands in for a line longer than the byte cap, which was skipped unread."""

    size: int


def match_name(path: Path) -> re.Match | None:
    return FILE_NAME.match(path.name)


def _lines(path: Path, max_bytes: int) -> Iterator[tuple[int, bytes | LineTooLong | Exception]]:
    """Yield (line number, raw bytes); a trailing exception marks a truncated/corrupt file.

    Lines are read with a bounded ``readline``: a line longer than ``max_bytes``
    is skipped in small chunks and stands as :class:`LineTooLong`, so a
    decompression bomb of one 400 MB line never sits in memory.
    """
    opener = gzip.open if path.name.endswith(".gz") else open
    number = 0
    try:
        with opener(path, "rb") as handle:
            while raw := handle.readline(max_bytes + 1):
                number += 1
                if len(raw) <= max_bytes or raw.endswith(b"\n"):
                    yield number, raw
                    continue
                size = len(raw)
                del raw
                while chunk := handle.readline(SKIP_CHUNK):
                    size += len(chunk)
                    if chunk.endswith(b"\n"):
                        break
                yield number, LineTooLong(size)
    except (EOFError, OSError, zlib.error) as exc:
        yield number + 1, exc


def parse_file(path: Path) -> Iterator[Record | Rejection]:
    """Parse one file; bad lines become :class:`Rejection` and parsing goes on."""
    m = match_name(path)
    if m is None:
        yield Rejection(Origin(str(path)), "file name is not YYYY-MM-DD.jsonl[.gz] or "
                        "YYYY-MM-DD_AI_enhanced_<Language>.jsonl[.gz]; cannot tell the listing date")
        return
    date, language = m.group("date"), m.group("language")
    limits = Limits.from_config()
    positions: dict[str, int] = {}
    for number, raw in _lines(path, limits.record_bytes):
        origin = Origin(str(path), line=number)
        if isinstance(raw, LineTooLong):
            yield Rejection(origin, f"line is {raw.size:,} bytes, longer than {limits.record_bytes:,} "
                            f"(limit set by ${env_name('record_bytes')}); skipped without reading it in")
            continue
        if isinstance(raw, Exception):
            yield Rejection(origin, f"file is truncated or corrupt, stopped reading here ({raw})")
            return
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                yield Rejection(origin, f"not valid UTF-8 at byte {bad.start} of the line")
            else:
                yield Rejection(origin, f"malformed JSON: {exc.msg} at column {exc.colno}")
            continue
        try:
            record = finish(_to_record(obj, origin, date, language, positions), limits, NAMES)
        except FieldError as exc:
            yield Rejection(origin, exc.message, exc.field)
            continue
        record.raw_key = raw.rstrip(b"\r\n")
        yield record


def _to_record(obj: object, origin: Origin, date: str, language: str | None,
               positions: dict[str, int]) -> Record:
    if not isinstance(obj, dict):
        raise FieldError(None, f"expected a JSON object, got {type(obj).__name__}")
    arxiv_id = req_str(obj, "id")
    if not is_arxiv_id(arxiv_id):  # whole string: a JSON value has no layout whitespace to strip
        raise FieldError("id", f"{arxiv_id!r} is not an arXiv identifier")
    categories = req_str_list(obj, "categories", non_empty=True)
    paper = Paper(
        arxiv_id=arxiv_id,
        title=req_str(obj, "title"),
        authors=tuple(req_str_list(obj, "authors")),
        abstract=req_str(obj, "summary"),
        categories=tuple(categories),
        comment=opt_str(obj, "comment"),
    )
    position = positions.setdefault(arxiv_id, len(positions))
    record = Record(paper=paper, origin=origin,
                    listing=Listing(arxiv_id, date, categories[0], position, "new"))
    if language is not None:
        ai = obj.get("AI")
        if not isinstance(ai, dict):
            raise FieldError("AI", "missing or not an object in an AI-enhanced file")
        values: dict[str, Any] = {}
        for name in SUMMARY_FIELDS:
            value = ai.get(name)
            if not isinstance(value, str):
                raise FieldError(f"AI.{name}", "missing" if value is None else
                                 f"expected a string, got {type(value).__name__}")
            values[name] = value
        record.summary = Summary(arxiv_id=arxiv_id, source="imported", model=IMPORTED_MODEL,
                                 language=language, **values)
    url = opt_str(obj, "code_url")
    if url:
        record.code = CodeLink(arxiv_id, url, opt_int(obj, "code_stars"), opt_str(obj, "code_last_update"))
    return record
