"""The on-disk search index in the data folder, its self-check, and incremental catch-up.

Layout of the index folder (``index/`` in the data folder):

- the keyword index, as immutable segments (see :mod:`segments`): ``docs.jsonl``,
  ``bm25_counts.npz`` and ``bm25_vocab.json`` for the first, ``kw.<n>.*`` for those
  later catch-ups appended; each paper's newest row wins;
- ``dense_*``: the vector store (see :mod:`dense`): checksummed key lines that
  name their vector rows, tagged with the embedding space, so a model change
  re-embeds everything and an edited abstract re-embeds only that paper.
- ``state.json``: written last, atomically: the store generation it matches, the
  keyword segments, and for every file written whole its size and CRC-32 plus the
  row counts (papers, terms, vectors), so that :func:`check` notices any file that
  was truncated, replaced or lost since; and ``dense_checked``, the vector store's
  :class:`~paperradar.index.dense.Checkpoint` (rows proven intact, and the size
  and CRC-32 of the bytes of both vector files holding them) with the
  fingerprint of the keyword segments whose every live paper has a vector among them.

Every whole file is written atomically (:mod:`paperradar.files`); the vector
store is append-only and checks itself line by line. :func:`check` reports
each problem with the file it is in; :func:`catch_up` repairs what it can
(drops damaged vector rows and re-embeds only those papers, rebuilds a damaged
keyword index from the store) and ``rebuild=True`` starts over.

The vector rows the checkpoint covers are checked by one CRC pass over their
bytes (C speed) instead of line by line, and, while the keyword segments are those
it was written with, their keys are not read at all: so a catch-up parses only the
key lines of its own delta and its dense side does not grow with the index. Its
keyword side writes one segment of the delta and reads the rows' packed keys, never
their lines. Any change to those bytes (truncation, an edit, a replaced file) fails the CRC
and the check falls back to every line; ``check(full=True)`` (``index --check``)
ignores the checkpoint and verifies every line and vector independently.

Ingest bumps the store's ``papers.generation`` meta key when papers are new
or changed, so a search can tell cheaply that the index is behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperradar import config
from paperradar.clock import now_iso
from paperradar.embed import Embedder, make_embedder
from paperradar.errors import EmbeddingError, SearchIndexError
from paperradar.files import atomic_write
from paperradar.index.bm25 import COUNTS, VOCAB, Vocabulary, count_matrix, parse_vocab
from paperradar.index.dense import KEYS, META, VECTORS, Checkpoint, KeyScan, VectorStore
from paperradar.index.passages import FOLDER as PASSAGES
from paperradar.index.passages import catch_up_passages
from paperradar.index.segments import (
    BASE,
    DOCS,
    DocInfo,
    KeywordView,
    Segment,
    line_tag,
    merge,
    merge_plan,
    new_name,
    parse_docs,
    parse_lines,
    read_segment,
    segment_files,
    segments_of,
    stack,
    stack_counts,
    stack_rows,
    write_segment,
)
from paperradar.models import Paper
from paperradar.store.base import GENERATION_KEY, VECTOR_GENERATION_KEY, Store

__all__ = ["DocInfo", "parse_docs"]  # re-exported: defined with the segments they are rows of

EMBED_CHUNK = 256
STATE_VERSION = 3  # 1: no checksums, vectors keyed by line position; 2: one keyword segment
READABLE = (2, 3)
STATE = "state.json"
INDEX_FILES = (STATE, DOCS, COUNTS, VOCAB, META, KEYS, VECTORS)

Progress = Callable[[int, int], None]


def index_dir(location: str, data_dir: str | Path | None = None) -> Path:
    """The index folder of the store at ``location``: ``index/`` in its data folder
    (see :func:`paperradar.config.data_dir_for`)."""
    folder = config.data_dir_for(location, data_dir)
    if folder is None:
        raise SearchIndexError("an in-memory store has no data folder for an index; pass --data-dir")
    config.adopt_legacy(folder, location)
    return folder / "index"


def document_text(paper: Paper) -> str:
    """What both indexes see: title then abstract, whitespace collapsed."""
    return " ".join(f"{paper.title}. {paper.abstract}".split())


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def store_generation(store: Store) -> str:
    return store.get_meta(GENERATION_KEY) or "0"


@dataclass
class CatchUpReport:
    papers: int = 0
    tokenised: int = 0
    removed: int = 0
    embedded: int = 0
    from_store: int = 0  # vectors taken from the store instead of embedding
    read_from_store: int = 0  # papers read from the store: the changed ones, or all on a full scan
    reembedded_all: bool = False
    merged: int = 0  # keyword rows a segment merge rewrote
    passages: bool = False  # the index keeps passage vectors (see paperradar.index.passages)
    passages_embedded: int = 0  # papers whose passages this catch-up embedded
    passages_seconds: float = 0.0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    space: str = ""
    folder: str = ""
    repaired: list[str] = field(default_factory=list)  # what was damaged and how it was fixed
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        rate = self.embedded / self.embed_seconds if self.embed_seconds > 0 else None
        return {"papers": self.papers, "tokenised": self.tokenised, "removed": self.removed,
                "embedded": self.embedded, "from_store": self.from_store,
                "read_from_store": self.read_from_store,
                "reembedded_all": self.reembedded_all, "merged": self.merged,
                "passages": self.passages, "passages_embedded": self.passages_embedded,
                "passages_seconds": round(self.passages_seconds, 2),
                "seconds": round(self.seconds, 2), "embed_papers_per_s": rate and round(rate, 1),
                "space": self.space, "index": self.folder, "repaired": list(self.repaired)}


# -- the self-check -------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing wrong with the index: which part it breaks, which file, what."""

    part: str  # "index" (nothing usable), "keyword" (no search at all) or "dense" (keyword-only)
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} {self.message}"


