"""The keyword index as immutable segments, so that a catch-up writes only its delta.

A segment holds some papers' index rows in three files, each written once, atomically,
before ``state.json`` lists it, and never changed after:

- ``<name>.docs.jsonl``: one :class:`DocInfo` line per row, rows in id order;
- ``<name>.counts.npz``: the rows' term counts (CSR, readable by ``scipy.sparse.load_npz``)
  and their keys: ids and tags (content hash and the CRC-32 of the row's line), so that a
  catch-up learns what the index holds without parsing a single docs line;
- ``<name>.vocab.json``: the terms this segment added. Column ids never change, so the
  vocabulary is every segment's additions in order, and a segment's counts have at most
  as many columns as the vocabulary had after it.

A catch-up appends one segment holding the papers new or changed since the last one; a
paper's newest row wins and the older one is dead until a merge drops it. After each
append the last two segments are merged while the one before the last is not larger
than the last: sizes stay at least 2x apart (a binary counter), so there are about
log2(papers / delta) segments, a row is rewritten O(log) times over its life, and the
big first segment is rewritten only when the appended ones together have grown as
large as it. Past :data:`MAX_SEGMENTS` everything is merged.

The first segment of a full build is :data:`BASE` and keeps the names of the single-file
layout before segments (``docs.jsonl``, ``bm25_counts.npz``, ``bm25_vocab.json``), so an
index from then is an index of one segment whose counts lack the keys (they are read
from its docs instead; the first catch-up that appends merges it, writing them).
Merges write new names, so a crash before ``state.json`` lists the result leaves the
segments it listed untouched.
"""

from __future__ import annotations

import gc
import io
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import orjson
import scipy.sparse as sp

from paperradar.files import atomic_open, atomic_write
from paperradar.index.bm25 import COUNTS, VOCAB, Vocabulary, parse_counts, resize

DOCS = "docs.jsonl"
BASE = "base"
MAX_SEGMENTS = 12
_NAME = re.compile(r"^kw\.(\d{6,})\.(?:docs\.jsonl|counts\.npz|vocab\.json)$")


