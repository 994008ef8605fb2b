"""Query-time index arrays that every process maps from disk instead of copying.

``SearchIndex.open`` used to turn the checked index into private memory in each
process: the float16 vectors became a float32 matrix in document order and the BM25
counts were re-weighted into a postings matrix, ~275 MB per web worker. Both are a
pure function of the checked index files, so they are derived once, on the first
open after ``paperradar index`` changes the index, into

    <index folder>/shared/<key>/postings_indptr.npy, postings_indices.npy,
                               postings_data.npy, idf.npy, vectors_f32.npy, manifest.json
                               (with passages: passage_codes.npy, passage_scales.npy,
                               passage_has.npy, the int8 passages in document order)

where ``key`` is a hash of ``state.json`` (which records every whole file's checksum)
and of the sizes of the vector store and the passage store. Every file is written atomically and
``manifest.json`` last, holding each file's size and CRC-32; an open verifies the
manifest (sizes and checksums, read through the memory map, so the pages land in the
page cache every process shares) before it maps the arrays with ``mmap_mode="r"``.
Anything wrong (damage, a read-only folder, a full disk) and the caller falls back
to private arrays built in memory, as before: the shared files are a cache, never the
source of truth, and :func:`paperradar.index.state.check` never needs them.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperradar.files import atomic_open, atomic_write

log = logging.getLogger("paperradar.index")

SHARED = "shared"
MANIFEST = "manifest.json"
FORMAT = 1
ARRAYS = ("postings_indptr", "postings_indices", "postings_data", "idf")
VECTORS = "vectors_f32"
PASSAGES = ("passage_codes", "passage_scales", "passage_has")  # int8 passages in document order


@dataclass
class SharedArrays:
    postings: sp.csr_matrix        # BM25 weights, terms x documents, arrays memory-mapped
    idf: np.ndarray
    vectors: np.ndarray | None     # float32, document order, memory-mapped
    folder: Path
    derived: bool                  # written by this open (else found and verified)
    passages: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # codes, scales, has (doc order)


def shared_key(index_folder: Path) -> str:
    """What the derived arrays depend on: the state record (every whole file's checksum, row
    counts, generation) and the vector store's files (append-only, checked line by line)."""
    from paperradar.index.dense import KEYS
    from paperradar.index.dense import VECTORS as F16

    digest = hashlib.sha1(f"format {FORMAT}\n".encode())
    digest.update((index_folder / "state.json").read_bytes())
    for name in (KEYS, F16, f"passages/{KEYS}", f"passages/{F16}"):
        path = index_folder / name
        digest.update(f"{name} {path.stat().st_size if path.is_file() else -1}\n".encode())
    return digest.hexdigest()[:20]


def _crc_of(path: Path) -> tuple[int, str]:
    size = path.stat().st_size
    if size == 0:
        return 0, f"{zlib.crc32(b''):08x}"
    mapped = np.memmap(path, dtype=np.uint8, mode="r")
    try:
        crc = 0
        for start in range(0, size, 1 << 24):
            crc = zlib.crc32(mapped[start:start + (1 << 24)].data, crc)
    finally:
        del mapped
    return size, f"{crc:08x}"