@dataclass
class Health:
    """What :func:`check` found, and the parts it read (reused by :class:`SearchIndex`)."""

    folder: Path
    state: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    docs: list[DocInfo] | None = None
    counts: sp.csr_matrix | None = None
    vocab: Vocabulary | None = None
    vectors: KeyScan | None = None
    dense_missing: int = 0  # papers without an intact vector
    keyword: KeywordView | None = None  # what the keyword segments hold (also when not assembled)
    state_bytes: bytes = b""
    _counts: Callable[[], sp.csr_matrix] | None = field(default=None, repr=False)

    def defer_counts(self, build: Callable[[], sp.csr_matrix]) -> None:
        self._counts = build

    def count_matrix(self) -> sp.csr_matrix | None:
        """The term counts of ``docs`` in their order, stacked from the segments on first use (a
        search whose BM25 weights are already derived, see :mod:`shared`, never needs them)."""
        if self.counts is None and self._counts is not None:
            self.counts, self._counts = self._counts(), None
        return self.counts

    def drop_counts(self) -> None:
        self.counts, self._counts = None, None

    @property
    def exists(self) -> bool:
        return self.state is not None

    @property
    def ok(self) -> bool:
        return not self.problems

    def broken(self, *parts: str) -> list[Problem]:
        return [p for p in self.problems if p.part in parts]

    @property
    def keyword_ok(self) -> bool:
        return self.state is not None and not self.broken("index", "keyword")

    @property
    def dense_wanted(self) -> bool:
        return bool(self.state and self.state.get("dense"))

    @property
    def dense_ok(self) -> bool:
        return self.keyword_ok and self.dense_wanted and not self.broken("dense")

    def summary(self, *parts: str) -> str:
        chosen = self.broken(*parts) if parts else self.problems
        return "; ".join(str(p) for p in chosen)

    def as_dict(self) -> dict:
        papers = len(self.docs) if self.docs is not None else \
            len(self.keyword.live) if self.keyword is not None else None
        return {"index": str(self.folder), "healthy": self.ok, "papers": papers,
                "dense": self.dense_wanted, "space": (self.state or {}).get("space") or None,
                "problems": [{"part": p.part, "file": p.file, "message": p.message} for p in self.problems]}


def _crc(data: bytes) -> int:
    return zlib.crc32(data)


def _fingerprint(path: Path) -> dict:
    data = path.read_bytes()
    return {"bytes": len(data), "crc32": f"{_crc(data):08x}"}


def _read_verified(health: Health, name: str, part: str) -> bytes | None:
    """The bytes of a whole file if they are exactly what the state file recorded."""
    path = health.folder / name
    if not path.is_file():
        health.problems.append(Problem(part, name, "is missing"))
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        health.problems.append(Problem(part, name, f"cannot be read ({exc.strerror or exc})"))
        return None
    record = ((health.state or {}).get("files") or {}).get(name)
    if record is None:
        health.problems.append(Problem(part, name, f"is not recorded in {STATE}"))
        return None
    if len(data) != record.get("bytes"):
        kind = "truncated" if len(data) < int(record.get("bytes") or 0) else "longer than written"
        health.problems.append(Problem(part, name, f"is {kind} ({len(data)} of {record.get('bytes')} bytes)"))
        return None
    if f"{_crc(data):08x}" != record.get("crc32"):
        health.problems.append(Problem(part, name, "does not match its checksum (damaged or changed)"))
        return None
    return data


def read_keyword(folder: Path) -> tuple[list[DocInfo], sp.csr_matrix, Vocabulary]:
    """The keyword index's live rows (id order), their term counts and the vocabulary, as written
    (unchecked, for readers that tolerate a damaged index; :func:`check` verifies them).
    ``SearchIndexError`` when there is none or it cannot be read."""
    state = read_state(folder)
    if state is None:
        raise SearchIndexError(f"no search index at {folder}; run `paperradar index`")
    try:
        segments = segments_of(state)
        words: list[str] = []
        parts = []
        for seg in segments:
            docs_name, counts_name, vocab_name = seg.files
            words.extend(parse_vocab((folder / vocab_name).read_bytes()).words)
            parts.append(read_segment((folder / docs_name).read_bytes(), (folder / counts_name).read_bytes(),
                                      full=True))
    except (OSError, ValueError) as exc:
        raise SearchIndexError(f"search index at {folder} cannot be read ({exc}); run `paperradar index`") \
            from exc
    vocab = Vocabulary(words)
    lines, _, _, counts = stack(parts, max(len(vocab), 1))
    return parse_lines(lines), counts, vocab