@dataclass
class DocInfo:
    arxiv_id: str
    digest: str
    date: str
    categories: list[str]
    authors: list[str]
    line: str = field(default="", compare=False, repr=False)  # as read: written again unchanged

    def as_json(self) -> str:
        return self.line or json.dumps({"id": self.arxiv_id, "h": self.digest, "d": self.date,
                                        "c": self.categories, "a": self.authors}, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> DocInfo:
        d = orjson.loads(line)
        return cls(str(d["id"]), str(d["h"]), str(d["d"]), list(d["c"]), list(d["a"]), line)


def parse_docs(text: str) -> list[DocInfo]:
    """The rows of a docs text (see :func:`parse_lines`)."""
    return parse_lines(text.splitlines())


def parse_lines(lines: list[str]) -> list[DocInfo]:
    """The rows of docs lines (empty ones skipped). Python's cyclic garbage collector is paused
    meanwhile: a million papers' rows are millions of small objects, none in a cycle, and the
    collections their allocation triggers rescanned all of them again and again (2.7x the parse
    time at 300k papers, and growing with the index)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return [DocInfo.from_json(line) for line in lines if line]
    finally:
        if paused:
            gc.enable()


def line_tag(digest: str, line: str) -> str:
    """What a row is, in a few bytes: the paper's content hash and its line's CRC-32 (a row
    whose date, categories or authors changed is a new row; one whose line is the same is not)."""
    return f"{digest} {zlib.crc32(line.encode('utf-8')):08x}"


def tag_digest(tag: str) -> str:
    return tag.split(" ", 1)[0]


@dataclass(frozen=True)
class Segment:
    """One segment as ``state.json`` lists it: its name, its rows (dead ones included) and the
    vocabulary size after it."""

    name: str
    rows: int
    terms: int

    @property
    def files(self) -> tuple[str, str, str]:
        """Its docs, counts and vocabulary file names."""
        if self.name == BASE:
            return DOCS, COUNTS, VOCAB
        return f"{self.name}.docs.jsonl", f"{self.name}.counts.npz", f"{self.name}.vocab.json"

    def as_dict(self) -> dict:
        return {"name": self.name, "rows": self.rows, "terms": self.terms}

    @classmethod
    def from_dict(cls, d: dict) -> Segment:
        name = str(d["name"])
        if name != BASE and not _NAME.match(f"{name}.vocab.json"):
            raise ValueError(f"names a segment {name!r}")
        return cls(name, int(d["rows"]), int(d["terms"]))


def segments_of(state: dict) -> list[Segment]:
    """The segments a state record lists (an index from before segments has one, :data:`BASE`).
    ``ValueError`` when the record is malformed."""
    block = state.get("keyword")
    if block is None:
        rows = state.get("rows") or {}
        return [Segment(BASE, int(rows.get("docs") or 0), int(rows.get("terms") or 0))]
    try:
        return [Segment.from_dict(s) for s in block["segments"]]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"lists malformed keyword segments ({type(exc).__name__})") from exc


def segment_number(name: str) -> int:
    """The sequence number in a segment file name (0 for :data:`BASE` and other files)."""
    m = _NAME.match(name)
    return int(m.group(1)) if m else 0


def new_name(number: int) -> str:
    return f"kw.{number:06d}"


def segment_files(folder: Path) -> list[Path]:
    """Every segment file in ``folder`` not of :data:`BASE` (listed or not)."""
    return [p for p in folder.iterdir() if _NAME.match(p.name)] if folder.is_dir() else []


def _pack(strings: list[str]) -> np.ndarray:
    """Strings as one JSON array in bytes (any id, even one holding a newline, round-trips)."""
    return np.frombuffer(orjson.dumps(strings), dtype=np.uint8)


def _unpack(array: np.ndarray, n: int) -> list[str]:
    out = orjson.loads(array.tobytes())
    if not isinstance(out, list) or len(out) != n or not all(isinstance(x, str) for x in out):
        raise ValueError(f"holds no list of {n} keys")
    return out


@dataclass
class SegmentData:
    """A segment's rows as read: ``lines`` (docs lines) and ``counts`` only when asked for."""

    ids: list[str]
    tags: list[str]
    lines: list[str] | None = None
    counts: sp.csr_matrix | None = None
    keyed: bool = True  # False: written before segments, its keys were read from its docs


def read_segment(docs: bytes, counts: bytes, full: bool) -> SegmentData:
    """A segment from its files' bytes (checked by the caller); ``full`` also parses the lines
    and the count matrix. ``ValueError`` saying why when the bytes are not a segment."""
    lines: list[str] | None = None
    if full:
        try:
            lines = [line for line in docs.decode("utf-8").split("\n") if line]
        except UnicodeDecodeError as exc:
            raise ValueError(f"is not UTF-8 ({exc})") from exc
    n_lines = docs.count(b"\n")
    try:
        with np.load(io.BytesIO(counts), allow_pickle=False) as z:
            keyed = "ids" in z.files and "tags" in z.files
            ids = _unpack(z["ids"], n_lines) if keyed else None
            tags = _unpack(z["tags"], n_lines) if keyed else None
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zlib.error) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    if ids is None or tags is None:  # written before segments: the keys are in the docs only
        try:
            rows = parse_docs(docs.decode("utf-8"))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot be read ({type(exc).__name__})") from exc
        ids = [d.arxiv_id for d in rows]
        tags = [line_tag(d.digest, d.line) for d in rows]
        lines = [d.line for d in rows] if full else None
    matrix = parse_counts(counts) if full else None
    return SegmentData(ids, tags, lines, matrix, keyed)


def write_segment(folder: Path, name: str, lines: list[str], ids: list[str], tags: list[str],
                  counts: sp.csr_matrix, new_terms: list[str]) -> tuple[str, str, str]:
    """Write one segment's three files, each atomically; returns their names. ``state.json``,
    written after, makes it part of the index."""
    seg = Segment(name, len(lines), 0)
    docs_name, counts_name, vocab_name = seg.files
    counts = counts.tocsr()
    atomic_write(folder / docs_name, "".join(line + "\n" for line in lines))
    with atomic_open(folder / counts_name, "wb") as fh:  # the layout of scipy.sparse.save_npz, plus keys
        np.savez(fh, format=np.array(b"csr"), shape=np.array(counts.shape, dtype=np.int64),
                 data=counts.data, indices=counts.indices, indptr=counts.indptr,
                 ids=_pack(ids), tags=_pack(tags))
    atomic_write(folder / vocab_name, json.dumps(new_terms, ensure_ascii=False))
    return docs_name, counts_name, vocab_name