def _save(folder: Path, name: str, array: np.ndarray) -> dict:
    with atomic_open(folder / f"{name}.npy", "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
    size, crc = _crc_of(folder / f"{name}.npy")
    return {"bytes": size, "crc32": crc}


def _verified(folder: Path, key: str, want_vectors: bool, want_passages: bool = False) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("key") != key or manifest.get("format") != FORMAT:
        return None
    files = manifest.get("files") or {}
    names = ARRAYS + ((VECTORS,) if want_vectors else ()) + (PASSAGES if want_passages else ())
    for name in names:
        record = files.get(name)
        path = folder / f"{name}.npy"
        try:
            if record is None or path.stat().st_size != record["bytes"] or \
                    _crc_of(path)[1] != record["crc32"]:
                log.warning("shared index file %s is damaged or changed; deriving it again", path)
                return None
        except (OSError, KeyError, TypeError):
            return None
    return manifest


def _derive(folder: Path, key: str, postings: sp.csr_matrix, idf: np.ndarray,
            vectors: np.ndarray | None,
            passages: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    index_dtype = np.int32 if postings.nnz < 2**31 - 1 else np.int64
    parts = {"postings_indptr": postings.indptr.astype(index_dtype, copy=False),
             "postings_indices": postings.indices.astype(index_dtype, copy=False),
             "postings_data": postings.data.astype(np.float32, copy=False),
             "idf": idf.astype(np.float32, copy=False)}
    files = {name: _save(folder, name, array) for name, array in parts.items()}
    if vectors is not None:
        files[VECTORS] = _save(folder, VECTORS, np.asarray(vectors, dtype=np.float32))
    if passages is not None:
        for name, array in zip(PASSAGES, passages, strict=True):
            files[name] = _save(folder, name, array)
    atomic_write(folder / MANIFEST, json.dumps({"format": FORMAT, "key": key, "shape": list(postings.shape),
                                                "files": files}))


def _map(folder: Path, manifest: dict, want_vectors: bool, derived: bool,
         want_passages: bool) -> SharedArrays:
    def load(name: str) -> np.ndarray:
        return np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    indptr, indices, data = load("postings_indptr"), load("postings_indices"), load("postings_data")
    shape = tuple(int(x) for x in manifest["shape"])
    postings = sp.csr_matrix((data, indices, indptr), shape=shape, copy=False)
    postings.has_sorted_indices = True
    vectors = load(VECTORS) if want_vectors else None
    passages = (load(PASSAGES[0]), load(PASSAGES[1]), load(PASSAGES[2])) if want_passages else None
    return SharedArrays(postings, load("idf"), vectors, folder, derived, passages)


def open_shared(index_folder: Path, build_postings: Callable[[], tuple[sp.csr_matrix, np.ndarray]],
                build_vectors: Callable[[], np.ndarray], want_vectors: bool,
                build_passages: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
                ) -> SharedArrays | None:
    """The memory-mapped arrays for the index in ``index_folder``, derived first when missing,
    stale or damaged (``build_postings()`` -> (postings, idf); ``build_vectors()`` -> float32
    rows in document order; ``build_passages()``, when given, -> the int8 passage codes, scales
    and has-passages mask in document order, see :class:`~paperradar.index.passages.PassageIndex`).
    ``None`` when they cannot be written or read: the caller keeps private arrays."""
    want_passages = build_passages is not None
    try:
        key = shared_key(index_folder)
        folder = index_folder / SHARED / key
        manifest = _verified(folder, key, want_vectors, want_passages)
        derived = False
        files = (manifest or {}).get("files", {})
        if manifest is None or (want_vectors and VECTORS not in files) or \
                (want_passages and PASSAGES[0] not in files):
            postings, idf = build_postings()
            _derive(folder, key, postings, idf, build_vectors() if want_vectors else None,
                    build_passages() if build_passages is not None else None)
            del postings, idf
            trim_memory()
            manifest = _verified(folder, key, want_vectors, want_passages)
            if manifest is None:
                return None
            derived = True
            _prune(index_folder / SHARED, keep=key)
        return _map(folder, manifest, want_vectors, derived, want_passages)
    except (OSError, ValueError, KeyError) as exc:
        log.info("index arrays not shared (%s); keeping private copies", exc)
        return None


def _prune(shared: Path, keep: str) -> None:
    """Remove arrays derived for older index states (processes still mapping them keep their
    pages until they reopen)."""
    for child in shared.iterdir():
        if child.name != keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def trim_memory() -> None:
    """Hand freed heap pages back to the OS (glibc keeps them otherwise), so the temporary
    arrays of an open do not stay in every worker's private memory."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