def read_docs(folder: Path) -> list[DocInfo]:
    """The live rows of the keyword index in id order, as written (unchecked); none without one."""
    try:
        return read_keyword(folder)[0]
    except SearchIndexError:
        return []


def read_state(folder: Path) -> dict | None:
    """The state record, or ``None`` when missing or unreadable."""
    return _read_state(folder)[0]


def _read_state(folder: Path) -> tuple[dict | None, str]:
    state, why, _ = _read_state_bytes(folder)
    return state, why


def _read_state_bytes(folder: Path) -> tuple[dict | None, str, bytes]:
    path = folder / STATE
    if not path.is_file():
        return None, "is missing: no search index yet", b""
    try:
        data = path.read_bytes()
        state = json.loads(data)
    except (OSError, ValueError) as exc:
        return None, f"cannot be read ({type(exc).__name__})", b""
    if not isinstance(state, dict):
        return None, "does not hold an index state", data
    return state, "", data


def check(folder: Path, deep: bool = False, full: bool = False, assemble: bool = True) -> Health:
    """Check the index in ``folder`` against its state file: every whole file's size
    and checksum, row counts, every vector key line, and that each paper has an intact
    vector. ``deep`` also verifies every vector's checksum (what ``index --check`` and
    ``index`` do; a search skips it). Vector rows covered by the checkpoint in the state
    file are checked by the CRC of their bytes instead, unless ``full`` (``index --check``):
    then every line and vector is checked again, trusting nothing written before.
    ``assemble``: also parse the keyword rows into ``docs`` and ``counts`` (a catch-up needs only
    what :class:`~paperradar.index.segments.KeywordView` says). A check that finds damage while
    ``state.json`` changed under it (a catch-up finished meanwhile) is run again on the new state."""
    for _ in range(3):
        health = _check_once(folder, deep, full, assemble)
        if health.ok or health.state is None or _read_state_bytes(folder)[2] == health.state_bytes:
            return health
    return health


def _check_once(folder: Path, deep: bool, full: bool, assemble: bool) -> Health:
    health = Health(folder)
    if folder.exists() and not folder.is_dir():
        health.problems.append(Problem("index", folder.name,
                                       "is a plain file where the index folder should be"))
        return health
    state, why, raw = _read_state_bytes(folder)
    if state is None:
        health.problems.append(Problem("index", STATE, why))
        return health
    if state.get("format") not in READABLE:
        old = state.get("format")
        health.problems.append(Problem("index", STATE, f"is from an older index format ({old}); "
                                                        "`paperradar index` rebuilds it"))
        return health
    health.state, health.state_bytes = state, raw
    rows = state.get("rows") or {}
    _check_keyword(health, rows, assemble)
    if health.dense_wanted:
        _check_dense(health, rows, deep, full)
        if full and state.get("passages"):  # `index --check`; a search or catch-up need not read them
            _check_passages(health)
    return health


def _check_keyword(health: Health, rows: dict, assemble: bool) -> None:
    """Every segment's files against their fingerprints, their row and term counts against the
    state, and the live papers against its paper count."""
    try:
        segments = segments_of(health.state or {})
    except ValueError as exc:
        health.problems.append(Problem("keyword", STATE, str(exc)))
        return
    files = (health.state or {}).get("files") or {}
    words: list[str] = []
    parts = []
    for seg in segments:
        docs_name, counts_name, vocab_name = seg.files
        vdata = _read_verified(health, vocab_name, "keyword")
        ddata = _read_verified(health, docs_name, "keyword")
        cdata = _read_verified(health, counts_name, "keyword")
        if vdata is not None:
            try:
                words.extend(parse_vocab(vdata).words)
            except ValueError as exc:
                health.problems.append(Problem("keyword", vocab_name, f"cannot be read ({exc})"))
            else:
                if len(words) != seg.terms:
                    health.problems.append(Problem("keyword", vocab_name, f"brings the vocabulary to "
                                                   f"{len(words)} terms, {STATE} recorded {seg.terms}"))
        if ddata is None or cdata is None:
            continue
        try:
            part = read_segment(ddata, cdata, full=assemble)
        except ValueError as exc:
            health.problems.append(Problem("keyword", counts_name, f"cannot be read ({exc})"))
            continue
        if len(part.ids) != seg.rows:
            health.problems.append(Problem("keyword", docs_name, f"holds {len(part.ids)} papers, "
                                                                 f"{STATE} recorded {seg.rows}"))
            continue
        if part.counts is not None:
            if part.counts.shape[0] != seg.rows:
                health.problems.append(Problem("keyword", counts_name, f"has {part.counts.shape[0]} rows "
                                                                       f"for {seg.rows} papers"))
                continue
            if part.counts.shape[1] > max(seg.terms, 1):
                health.problems.append(Problem("keyword", vocab_name, f"brings {seg.terms} terms for "
                                               f"{part.counts.shape[1]} count columns"))
                continue
        parts.append(part)
    if health.broken("keyword"):
        return
    vocab = Vocabulary(words)
    if len(vocab.ids) != len(words):
        health.problems.append(Problem("keyword", segments[-1].files[2], "repeats terms of earlier segments"))
        return
    live: dict[str, str] = {}
    for part in parts:
        live.update(zip(part.ids, part.tags, strict=True))
    if len(live) != rows.get("docs"):
        health.problems.append(Problem("keyword", segments[-1].files[0], f"the segments hold {len(live)} "
                                                                         f"papers, {STATE} recorded "
                                                                         f"{rows.get('docs')}"))
        return
    health.vocab = vocab
    health.keyword = KeywordView(segments, vocab, live, {n: files[n] for s in segments for n in s.files},
                                 unkeyed=not all(p.keyed for p in parts))
    if assemble:
        lines, _, _, picked = stack_rows(parts)
        health.docs = parse_lines(lines)
        health.defer_counts(lambda: stack_counts(parts, picked, max(len(vocab), 1)))


