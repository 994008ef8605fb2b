"""The query-time index arrays are memory-mapped from derived files that every process shares
(:mod:`paperradar.index.shared`): same results as private arrays, derived once per index
state, damage detected and derived again, a read-only folder falls back to private copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from paperradar.index import shared as shared_module
from paperradar.index.search import SearchIndex
from paperradar.index.shared import MANIFEST, SHARED, shared_key
from paperradar.index.state import check
from paperradar.store import open_store

from .conftest import DAYS_DIR, HashEmbedder, build_store

QUERIES = ["language model reasoning", "image segmentation", "diffusion", "graph neural networks"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not DAYS_DIR.is_dir():
        pytest.skip(f"{DAYS_DIR} not found: needs ../shared/data")
    return build_store(tmp_path_factory.mktemp("shared"))


@pytest.fixture
def copy(built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    db, data = built
    shutil.copy(db, tmp_path / db.name)
    shutil.copytree(data, tmp_path / data.name)
    shutil.rmtree(tmp_path / data.name / "index" / SHARED, ignore_errors=True)
    return tmp_path / db.name, tmp_path / data.name / "index"


def _open(db: Path, folder: Path, share: bool = True) -> SearchIndex:
    return SearchIndex.open(open_store(str(db), read_only=True), folder, embedder=HashEmbedder(), share=share)


def _ranked(index: SearchIndex) -> list[list[tuple[str, float]]]:
    return [[(r.arxiv_id, r.score) for r in index.search(q, k=10)] for q in QUERIES]


def _is_mapped(array: np.ndarray) -> bool:
    base = array
    while base is not None and not isinstance(base, np.memmap):
        base = base.base  # type: ignore[assignment]
    return isinstance(base, np.memmap)


def test_shared_arrays_are_memory_mapped_and_rank_the_same(copy: tuple[Path, Path]) -> None:
    db, folder = copy
    private = _open(db, folder, share=False)
    assert not (folder / SHARED).exists()
    shared = _open(db, folder)
    key = shared_key(folder)
    assert (folder / SHARED / key / MANIFEST).is_file()
    postings, dense = shared.ranker.bm25.postings, shared.ranker.dense
    assert dense is not None
    for array in (postings.data, postings.indices, postings.indptr, dense.vectors):  # type: ignore[union-attr]
        assert _is_mapped(array), "query-time arrays must be views of the shared files, not copies"
    assert _ranked(shared) == _ranked(private)
    assert check(folder).ok  # the derived folder is no part of the self-check
    again = _open(db, folder)  # a second process finds the files and maps the same ones
    assert _ranked(again) == _ranked(private)
    assert [p.name for p in (folder / SHARED).iterdir()] == [key]


def test_damaged_shared_file_is_derived_again(copy: tuple[Path, Path]) -> None:
    db, folder = copy
    expected = _ranked(_open(db, folder))
    target = folder / SHARED / shared_key(folder) / "postings_data.npy"
    data = bytearray(target.read_bytes())
    data[-8:] = b"\xff" * 8
    target.write_bytes(bytes(data))
    assert _ranked(_open(db, folder)) == expected
    assert target.read_bytes() != bytes(data)


def test_new_index_state_replaces_old_arrays(copy: tuple[Path, Path]) -> None:
    db, folder = copy
    _open(db, folder)
    old = shared_key(folder)
    state = folder / "state.json"
    state.write_text(state.read_text().replace('"updated"', '"updated_"', 1))  # any rewrite changes the key
    _open(db, folder)
    assert shared_key(folder) != old
    assert [p.name for p in (folder / SHARED).iterdir()] == [shared_key(folder)]


def test_unwritable_folder_keeps_private_arrays(copy: tuple[Path, Path], monkeypatch) -> None:
    db, folder = copy
    expected = _ranked(_open(db, folder, share=False))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")  # a read-only data folder (tests run as root)

    monkeypatch.setattr(shared_module, "_derive", refuse)
    index = _open(db, folder)
    assert not _is_mapped(index.ranker.bm25.postings.data)
    assert _ranked(index) == expected


def _reference_snippet(text: str, qterms: set[str], width: int = 32) -> tuple[str, list[str]]:
    """The snippet as first written (every word stemmed, a window loop in Python), to check the
    faster one against."""
    from paperradar.index.text import stem, words

    def _token_stems(token: str) -> list[str]:
        return [stem(w.lower()) for w in words(token)]

    tokens = text.split()
    if not tokens:
        return "", []
    hits = [any(s in qterms for s in _token_stems(tok)) for tok in tokens]
    best, best_count = 0, -1
    counts = np.concatenate([[0], np.cumsum(hits)])
    for start in range(0, max(1, len(tokens) - width + 1)):
        window = counts[min(start + width, len(tokens))] - counts[start]
        if window > best_count:
            best, best_count = start, int(window)
    chosen = tokens[best:best + width]
    matched = list(dict.fromkeys(
        w for tok, hit in zip(chosen, hits[best:best + width], strict=True) if hit
        for w, s in zip(words(tok), _token_stems(tok), strict=True) if s in qterms))
    return ("… " if best else "") + " ".join(chosen) + (" …" if best + width < len(tokens) else ""), matched


def test_snippets_are_those_of_the_reference(built: tuple[Path, Path]) -> None:
    from paperradar.index.snippets import snippet
    from paperradar.index.text import query_terms

    store = open_store(str(built[0]), read_only=True)
    abstracts = [" ".join(p.abstract.split()) for p in store.iter_papers()][:300] + ["", "one", "a b c"]
    abstracts += [  # the stemmer's irregular forms, apostrophes, case, other scripts, odd spacing
        "Lying and tying: dying models' lies, TIES and ties of a model's tie-breaking, rock'n'roll",
        "Café naïve résumé models — modèle de données, 変換器 モデル, Straße and STRASSE modeling",
        "  spaced\tout   text,\nwith model\u2019s curly apostrophe and models’ plural  ",
        "graph-based GNNs (graph neural networks) on graphs; graphing graphed Graph",
    ]
    for query in [*QUERIES, "the", "zzz unknown", "model", "lying ties", "dying", "café modèle", "変換器",
                  "model's", "graph neural networks", "straße", "a"]:
        qterms = set(query_terms(query))
        memo: dict[str, bool] = {}
        for text in abstracts:
            assert snippet(text, qterms, memo=memo) == _reference_snippet(text, qterms)
            assert snippet(text, qterms, width=5) == _reference_snippet(text, qterms, width=5)
