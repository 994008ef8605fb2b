"""Dense vectors: a checksummed append-only store on disk and search structures in memory.

On disk (:class:`VectorStore`) vectors are float16 rows in ``dense_vectors.f16``,
appended in chunks; ``dense_keys.tsv`` has one self-checking line per row::

    ROW <tab> ARXIV_ID (percent-escaped) <tab> TEXT_HASH <tab> CRC32(vector bytes) <tab> CRC32(line)

so a line names the vector row it belongs to and proves both itself and that
row intact. An id holding a tab or newline is escaped and cannot break a line;
a damaged or missing line orphans only its own row (rows are found by number,
never by position); a torn last line (full disk, power loss) is detected and
cut off. Vectors are appended before their keys, so an interrupted run leaves
at most a tail of unkeyed rows, which the next write drops: embedding resumes
where it stopped. ``dense_meta.json`` names the embedding space (model and
version), so vectors from different models are never mixed.

Checking every line (and every vector) costs Python time per row, so a store
proven intact need not be proven again: a :class:`Checkpoint` records the first
``rows`` rows proven intact as the length and CRC-32 of the bytes of both files
that hold them (the index keeps it in ``state.json``). A :meth:`VectorStore.scan`
given one honours it only while both files still start with exactly those bytes
(sizes, then one CRC pass in C) and then checks line by line only the rows
after it; anything else (a truncated, edited or replaced file) and it checks
every line as before. A catch-up thus parses only the lines of its own delta,
and extends the checkpoint over the rows it appends without reading them back.

In memory, :class:`FlatIndex` scores every vector (exact; fine up to a few
hundred thousand papers) and :class:`IVFIndex` clusters the vectors with
k-means and scores only the lists nearest to the query (approximate; for
corpora of a million papers and more).
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np

from paperradar.files import atomic_open, atomic_write

Key = tuple[str, str]  # (arxiv_id, content hash)
FORMAT = 2  # dense_meta.json "format": version 1 keyed rows by line position, without checksums
META, KEYS, VECTORS = "dense_meta.json", "dense_keys.tsv", "dense_vectors.f16"
CRC_BLOCK = 1 << 24  # bytes of a file read (memory-mapped) per CRC step


def _key_line(row: int, key: Key, vector: bytes) -> str:
    body = f"{row}\t{quote(key[0], safe='/')}\t{quote(key[1], safe='')}\t{zlib.crc32(vector):08x}"
    return f"{body}\t{zlib.crc32(body.encode('utf-8')):08x}\n"


def _crc_of_file(path: Path, start: int, end: int, crc: int = 0) -> int:
    """CRC-32 of bytes ``start`` to ``end`` of ``path``, continuing ``crc`` (C speed, mapped)."""
    if end <= start:
        return crc
    mapped = np.memmap(path, dtype=np.uint8, mode="r", offset=start, shape=(end - start,))
    try:
        for at in range(0, end - start, CRC_BLOCK):
            crc = zlib.crc32(mapped[at:at + CRC_BLOCK].data, crc)
    finally:
        del mapped
    return crc


@dataclass(frozen=True)
class Checkpoint:
    """The first ``rows`` rows of a store, proven intact: ``keys_bytes`` bytes of key lines
    and ``vectors_bytes`` bytes of vectors, with the CRC-32 of each of those prefixes."""

    rows: int = 0
    keys_bytes: int = 0
    keys_crc: int = 0  # zlib.crc32(b"") == 0: the empty checkpoint
    vectors_bytes: int = 0
    vectors_crc: int = 0

    def extended(self, rows: int, keys: bytes, vectors: bytes) -> Checkpoint:
        """This checkpoint followed by ``rows`` more rows whose key lines and vectors are these bytes."""
        return Checkpoint(self.rows + rows, self.keys_bytes + len(keys), zlib.crc32(keys, self.keys_crc),
                          self.vectors_bytes + len(vectors), zlib.crc32(vectors, self.vectors_crc))

    def as_dict(self) -> dict:
        return {"rows": self.rows, "keys": {"bytes": self.keys_bytes, "crc32": f"{self.keys_crc:08x}"},
                "vectors": {"bytes": self.vectors_bytes, "crc32": f"{self.vectors_crc:08x}"}}

    @classmethod
    def from_dict(cls, record: object) -> Checkpoint | None:
        """The checkpoint ``as_dict`` wrote, or ``None`` for anything else."""
        if not isinstance(record, dict):
            return None
        try:
            keys, vectors = record["keys"], record["vectors"]
            found = cls(int(record["rows"]), int(keys["bytes"]), int(keys["crc32"], 16),
                        int(vectors["bytes"]), int(vectors["crc32"], 16))
        except (KeyError, TypeError, ValueError):
            return None
        return found if min(found.rows, found.keys_bytes, found.vectors_bytes) >= 0 else None


@dataclass
class KeyScan:
    """What ``dense_keys.tsv`` and ``dense_vectors.f16`` hold, checked line by line.

    ``rows`` maps every row proven intact to its key; ``prefix`` is how many rows
    from the start are intact and in order (``prefix_bytes`` the length of their
    lines), the part a repair can keep by truncating. ``problems`` name the file
    and what is wrong; an unkeyed tail of vectors from an interrupted run is not
    a problem (``tail_rows``).

    ``trusted`` is the checkpoint the scan honoured (its rows were not parsed
    again); when the scan was asked not to name them, ``rows`` holds only the rows
    after it and ``unnamed`` says how many come first. ``parsed`` counts the lines
    checked one by one; ``keys_size`` and ``vectors_size`` are the file sizes seen
    (-1: missing). A scan that verified vectors gives its intact prefix as the
    checkpoint ``verified``.
    """

    rows: dict[int, Key] = field(default_factory=dict)
    prefix: int = 0
    prefix_bytes: int = 0
    vector_rows: int = 0
    tail_rows: int = 0
    lines: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    trusted: Checkpoint | None = None
    unnamed: int = 0
    parsed: int = 0
    keys_size: int = -1
    vectors_size: int = -1
    verified: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def intact(self) -> int:
        """How many rows are proven intact (named or not)."""
        return self.unnamed + len(self.rows)

    def ordered_keys(self) -> list[Key]:
        if self.unnamed:
            raise ValueError("this scan did not read the keys of the rows before its checkpoint")
        return [self.rows[r] for r in sorted(self.rows)]


class VectorStore:
    """float16 rows in ``dense_vectors.f16`` named by checksummed lines of ``dense_keys.tsv``.

    An instance remembers where its own last write left the files (sizes checked
    before each use), so successive appends never re-read the keys, and, when it
    started from a scan that verified every row (:meth:`resume`), the checkpoint
    covering the whole store after them (:meth:`checked`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.meta_path = folder / META
        self.keys_path = folder / KEYS
        self.vec_path = folder / VECTORS
        self._end: tuple[int, int, int] | None = None  # (rows, key bytes, vector bytes) after our write
        self._checked: Checkpoint | None = None  # covers the ``_end`` rows exactly, when known

    def read_meta(self) -> tuple[dict | None, str | None]:
        """The meta record and ``None``, or ``None`` and what is wrong with it."""
        if not self.meta_path.is_file():
            return None, "is missing"
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            dim = int(meta["dim"])
            str(meta["space"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return None, f"cannot be read ({type(exc).__name__}: {exc})"
        if not isinstance(meta, dict) or dim <= 0:
            return None, "does not describe a vector space"
        if meta.get("format") != FORMAT:
            return None, f"is from an older index format ({meta.get('format', 1)}); vectors must be rebuilt"
        return meta, None

    def meta(self) -> dict | None:
        """The embedding space and dimension, or ``None`` when missing, unreadable or old."""
        return self.read_meta()[0]

    def reset(self, space: str, dim: int) -> None:
        """Start over in a new vector space (another model): old rows are deleted."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in (self.keys_path, self.vec_path):
            path.unlink(missing_ok=True)
        atomic_write(self.meta_path, json.dumps({"format": FORMAT, "space": space, "dim": dim,
                                                 "dtype": "float16"}))
        self._end, self._checked = (0, -1, -1), Checkpoint()

    def _read_keys(self) -> bytes:
        """The whole key file (the one place a scan reads it)."""
        return self.keys_path.read_bytes()

    def scan(self, verify_vectors: bool = False, trusted: Checkpoint | None = None,
             names: bool = True) -> KeyScan:
        """Check every key line (and, with ``verify_vectors``, every vector's checksum).

        With ``trusted``, the rows it covers are not checked again while both files still
        start with exactly its bytes (the vectors' CRC checked only with ``verify_vectors``);
        ``names=False`` then skips reading their keys too (``KeyScan.unnamed``)."""
        out = KeyScan()
        meta = self.meta()
        if meta is None:
            return out
        row_bytes = 2 * int(meta["dim"])
        size = self.vec_path.stat().st_size if self.vec_path.is_file() else 0
        out.vectors_size = size if self.vec_path.is_file() else -1
        out.vector_rows = size // row_bytes
        if not self.keys_path.is_file():
            if out.vector_rows:
                out.tail_rows = out.vector_rows
            if verify_vectors:
                out.verified = Checkpoint()
            return out
        data = self._read_keys()
        out.keys_size = len(data)
        start = 0
        if trusted is not None and self._honours(trusted, data, row_bytes, size, verify_vectors):
            named = self._names(data, trusted) if names else {}
            if named is not None:
                start = trusted.keys_bytes
                out.trusted, out.rows = trusted, named
                out.unnamed = 0 if names else trusted.rows
                out.prefix = out.lines = trusted.rows
                out.prefix_bytes = start
        vectors = (np.memmap(self.vec_path, dtype=np.uint8, mode="r", shape=(out.vector_rows, row_bytes))
                   if out.vector_rows else None)
        in_order, offset, beyond = True, start, 0
        found: list[tuple[str, str]] = []
        lines = data[start:].split(b"\n")
        torn = lines.pop()  # b"" when the file ends in a newline
        for raw in lines:
            out.lines += 1
            out.parsed += 1
            number = out.lines
            end = offset + len(raw) + 1
            parsed = self._parse(raw)
            problem: tuple[str, str] | None = None
            if parsed is None:
                problem = (KEYS, f"line {number} is damaged (checksum or layout)")
            else:
                row, key, vcrc = parsed
                if row >= out.vector_rows:
                    beyond += 1
                    problem = (VECTORS, "")
                elif row in out.rows or row < out.unnamed:
                    problem = (KEYS, f"line {number} repeats row {row}")
                elif verify_vectors and vectors is not None and zlib.crc32(vectors[row].tobytes()) != vcrc:
                    problem = (VECTORS, f"row {row} ({key[0]}) does not match its checksum")
                else:
                    out.rows[row] = key
            if problem is not None:
                if problem[1]:
                    found.append(problem)
                in_order = False
            elif in_order and parsed is not None and parsed[0] == out.prefix:
                out.prefix += 1
                out.prefix_bytes = end
            else:
                in_order = False
            offset = end
        del vectors
        if beyond:
            state = f"holds {out.vector_rows} rows" if self.vec_path.is_file() else "is missing"
            found.append((VECTORS, f"{state}, but {beyond} lines of {KEYS} name rows past its end"))
        out.problems = found[:5]
        if len(found) > 5:
            out.problems.append((KEYS, f"and {len(found) - 5} more damaged lines"))
        if torn:
            out.problems.append((KEYS, f"ends in a torn line ({len(torn)} bytes after line {out.lines})"))
        keyed = max(max(out.rows, default=-1), out.unnamed - 1) + 1
        out.tail_rows = max(0, out.vector_rows - keyed) if in_order else 0
        if verify_vectors:
            base = out.trusted or Checkpoint()
            out.verified = Checkpoint(
                out.prefix, out.prefix_bytes,
                zlib.crc32(memoryview(data)[base.keys_bytes:out.prefix_bytes], base.keys_crc),
                out.prefix * row_bytes,
                _crc_of_file(self.vec_path, base.vectors_bytes, out.prefix * row_bytes, base.vectors_crc))
        return out

    def _honours(self, mark: Checkpoint, data: bytes, row_bytes: int, vector_size: int,
                 verify_vectors: bool) -> bool:
        """Whether the files still start with exactly the bytes ``mark`` proved intact."""
        if mark.vectors_bytes != mark.rows * row_bytes or vector_size < mark.vectors_bytes \
                or len(data) < mark.keys_bytes or (mark.rows == 0) != (mark.keys_bytes == 0):
            return False
        if mark.keys_bytes and data[mark.keys_bytes - 1] != 0x0A:  # it ends where a line ends
            return False
        if zlib.crc32(memoryview(data)[:mark.keys_bytes]) != mark.keys_crc:
            return False
        return not verify_vectors or _crc_of_file(self.vec_path, 0, mark.vectors_bytes) == mark.vectors_crc

    @staticmethod
    def _names(data: bytes, mark: Checkpoint) -> dict[int, Key] | None:
        """The keys of the rows ``mark`` covers, read without checking each line again (they are
        the lines it proved: rows 0, 1, ... in order); ``None`` if they do not read as such."""
        if not mark.rows:
            return {}
        try:
            text = data[:mark.keys_bytes].decode("utf-8")
        except UnicodeDecodeError:
            return None
        fields = text.replace("\n", "\t").split("\t")  # five fields a line, then "" after the last
        if len(fields) != 5 * mark.rows + 1:
            return None
        ids, digests = fields[1::5], fields[2::5]
        if "%" in text:
            ids, digests = [unquote(x) for x in ids], [unquote(x) for x in digests]
        return dict(enumerate(zip(ids, digests, strict=True)))

    @staticmethod
    def _parse(raw: bytes) -> tuple[int, Key, int] | None:
        try:
            text = raw.decode("utf-8")
            body, _, crc = text.rpartition("\t")
            if int(crc, 16) != zlib.crc32(body.encode("utf-8")):
                return None
            row, arxiv_id, digest, vcrc = body.split("\t")
            return int(row), (unquote(arxiv_id), unquote(digest)), int(vcrc, 16)
        except ValueError:
            return None

    def load(self) -> tuple[list[Key], np.ndarray]:
        """Keys proven intact and a read-only float16 memory map of their rows, in row order."""
        meta = self.meta()
        if meta is None:
            return [], np.zeros((0, 0), dtype=np.float16)
        dim = int(meta["dim"])
        scan = self.scan()
        rows = sorted(scan.rows)
        if not rows:
            return [], np.zeros((0, dim), dtype=np.float16)
        vectors = np.memmap(self.vec_path, dtype=np.float16, mode="r", shape=(scan.vector_rows, dim))
        if rows == list(range(len(rows))):
            return [scan.rows[r] for r in rows], vectors[: len(rows)]
        return [scan.rows[r] for r in rows], vectors[rows]

    def repair(self, scan: KeyScan | None = None) -> int:
        """Keep only rows proven intact (vectors verified); returns how many rows were dropped.

        When the intact rows are a prefix, both files are truncated in place; otherwise
        (damaged or lost lines in between, rows out of order) the store is rewritten
        without the damaged rows, renumbered in row order."""
        scan = scan or self.scan(verify_vectors=True)
        if scan.ok and not scan.tail_rows and scan.intact == scan.prefix:
            return 0
        meta = self.meta()
        if meta is None:
            return 0
        row_bytes = 2 * int(meta["dim"])
        dropped = scan.lines + (1 if any("torn" in m for _, m in scan.problems) else 0) - scan.intact
        if scan.intact == scan.prefix:
            if self.keys_path.is_file():
                with open(self.keys_path, "r+b") as fh:
                    fh.truncate(scan.prefix_bytes)
                    os.fsync(fh.fileno())
            if self.vec_path.is_file():
                with open(self.vec_path, "r+b") as fh:
                    fh.truncate(scan.prefix * row_bytes)
                    os.fsync(fh.fileno())
            self._end = (scan.prefix, *self._sizes())
            verified = scan.verified
            self._checked = verified if verified is not None and verified.rows == scan.prefix else None
            return max(dropped, 0)
        if scan.unnamed:  # a rewrite needs every key
            scan = self.scan(verify_vectors=True, trusted=scan.trusted)
        self._rewrite([(r, scan.rows[r]) for r in sorted(scan.rows)], int(meta["dim"]),
                      verified=scan.verified is not None)
        return max(dropped, 0)

    def _rewrite(self, rows: list[tuple[int, Key]], dim: int, verified: bool) -> None:
        """Write the store anew holding ``rows`` (old row number, key), renumbered from 0;
        ``verified``: their vectors were verified, so the new files are a checkpoint."""
        size = self.vec_path.stat().st_size if self.vec_path.is_file() else 0
        old: np.ndarray
        if size >= 2 * dim:
            old = np.memmap(self.vec_path, dtype=np.float16, mode="r", shape=(size // (2 * dim), dim))
        else:
            old = np.zeros((0, dim), np.float16)
        picked = old[[r for r, _ in rows]] if rows else np.zeros((0, dim))
        kept = np.ascontiguousarray(picked, dtype=np.float16)
        del old
        vector_bytes = kept.tobytes()
        key_bytes = "".join(_key_line(i, key, kept[i].tobytes()) for i, (_, key) in enumerate(rows)).encode()
        # keys go first and come back last: a crash in between leaves unkeyed vectors
        # (re-embedded), never keys naming the wrong vectors
        self._end = self._checked = None
        self.keys_path.unlink(missing_ok=True)
        with atomic_open(self.vec_path, "wb") as fh:
            fh.write(vector_bytes)
        with atomic_open(self.keys_path, "wb") as fh:
            fh.write(key_bytes)
        self._end = (len(rows), *self._sizes())
        self._checked = Checkpoint().extended(len(rows), key_bytes, vector_bytes) if verified else None

    def resume(self, scan: KeyScan) -> None:
        """Continue from ``scan`` if the files are still as it saw them and it found every intact
        row in order (no problems; an unkeyed tail is dropped by the next append): appends then
        start without reading the keys, and a scan that verified every row lets :meth:`checked`
        follow them."""
        self._end, self._checked = None, None
        if scan.ok and scan.intact == scan.prefix and (scan.keys_size, scan.vectors_size) == self._sizes():
            self._end = (scan.prefix, scan.keys_size, scan.vectors_size)
            if scan.verified is not None and scan.verified.rows == scan.prefix:
                self._checked = scan.verified

    def checked(self) -> Checkpoint | None:
        """The checkpoint covering every row now, when this instance knows it: it resumed from a
        scan that verified every row, or rewrote the store, and followed every write since."""
        mark = self._checked
        if mark is None or self._end is None or self._end[0] != mark.rows or self._end[1:] != self._sizes():
            return None
        return mark

    def count(self) -> int:
        """How many rows are intact: known without reading when this instance wrote last."""
        if self._end is not None and self._end[1:] == self._sizes():
            return self._end[0]
        return self.scan().intact

    def append(self, keys: Sequence[Key], vectors: np.ndarray) -> None:
        """Durably add one chunk: vectors first, then their keys. The store must be
        intact (see :meth:`repair`); an unkeyed tail from an interrupted run is dropped."""
        if len(keys) != len(vectors):
            raise ValueError("keys and vectors differ in length")
        if not len(keys):
            return
        meta = self.meta()
        if meta is None:
            raise ValueError(f"{self.meta_path} is missing or unreadable; reset the store first")
        row_bytes = 2 * int(meta["dim"])
        if self._end is not None and self._end[1:] == self._sizes():  # as our last write left them
            start = self._end[0]
        else:
            self._checked = None
            scan = self.scan()
            if not scan.ok or scan.intact != scan.prefix:
                self.repair(self.scan(verify_vectors=True))
                scan = self.scan()
            start = scan.prefix
        mark, self._end, self._checked = self._checked, None, None
        size = self.vec_path.stat().st_size if self.vec_path.is_file() else 0
        if size != start * row_bytes:  # drop a torn or unkeyed tail from an interrupted run
            with open(self.vec_path, "r+b") as fh:
                fh.truncate(start * row_bytes)
        block = np.ascontiguousarray(vectors, dtype=np.float16)
        vector_bytes = block.tobytes()
        key_bytes = "".join(_key_line(start + i, key, block[i].tobytes())
                            for i, key in enumerate(keys)).encode("utf-8")
        with open(self.vec_path, "ab") as fh:
            fh.write(vector_bytes)
            fh.flush()
            os.fsync(fh.fileno())
        with open(self.keys_path, "ab") as fh:
            fh.write(key_bytes)
            fh.flush()
            os.fsync(fh.fileno())
        self._end = (start + len(keys), *self._sizes())  # the next chunk need not re-read every key
        if mark is not None and mark.rows == start:
            self._checked = mark.extended(len(keys), key_bytes, vector_bytes)

    def _sizes(self) -> tuple[int, int]:
        return (self.keys_path.stat().st_size if self.keys_path.is_file() else -1,
                self.vec_path.stat().st_size if self.vec_path.is_file() else -1)

    def compact(self, keep: set[Key]) -> int:
        """Rewrite without rows that no current paper needs (old versions, duplicates), keeping
        only rows whose vectors are verified; returns how many keys of ``keep`` it holds."""
        meta = self.meta()
        if meta is None:
            return 0
        scan = self.scan(verify_vectors=True, trusted=self.checked())
        seen: set[Key] = set()
        rows = []
        for row in sorted(scan.rows):
            key = scan.rows[row]
            if key in keep and key not in seen:
                seen.add(key)
                rows.append((row, key))
        if len(rows) == len(scan.rows) == scan.prefix and not scan.tail_rows:
            return len(seen)
        self._rewrite(rows, int(meta["dim"]), verified=True)
        return len(seen)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part], kind="stable")]


class FlatIndex:
    """Exact inner-product search over all rows (float32 in memory)."""

    exact = True

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.vectors)

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        return self.vectors @ query.astype(np.float32)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.all_scores(query)
        idx = top_k(scores, k)
        return idx, scores[idx]

    def score(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.vectors[rows] @ query.astype(np.float32)

    def vectors_of(self, rows: np.ndarray) -> np.ndarray:
        return self.vectors[rows]


def spherical_kmeans(sample: np.ndarray, k: int, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """Centroids (unit length) of ``k`` clusters by cosine, Lloyd iterations on ``sample``."""
    centroids = sample[rng.choice(len(sample), size=k, replace=False)].copy()
    for _ in range(iterations):
        assign = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assign, sample)
        empty = np.bincount(assign, minlength=k) == 0
        sums[empty] = sample[rng.choice(len(sample), size=int(empty.sum()), replace=False)]
        centroids = sums / np.clip(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9, None)
    return centroids.astype(np.float32)


class IVFIndex:
    """Inverted-file index: k-means lists stored contiguously, ``nprobe`` lists scanned.

    Vectors stay float16 (half the memory of float32); only the scanned lists
    are converted per query.
    """

    exact = False

    def __init__(self, vectors: np.ndarray, n_lists: int | None = None, nprobe: int = 24,
                 seed: int = 0, train_size: int = 50_000, iterations: int = 8) -> None:
        n = len(vectors)
        self.n_lists = min(n, n_lists or max(1, int(np.sqrt(n))))
        self.nprobe = min(nprobe, self.n_lists)
        rng = np.random.default_rng(seed)
        sample = np.asarray(vectors[np.sort(rng.choice(n, size=min(n, train_size), replace=False))],
                            dtype=np.float32)
        self.centroids = spherical_kmeans(sample, self.n_lists, iterations, rng)
        assign = np.empty(n, dtype=np.int32)
        for start in range(0, n, 65536):
            block = np.asarray(vectors[start:start + 65536], dtype=np.float32)
            assign[start:start + 65536] = np.argmax(block @ self.centroids.T, axis=1)
        self.order = np.argsort(assign, kind="stable")  # list-contiguous position -> original row
        self.offsets = np.concatenate([[0], np.cumsum(np.bincount(assign, minlength=self.n_lists))])
        self.vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float16)[self.order])
        self.row_vectors = vectors  # original order, for exact rescoring of given rows

    def __len__(self) -> int:
        return len(self.order)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        query = query.astype(np.float32)
        lists = top_k(self.centroids @ query, self.nprobe)
        spans = [(self.offsets[c], self.offsets[c + 1]) for c in lists]
        positions = np.concatenate([np.arange(s, e) for s, e in spans]) if spans else np.zeros(0, np.int64)
        block = np.concatenate([self.vectors[s:e] for s, e in spans]) if spans else np.zeros((0, len(query)))
        scores = block.astype(np.float32) @ query
        best = top_k(scores, k)
        return self.order[positions[best]], scores[best]

    def score(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.vectors_of(rows) @ query.astype(np.float32)

    def vectors_of(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.row_vectors[rows], dtype=np.float32)