def _covers_docs(state: dict, health: Health) -> bool:
    """Whether every live paper of the (verified) keyword segments has a vector among the rows of
    the state's checkpoint: the catch-up that wrote both said so, for these very segments."""
    checked = state.get("dense_checked") or {}
    return bool(state.get("complete")) and health.keyword is not None and checked.get("docs") is not None \
        and checked.get("docs") == health.keyword.fingerprint()


def _check_dense(health: Health, rows: dict, deep: bool, full: bool = False) -> None:
    state = health.state or {}
    store = VectorStore(health.folder)
    meta, why = store.read_meta()
    if meta is None:
        health.problems.append(Problem("dense", META, why or "cannot be read"))
        return
    record = (state.get("files") or {}).get(META)
    if record is not None and _fingerprint(store.meta_path) != record:
        health.problems.append(Problem("dense", META, "does not match its checksum (damaged or changed)"))
        return
    if state.get("complete") and meta["space"] != state.get("space"):
        health.problems.append(Problem("dense", META, f"names the space {meta['space']}, the index was "
                                                       f"built in {state.get('space')}"))
        return
    trusted = None if full else Checkpoint.from_dict(state.get("dense_checked"))
    covers = trusted is not None and _covers_docs(state, health)
    scan = health.vectors = store.scan(verify_vectors=deep, trusted=trusted, names=not covers)
    health.problems.extend(Problem("dense", f, m) for f, m in scan.problems)
    recorded = int(rows.get("dense") or 0) if state.get("complete") else 0
    if recorded and not store.keys_path.is_file():
        health.problems.append(Problem("dense", KEYS, "is missing"))
    elif scan.intact < recorded:
        health.problems.append(Problem("dense", KEYS, f"holds {scan.intact} intact rows, {STATE} recorded "
                                                       f"{rows.get('dense')} (truncated)"))
    if health.keyword is not None and not scan.unnamed:  # unnamed: every paper is among those rows
        have = set(scan.rows.values())
        keys = health.keyword.paper_keys()
        health.dense_missing = sum(key not in have for key in keys)
        if health.dense_missing:
            why = "" if state.get("complete") else " (an interrupted `paperradar index`?)"
            health.problems.append(Problem("dense", VECTORS, f"has no intact vector for "
                                                              f"{health.dense_missing} of {len(keys)} "
                                                              f"papers{why}"))


def _check_passages(health: Health) -> None:
    """Problems of part ``passages``: they never stop a search (a paper without passages scores by
    its whole text), but ``index --check`` reports them and ``paperradar index`` mends them."""
    store = VectorStore(health.folder / PASSAGES)
    meta, why = store.read_meta()
    if meta is None:
        health.problems.append(Problem("passages", f"{PASSAGES}/{META}", why or "cannot be read"))
        return
    scan = store.scan(verify_vectors=True)
    health.problems.extend(Problem("passages", f"{PASSAGES}/{f}", m) for f, m in scan.problems)
    if health.keyword is not None:
        have = set(scan.rows.values())
        keys = health.keyword.paper_keys()
        missing = sum(key not in have for key in keys)
        if missing:
            health.problems.append(Problem("passages", f"{PASSAGES}/{VECTORS}",
                                           f"has no passages for {missing} of {len(keys)} papers "
                                           "(an interrupted `paperradar index`?)"))


def staleness(store: Store, folder: Path) -> str | None:
    """A sentence saying why the index is behind the store, or ``None`` if current."""
    state = read_state(folder) if folder.is_dir() else None
    if state is None:
        return "no search index yet"
    if state.get("generation") != store_generation(store):
        gap = store.count_papers() - int(state.get("papers", 0))
        return f"papers were ingested since the index was built ({gap:+d} papers)"
    return None