def live_rows(ids: list[str]) -> np.ndarray | None:
    """The row of each id's last occurrence (later rows win), in id order; ``None`` when every
    row is live and the rows are in id order already (the common case: nothing to reorder)."""
    if all(a < b for a, b in pairwise(ids)):
        return None
    reversed_ids = np.array(ids[::-1])
    _, first = np.unique(reversed_ids, return_index=True)
    return (len(ids) - 1 - first).astype(np.int64)


def stack(parts: Iterable[SegmentData], width: int) -> tuple[list[str], list[str], list[str],
                                                                 sp.csr_matrix]:
    """Fully read segments, in order, as one: the live rows (newest wins) in id order."""
    parts = list(parts)
    lines, ids, tags, rows = stack_rows(parts)
    return lines, ids, tags, stack_counts(parts, rows, width)


def stack_rows(parts: list[SegmentData]) -> tuple[list[str], list[str], list[str], np.ndarray | None]:
    """The lines, ids and tags of the live rows of ``parts`` in id order, and which of their
    concatenated rows those are (``None``: all, as they are)."""
    ids = [i for p in parts for i in p.ids]
    tags = [t for p in parts for t in p.tags]
    lines = [line for p in parts for line in (p.lines or [])]
    rows = live_rows(ids)
    if rows is None:
        return lines, ids, tags, None
    pick = rows.tolist()
    return [lines[r] for r in pick], [ids[r] for r in pick], [tags[r] for r in pick], rows


def stack_counts(parts: list[SegmentData], rows: np.ndarray | None, width: int) -> sp.csr_matrix:
    """The count rows of :func:`stack_rows`, ``width`` columns wide."""
    matrices = [resize(p.counts, width) for p in parts if p.counts is not None]
    counts = matrices[0] if len(matrices) == 1 else \
        sp.vstack(matrices, format="csr") if matrices else sp.csr_matrix((0, width), dtype=np.float32)
    return counts if rows is None else counts[rows]


def merge_plan(segments: list[Segment]) -> int:
    """How many of the last segments to merge into one now (0 or 1: none)."""
    if len(segments) > MAX_SEGMENTS:
        return len(segments)
    n = 1
    total = segments[-1].rows if segments else 0
    while n < len(segments) and segments[-n - 1].rows <= total:
        total += segments[-n - 1].rows
        n += 1
    return n


@dataclass
class KeywordView:
    """What the keyword index holds, without its rows parsed: segments, vocabulary, and each
    live paper's tag (its newest row's); ``files``: the fingerprints of every segment file."""

    segments: list[Segment]
    vocab: Vocabulary
    live: dict[str, str]
    files: dict[str, dict]
    unkeyed: bool = False  # a segment from before segments, read from its docs (rewritten once)

    def paper_keys(self) -> list[tuple[str, str]]:
        """(id, content hash) of every live paper."""
        return [(i, tag_digest(t)) for i, t in self.live.items()]

    def digest_of(self, arxiv_id: str) -> str | None:
        tag = self.live.get(arxiv_id)
        return None if tag is None else tag_digest(tag)

    def next_number(self, folder: Path) -> int:
        listed = max((segment_number(f"{s.name}.vocab.json") for s in self.segments), default=0)
        found = max((segment_number(p.name) for p in segment_files(folder)), default=0)
        return max(listed, found) + 1

    def state_block(self) -> dict:
        return {"segments": [s.as_dict() for s in self.segments]}

    def fingerprint(self) -> object:
        """What identifies this set of rows: the fingerprints of the segments' docs files (one
        segment: that file's, as an index from before segments recorded it)."""
        prints = [self.files.get(s.files[0]) for s in self.segments]
        return prints[0] if len(prints) == 1 else prints


def merge(folder: Path, run: list[Segment], before_terms: int, vocab: Vocabulary, name: str) -> Segment:
    """Merge ``run`` (consecutive segments, the vocabulary ``before_terms`` long before the
    first) into one new segment ``name``: dead rows dropped, rows in id order."""
    parts = []
    for seg in run:
        docs_name, counts_name, _ = seg.files
        parts.append(read_segment((folder / docs_name).read_bytes(), (folder / counts_name).read_bytes(),
                                  full=True))
    terms = run[-1].terms
    lines, ids, tags, counts = stack(parts, max(terms, 1))
    write_segment(folder, name, lines, ids, tags, counts, vocab.words[before_terms:terms])
    return Segment(name, len(ids), terms)