# -- building and catching up -------------------------------------------------------

def _scan(store: Store, papers: Iterable[Paper] | None = None) -> tuple[list[DocInfo], dict[str, str]]:
    """Current papers as index rows (ordered by id) and their texts: every paper in the store,
    or those of ``papers`` (in their order)."""
    infos: list[DocInfo] = []
    texts: dict[str, str] = {}
    batch: list[Paper] = []

    def flush() -> None:
        dates = store.last_listed([p.arxiv_id for p in batch])
        for p in batch:
            text = document_text(p)
            texts[p.arxiv_id] = text
            date = dates.get(p.arxiv_id) or (p.updated or p.submitted or "")[:10]
            infos.append(DocInfo(p.arxiv_id, content_hash(text), date, list(p.categories), list(p.authors)))
        batch.clear()

    for paper in store.iter_papers() if papers is None else papers:
        batch.append(paper)
        if len(batch) >= 1000:
            flush()
    if batch:
        flush()
    return infos, texts


def _delta_base(health: Health, generation: str, rebuild: bool) -> int | None:
    """The store generation an intact index can catch up from by reading only the papers
    changed since (``None``: read every paper). Only an index this code wrote qualifies
    (``stamped`` in its state): the store was migrated (0006) before it was built, so every
    later change carries its generation."""
    state = health.state or {}
    if rebuild or not health.keyword_ok or health.keyword is None or not state.get("stamped"):
        return None
    try:
        built, now = int(state.get("generation")), int(generation)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return built if built <= now else None  # an index ahead of its store: the store was replaced


@dataclass
class _Delta:
    rows: list[DocInfo]  # the rows to append: papers new to the index or whose row changed, id order
    fresh: list[DocInfo]  # of those, the papers new to the index or with a new text
    texts: dict[str, str]


def _read_delta(store: Store, old: KeywordView, since: int, report: CatchUpReport) -> _Delta | None:
    """The papers changed since generation ``since`` whose rows differ from those the index holds,
    with their texts; ``None`` when the index would not account for every paper in the store
    (papers removed, or an index not built from this store): then read them all."""
    changed, texts = _scan(store, store.papers_changed_since(since))
    report.read_from_store = len(changed)
    papers = len(old.live) + len({d.arxiv_id for d in changed} - old.live.keys())
    if papers != store.count_papers():
        report.notes.append(f"the index would hold {papers} papers, the store {store.count_papers()}: "
                            "every paper re-read")
        return None
    rows = sorted((d for d in changed if old.live.get(d.arxiv_id) != line_tag(d.digest, d.as_json())),
                  key=lambda d: d.arxiv_id)
    return _Delta(rows, [d for d in rows if old.digest_of(d.arxiv_id) != d.digest], texts)


def _keyword_files(folder: Path, names: Iterable[str]) -> dict[str, dict]:
    return {name: _fingerprint(folder / name) for name in names}


def _rows(infos: list[DocInfo]) -> tuple[list[str], list[str], list[str]]:
    """The lines, ids and tags of ``infos`` as a segment stores them."""
    lines = [d.as_json() for d in infos]
    tags = [line_tag(d.digest, line) for d, line in zip(infos, lines, strict=True)]
    return lines, [d.arxiv_id for d in infos], tags


def _build(folder: Path, infos: list[DocInfo], texts: dict[str, str]) -> KeywordView:
    """The keyword index of ``infos`` (in id order) from nothing: one segment, the base."""
    vocab = Vocabulary()
    counts = count_matrix([texts[d.arxiv_id] for d in infos], vocab)
    lines, ids, tags = _rows(infos)
    names = write_segment(folder, BASE, lines, ids, tags, counts, vocab.words)
    return KeywordView([Segment(BASE, len(infos), len(vocab))], vocab, dict(zip(ids, tags, strict=True)),
                       _keyword_files(folder, names))


def _append(folder: Path, old: KeywordView, rows: list[DocInfo], texts: dict[str, str],
            report: CatchUpReport) -> KeywordView:
    """Write ``rows`` as a new segment after those of ``old``, then merge the last segments as
    :func:`~paperradar.index.segments.merge_plan` says. Nothing is written for no rows."""
    if not rows:
        return old
    vocab = Vocabulary(old.vocab.words)
    counts = count_matrix([texts[d.arxiv_id] for d in rows], vocab)
    lines, ids, tags = _rows(rows)
    number = old.next_number(folder)
    names = write_segment(folder, new_name(number), lines, ids, tags, counts, vocab.words[len(old.vocab):])
    segments = [*old.segments, Segment(new_name(number), len(rows), len(vocab))]
    files = {**old.files, **_keyword_files(folder, names)}
    live = {**old.live, **dict(zip(ids, tags, strict=True))}
    # an index from before segments is rewritten once, with its keys, so that later catch-ups never
    # parse its lines again
    n = len(segments) if old.unkeyed else merge_plan(segments)
    if n > 1:
        run, kept = segments[-n:], segments[:-n]
        merged = merge(folder, run, kept[-1].terms if kept else 0, vocab, new_name(number + 1))
        for seg in run:
            for name in seg.files:
                files.pop(name, None)
                if seg not in old.segments:  # written by this catch-up: no state, no reader knows it
                    (folder / name).unlink(missing_ok=True)
        files.update(_keyword_files(folder, merged.files))
        segments = [*kept, merged]
        report.merged += sum(s.rows for s in run)
        report.notes.append(f"merged the last {n} keyword segments ({sum(s.rows for s in run)} rows) into "
                            f"one of {merged.rows}")
    return KeywordView(segments, vocab, live, files)


def _remove_orphans(folder: Path, listed: KeywordView) -> None:
    """Remove segment files the state no longer lists (merged away, or written by a catch-up that
    died before its state): only now, a catch-up later, so a reader of the state before still
    finds them."""
    names = set(listed.files)
    orphans = [p for p in segment_files(folder) if p.name not in names]
    if BASE not in {s.name for s in listed.segments}:
        orphans.extend(folder / n for n in (DOCS, COUNTS, VOCAB))
    for path in orphans:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _texts_for(store: Store, infos: list[DocInfo], texts: dict[str, str]) -> None:
    """Add to ``texts`` those of ``infos`` it lacks (papers unchanged in the store whose vector
    must be embedded again: damaged, or an interrupted run)."""
    missing = [d.arxiv_id for d in infos if d.arxiv_id not in texts]
    for start in range(0, len(missing), 1000):
        for pid, paper in store.get_papers(missing[start:start + 1000]).items():
            texts[pid] = document_text(paper)




def _prepare(folder: Path, rebuild: bool, report: CatchUpReport) -> None:
    """Make ``folder`` a folder we can write into: a plain file in its place is moved
    aside (never deleted); ``rebuild`` removes every index file."""
    try:
        if folder.exists() and not folder.is_dir():
            aside = folder.with_name(folder.name + ".not-a-folder")
            n = 1
            while aside.exists():
                n += 1
                aside = folder.with_name(f"{folder.name}.not-a-folder.{n}")
            folder.rename(aside)
            report.repaired.append(f"{folder.name} was a plain file, not a folder: moved to {aside.name}; "
                                   "index rebuilt")
        if rebuild and folder.is_dir():
            for path in [*(folder / name for name in INDEX_FILES), *segment_files(folder)]:
                path.unlink(missing_ok=True)
            shutil.rmtree(folder / PASSAGES, ignore_errors=True)
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SearchIndexError(f"cannot use {folder} as the search index folder: {exc}") from exc


def _write_state(folder: Path, generation: str, keyword: KeywordView, dense: bool, space: str,
                 embedder: str | None, complete: bool, dense_rows: int, meta_record: dict | None,
                 store_vectors: int = 0, checked: dict | None = None, covers: bool = False,
                 passages: bool = False) -> None:
    """``checked``: the vector store's checkpoint (``Checkpoint.as_dict``, or as an earlier state
    recorded it: appends never change the rows it covers); ``covers``: every live paper of
    ``keyword`` has a vector among its rows; ``passages``: the index keeps passage vectors (set
    before they are embedded, so a catch-up killed meanwhile is resumed by the next)."""
    files = dict(keyword.files)
    if meta_record is not None:
        files[META] = meta_record
    if checked is not None and covers:
        checked = {**checked, "docs": keyword.fingerprint()}
    papers = len(keyword.live)
    atomic_write(folder / STATE, json.dumps({
        "format": STATE_VERSION, "generation": generation, "papers": papers, "space": space,
        "dense": dense, "embedder": embedder, "complete": complete, "passages": passages,
        "rows": {"docs": papers, "terms": len(keyword.vocab), "dense": dense_rows}, "files": files,
        "keyword": keyword.state_block(),
        "store_vectors": store_vectors,  # the store's vector generation this index has read up to
        "dense_checked": checked,  # vector rows proven intact (see dense.Checkpoint)
        "stamped": True,  # built from a store whose papers carry their generation (migration 0006)
        "updated": now_iso(),
    }, indent=1))


def catch_up(store: Store, folder: Path, embedder: Embedder | None, progress: Progress | None = None,
             spec: str | None = None, chunk: int = EMBED_CHUNK, rebuild: bool = False,
             passages: bool | None = None) -> CatchUpReport:
    """Bring the index up to date with the store, repairing what is damaged; only
    new, changed or lost papers are tokenised and embedded. Safe to interrupt:
    finished embedding chunks are kept. ``rebuild`` starts from nothing.
    ``passages``: keep passage vectors (True), drop them (False), or do as the index did (None)."""
    started = time.perf_counter()
    report = CatchUpReport(folder=str(folder))
    _prepare(folder, rebuild, report)
    health = check(folder, deep=True, assemble=False)
    old = health.keyword if health.keyword_ok else None
    if old is not None:
        _remove_orphans(folder, old)
    elif health.state is not None or (folder / DOCS).exists():
        report.repaired.append(f"keyword index rebuilt ({health.summary('index', 'keyword')})")
    generation = store_generation(store)  # read first: a change committed after it is read again next time
    since = _delta_base(health, generation, rebuild)
    delta = _read_delta(store, old, since, report) if since is not None and old is not None else None
    fresh: list[DocInfo]  # papers new to the index or with a new text
    if delta is None:
        infos, texts = _scan(store)
        report.read_from_store = report.tokenised = len(infos)
        report.removed = len(old.live.keys() - {d.arxiv_id for d in infos}) if old is not None else 0
        keyword = _build(folder, infos, texts)
        fresh = infos if old is None else [d for d in infos if old.digest_of(d.arxiv_id) != d.digest]
        del infos
    else:
        texts, fresh = delta.texts, delta.fresh
        report.tokenised = len(delta.rows)
        keyword = _append(folder, old, delta.rows, texts, report)  # type: ignore[arg-type]
    report.papers = len(keyword.live)
    old_state = health.state or {}
    if passages is None:  # as the index was (a state lost to damage: as its folder says)
        had = old_state.get("passages")
        keep_passages = bool(had) if had is not None else (folder / PASSAGES).is_dir()
    else:
        keep_passages = passages
    if not keep_passages:
        shutil.rmtree(folder / PASSAGES, ignore_errors=True)

    if embedder is None:  # keyword only this time: the dense side is left as it was
        _write_state(folder, generation, keyword, bool(old_state.get("dense")),
                     old_state.get("space") or "", old_state.get("embedder"), bool(old_state.get("complete")),
                     int((old_state.get("rows") or {}).get("dense") or 0),
                     (old_state.get("files") or {}).get(META), int(old_state.get("store_vectors") or 0),
                     old_state.get("dense_checked"),  # its "docs" no longer matches if rows were added
                     passages=keep_passages)
        report.passages = keep_passages
        report.seconds = time.perf_counter() - started
        return report

    # the keyword index is usable now; the dense side is marked as being built (the checkpoint
    # stays true while rows are appended: a rerun after a crash checks only the rows after it)
    _write_state(folder, generation, keyword, True, embedder.space, spec, False, 0, None,
                 checked=old_state.get("dense_checked"))
    report.space = embedder.space
    vectors = VectorStore(folder)
    meta, why = vectors.read_meta()
    seen = int(old_state.get("store_vectors") or 0) if old_state.get("complete") else 0
    scan: KeyScan
    if meta is None or meta.get("space") != embedder.space or int(meta.get("dim", 0)) != embedder.dim:
        seen = 0
        report.reembedded_all = meta is not None
        if meta is None and (vectors.keys_path.exists() or vectors.vec_path.exists()):
            report.repaired.append(f"{META} {why}: every paper re-embedded")
        vectors.reset(embedder.space, embedder.dim)
        scan = vectors.scan(verify_vectors=True)  # empty
    else:
        # the self-check above verified every vector already (same files: nothing wrote in between);
        # the rows of its checkpoint by their CRC, the others line by line
        scan = health.vectors if health.vectors is not None else vectors.scan(verify_vectors=True)
        if scan.problems or scan.tail_rows or scan.intact != scan.prefix:  # (out of order: rewritten)
            dropped = vectors.repair(scan)
            if scan.problems:
                damage = "; ".join(f"{f} {m}" for f, m in scan.problems)
                report.repaired.append(f"dense index repaired ({damage}): {dropped} damaged rows dropped, "
                                       "their papers re-embedded")
            scan = vectors.scan(verify_vectors=True, trusted=vectors.checked())  # what repair kept: CRCs only
    vectors.resume(scan)  # appends start where the scan ended, and extend its checkpoint
    have = set(scan.rows.values())
    # the rows before the checkpoint hold a vector for every live paper of the segments before (the
    # state file says so, see check) and their keys were not read: only papers new to them can lack
    # one (a paper whose text went back to an older one those rows still hold is embedded again)
    candidates = fresh if scan.unnamed else [DocInfo(i, h, "", [], []) for i, h in keyword.paper_keys()]
    need = [d for d in candidates if (d.arxiv_id, d.digest) not in have]
    counter: int | None = None  # the store's vector generation before reading from it
    if not rebuild:  # --rebuild starts over: embeds everything again
        # a paper that had a vector (its row was damaged or cut off) may find it in the store under
        # any generation: then read them all (a repair is linear anyway), else only those since ``seen``
        old_keys = set() if scan.unnamed or old is None else set(old.paper_keys())
        lost = any((d.arxiv_id, d.digest) in old_keys for d in need)
        counter = int(store.get_meta(VECTOR_GENERATION_KEY) or 0)
        need, seen = _from_store(store, vectors, embedder, need, 0 if lost else seen, chunk, report)
    mine: list[int] = []  # the vector generations of our own writes to the store
    _texts_for(store, need, texts)
    t0 = time.perf_counter()
    done = 0
    if need and progress:
        progress(0, len(need))
    for start in range(0, len(need), chunk):
        part = need[start:start + chunk]
        vecs = embedder.embed([texts[d.arxiv_id] for d in part])
        if len(vecs) != len(part):
            raise EmbeddingError(f"the embedder returned {len(vecs)} vectors for {len(part)} texts")
        if not store.read_only:  # the store first: a crash between the two re-reads, never re-embeds
            block = np.ascontiguousarray(vecs, dtype="<f2")
            rows = [(d.arxiv_id, d.digest, block[i].tobytes()) for i, d in enumerate(part)]
            mine.append(store.put_vectors(embedder.space, embedder.dim, rows))
        vectors.append([(d.arxiv_id, d.digest) for d in part], vecs)
        done += len(part)
        if progress:
            progress(done, len(need))
    report.embedded = done
    report.embed_seconds = time.perf_counter() - t0
    if counter is not None and seen <= counter and mine == list(range(counter + 1, counter + 1 + len(mine))):
        # every vector up to ``counter`` was read, and the store took only ours since: the next
        # catch-up need not read our own vectors back (it did: the whole previous delta each time)
        seen = counter + len(mine)
    rows_now, covers = vectors.count(), True  # every paper has a vector now
    if rows_now > 1.25 * len(keyword.live) + 100:
        wanted = set(keyword.paper_keys())
        covers = vectors.compact(wanted) == len(wanted)  # (it drops a vector found damaged meanwhile)
        rows_now = vectors.count()
    checked = vectors.checked()
    _write_state(folder, generation, keyword, True, embedder.space, spec, True,
                 rows_now, _fingerprint(vectors.meta_path), seen,
                 checked=None if checked is None else checked.as_dict(), covers=covers,
                 passages=keep_passages)
    report.passages = keep_passages
    if keep_passages:  # after the state: the paper vectors are usable while passages are embedded
        def texts_of(ids: list[str]) -> dict[str, tuple[str, str]]:
            return {pid: (p.title, p.abstract) for pid, p in store.get_papers(ids).items()}

        t1 = time.perf_counter()
        report.passages_embedded, fixes = catch_up_passages(folder, keyword.paper_keys(), embedder, texts_of,
                                                            progress=progress)
        report.repaired.extend(fixes)
        report.passages_seconds = time.perf_counter() - t1
    report.seconds = time.perf_counter() - started
    return report


def _from_store(store: Store, vectors: VectorStore, embedder: Embedder, need: list[DocInfo], seen: int,
                chunk: int, report: CatchUpReport) -> tuple[list[DocInfo], int]:
    """Take the vectors another data folder (or worker) already stored for papers in ``need``: rows
    of the embedder's space written since generation ``seen``, for the same text. Returns what is
    still to embed and the generation read up to. Vectors of our own embeddings written later are
    newer than ``seen`` too: :func:`catch_up` records the generation past them when the store took
    no other vectors in between (else the next catch-up reads them again and finds nothing needed)."""
    wanted = {(d.arxiv_id, d.digest) for d in need}
    top = seen
    keys: list[tuple[str, str]] = []
    rows: list[np.ndarray] = []

    def flush() -> None:
        if keys:
            vectors.append(list(keys), np.stack(rows))
            report.from_store += len(keys)
            keys.clear()
            rows.clear()

    for row in store.vectors_since(embedder.space, seen):
        top = max(top, row.generation)
        key = (row.arxiv_id, row.digest)
        if key in wanted and row.dim == embedder.dim and len(row.data) == 2 * row.dim:
            keys.append(key)
            rows.append(np.frombuffer(row.data, dtype="<f2"))
            wanted.discard(key)
            if len(keys) >= max(chunk, 1024):
                flush()
    flush()
    return [d for d in need if (d.arxiv_id, d.digest) in wanted], top


@contextlib.contextmanager
def progress_bar(enabled: bool = True, desc: str = "embedding", minimum: int = 64) -> Iterator[Progress]:
    """A ``progress(done, total)`` callback drawing a bar on stderr (for runs of at
    least ``minimum`` papers); closed when the block ends."""
    import sys

    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="paper", desc=desc, file=sys.stderr,
                       disable=not enabled or total < minimum)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


def update_index(store: Store, folder: Path, embedder_spec: str | None = None, dense: bool = True,
                 progress: Progress | None = None, rebuild: bool = False,
                 passages: bool | None = None) -> CatchUpReport:
    """What ``paperradar index`` does (and ``search`` for small gaps): make the embedder
    named by ``embedder_spec`` (none when ``dense`` is false) and :func:`catch_up`."""
    embedder = make_embedder(embedder_spec) if dense else None
    try:
        return catch_up(store, folder, embedder, progress, spec=embedder_spec, rebuild=rebuild,
                        passages=passages)
    except EmbeddingError as exc:
        raise EmbeddingError(f"{exc} (finished chunks are kept; re-run to resume)") from exc
