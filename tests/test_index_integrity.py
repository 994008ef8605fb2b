"""The search index checks itself: every damage of issue 15 (items 6-9) is detected by
``index --check``, makes ``search`` degrade honestly (or fail plainly, never with a
traceback), and is repaired by ``index`` into exactly what a clean build holds.

A real index of 24 papers from a real arXiv day, embedded with the bundled ONNX model
once per module; each test damages a copy of it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from paperradar.cli import cli, cmd_search
from paperradar.embed import OnnxMiniLM
from paperradar.errors import IndexDamaged, SearchIndexError
from paperradar.index.dense import VectorStore
from paperradar.index.search import SearchIndex, results_json
from paperradar.index.state import catch_up, check, read_keyword
from paperradar.ingest import ingest_records
from paperradar.models import Record
from paperradar.sources import parse_path
from paperradar.store import open_store

DAYS = ("2026-06-25", "2026-06-26")
DAY = DAYS[0]
N_PAPERS = 24
QUERIES = ["language model reasoning", "image segmentation", "reinforcement learning agents"]


def _records(days_dir: Path) -> list[Record]:
    return [r for day in DAYS for r in parse_path(days_dir / f"{day}.jsonl.gz") if isinstance(r, Record)]


def _index(db: Path) -> Path:
    return db.with_name(db.stem + ".data") / "index"


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-q", "--db", str(db), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def model() -> OnnxMiniLM:
    return OnnxMiniLM(threads=1)


@pytest.fixture(scope="module")
def records(days_dir: Path) -> list[Record]:
    recs = _records(days_dir)
    assert len(recs) >= N_PAPERS + 8
    return recs


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, records, model) -> Path:
    """A clean store + index of the first ``N_PAPERS`` papers (the reference build)."""
    db = tmp_path_factory.mktemp("pristine") / "s.db"
    store = open_store(str(db))
    ingest_records(store, records[:N_PAPERS], DAY)
    report = catch_up(store, _index(db), model)
    store.close()
    assert report.embedded == N_PAPERS and check(_index(db), deep=True).ok
    return db


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Path:
    """A private copy of the pristine store and index, to damage."""
    shutil.copytree(pristine.parent, tmp_path / "c")
    return tmp_path / "c" / pristine.name


def vectors_by_paper(folder: Path) -> dict[tuple[str, str], np.ndarray]:
    keys, vectors = VectorStore(folder).load()
    return {key: np.asarray(vectors[row], dtype=np.float32) for row, key in enumerate(keys)}


def assert_same_as_clean(db: Path, clean_db: Path, model: OnnxMiniLM) -> None:
    """Rows, term counts, every paper's vector and search results as in a clean build."""
    folder, clean = _index(db), _index(clean_db)
    health = check(folder, deep=True)
    assert health.ok, health.summary()
    (docs, counts, vocab), (clean_docs, clean_counts, clean_vocab) = read_keyword(folder), read_keyword(clean)
    assert [(d.arxiv_id, d.digest) for d in docs] == [(d.arxiv_id, d.digest) for d in clean_docs]
    for row in range(len(docs)):
        a = {vocab.words[c]: v for c, v in zip(counts[row].indices, counts[row].data, strict=True)}
        b = {clean_vocab.words[c]: v for c, v in zip(clean_counts[row].indices, clean_counts[row].data,
                                                     strict=True)}
        assert a == b, docs[row].arxiv_id
    mine, theirs = vectors_by_paper(folder), vectors_by_paper(clean)
    names = sorted(theirs)
    reference = np.stack([theirs[k] for k in names])
    for doc in docs:
        key = (doc.arxiv_id, doc.digest)
        assert key in mine, f"{doc.arxiv_id} has no vector"
        # the vector on this paper is this paper's vector, and no other paper's
        assert np.allclose(mine[key], theirs[key], atol=3e-3), doc.arxiv_id
        assert names[int(np.argmax(reference @ mine[key]))] == key, doc.arxiv_id
    stores = open_store(str(db)), open_store(str(clean_db))
    try:
        for query in QUERIES:
            a, b = (SearchIndex.open(s, f, embedder=model).search(query, k=10)
                    for s, f in zip(stores, (folder, clean), strict=True))
            assert [r.arxiv_id for r in a] == [r.arxiv_id for r in b], query
            assert [r.score for r in a] == pytest.approx([r.score for r in b], abs=2e-3), query
            assert all(r.cosine is not None for r in a)
    finally:
        for s in stores:
            s.close()


# -- the damages --------------------------------------------------------------------

def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def bad_id_line(folder: Path) -> None:
    """Issue 6: an id holding a newline broke a line of dense_keys.tsv in two."""
    lines = _lines(folder / "dense_keys.tsv")
    row, arxiv_id, rest = lines[5].split(b"\t", 2)
    lines[5] = row + b"\t" + arxiv_id[:4] + b"\n" + arxiv_id[4:] + b"\t" + rest
    (folder / "dense_keys.tsv").write_bytes(b"\n".join(lines))


def torn_last_line(folder: Path) -> None:
    """Issue 7: a full disk cut the last key line short."""
    path = folder / "dense_keys.tsv"
    path.write_bytes(path.read_bytes()[:-9])


def missing_vectors(folder: Path) -> None:
    (folder / "dense_vectors.f16").unlink()


def truncated_vectors(folder: Path) -> None:
    path = folder / "dense_vectors.f16"
    path.write_bytes(path.read_bytes()[: int(10.5 * 768)])


def missing_meta(folder: Path) -> None:
    (folder / "dense_meta.json").unlink()


def unreadable_meta(folder: Path) -> None:
    (folder / "dense_meta.json").write_bytes(b'{"space": "onnx:\xff')


def truncated_docs(folder: Path) -> None:
    path = folder / "docs.jsonl"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def truncated_counts(folder: Path) -> None:
    path = folder / "bm25_counts.npz"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def unreadable_vocab(folder: Path) -> None:
    (folder / "bm25_vocab.json").write_bytes(b'["model", "learn\xff')


def folder_is_file(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("not an index\n")


def older_format(folder: Path) -> None:
    path = folder / "state.json"
    state = json.loads(path.read_text())
    path.write_text(json.dumps({**state, "format": 1}))


# damage, file named in the report, part broken, papers re-embedded by the repair
DENSE = [
    (bad_id_line, "dense_keys.tsv", 1),
    (torn_last_line, "dense_keys.tsv", 1),
    (missing_vectors, "dense_vectors.f16", N_PAPERS),
    (truncated_vectors, "dense_vectors.f16", N_PAPERS - 10),
    (missing_meta, "dense_meta.json", N_PAPERS),
    (unreadable_meta, "dense_meta.json", N_PAPERS),
]
KEYWORD = [
    (truncated_docs, "docs.jsonl", 0),
    (truncated_counts, "bm25_counts.npz", 0),
    (unreadable_vocab, "bm25_vocab.json", 0),
    (folder_is_file, "index", N_PAPERS),
    (older_format, "state.json", 0),
]
Damage = Callable[[Path], None]


def _check_reports(db: Path, file: str) -> None:
    health = check(_index(db), deep=True)
    assert not health.ok and file in health.summary(), health.summary()
    code, out, err = run(db, "index", "--check")
    assert code == 1 and file in err and "Traceback" not in out + err, err
    code, out, _ = run(db, "index", "--check", "--json")
    data = json.loads(out)
    assert code == 1 and not data["healthy"] and any(p["file"] == file for p in data["problems"])


def _repair_and_compare(db: Path, pristine: Path, model: OnnxMiniLM, embedded: int) -> None:
    code, out, err = run(db, "index", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["repaired"], report
    assert report["embedded"] + report["from_store"] == embedded, report  # lost rows come back from the store
    code, out, _ = run(db, "index", "--check")
    assert code == 0 and "healthy" in out
    assert_same_as_clean(db, pristine, model)
    again = json.loads(run(db, "index", "--json")[1])
    assert again["embedded"] == again["tokenised"] == 0 and not again["repaired"]


@pytest.mark.parametrize(("damage", "file", "embedded"), DENSE, ids=[d[0].__name__ for d in DENSE])
def test_dense_damage_is_reported_degrades_honestly_and_is_repaired(
        copy: Path, pristine: Path, model: OnnxMiniLM, monkeypatch, damage: Damage, file: str,
        embedded: int) -> None:
    damage(_index(copy))
    _check_reports(copy, file)

    store = open_store(str(copy))
    index = SearchIndex.open(store, _index(copy), embedder=model)  # no catch-up: as found
    assert index.mode_for("hybrid") == index.mode_for("dense") == "bm25"
    assert file in index.degraded and "keyword-only" in index.degraded
    results = index.search("language model reasoning", k=5, mode="hybrid")
    assert results and all(r.cosine is None for r in results)
    data = json.loads(results_json("q", index.mode_for("hybrid"), results, requested="hybrid",
                                   degraded=index.degraded))
    assert data["mode"] == "bm25" and data["requested_mode"] == "hybrid" and file in data["degraded"]
    store.close()

    monkeypatch.setattr(cmd_search, "AUTO_CATCH_UP", -1)  # the CLI as a large store would see it
    code, out, err = run(copy, "search", "--json", "language model reasoning")
    assert code == 0 and "Traceback" not in err
    data = json.loads(out)
    assert data["mode"] == "bm25" and data["requested_mode"] == "hybrid" and data["degraded"]
    assert all(r["cosine"] is None for r in data["results"])
    assert "keyword-only results" in err and "paperradar index" in err and file in err
    code, out, err = run(copy, "search", "--mode", "bm25", "--json", "language model reasoning")
    assert code == 0 and json.loads(out)["degraded"] is None and not err  # asked for keywords: no warning
    monkeypatch.undo()

    _repair_and_compare(copy, pristine, model, embedded)


@pytest.mark.parametrize(("damage", "file", "embedded"), KEYWORD, ids=[d[0].__name__ for d in KEYWORD])
def test_keyword_damage_is_reported_fails_plainly_and_is_repaired(
        copy: Path, pristine: Path, model: OnnxMiniLM, monkeypatch, damage: Damage, file: str,
        embedded: int) -> None:
    damage(_index(copy))
    _check_reports(copy, file)

    store = open_store(str(copy))
    with pytest.raises(SearchIndexError, match="paperradar index") as caught:
        SearchIndex.open(store, _index(copy), embedder=model)
    assert isinstance(caught.value, IndexDamaged) and file in str(caught.value)
    store.close()

    monkeypatch.setattr(cmd_search, "AUTO_CATCH_UP", -1)
    code, out, err = run(copy, "search", "--json", "language model reasoning")
    assert code == 1 and file in err and "damaged" in err and "Traceback" not in out + err
    monkeypatch.undo()

    _repair_and_compare(copy, pristine, model, embedded)
    if damage is folder_is_file:  # the file was moved aside, never deleted
        assert (_index(copy).with_name("index.not-a-folder")).read_text() == "not an index\n"


def test_torn_last_line_then_more_papers_puts_every_vector_on_its_paper(
        copy: Path, records: list[Record], model: OnnxMiniLM, tmp_path: Path) -> None:
    """Issue 7 as it happened: the next ``index`` appended onto the torn line."""
    torn_last_line(_index(copy))
    store = open_store(str(copy))
    ingest_records(store, records[N_PAPERS:N_PAPERS + 8], "more")
    store.close()
    code, out, err = run(copy, "index", "--json")
    assert code == 0, err
    report = json.loads(out)  # the new papers embedded; the one whose key was torn comes from the store
    assert (report["embedded"], report["from_store"]) == (8, 1)
    fresh = tmp_path / "fresh" / "s.db"
    fresh.parent.mkdir()
    store = open_store(str(fresh))
    ingest_records(store, records[:N_PAPERS + 8], DAY)
    catch_up(store, _index(fresh), model)
    store.close()
    assert_same_as_clean(copy, fresh, model)


def test_search_repairs_small_damage_itself_and_says_so(copy: Path, pristine: Path,
                                                          model: OnnxMiniLM) -> None:
    torn_last_line(_index(copy))
    result = CliRunner().invoke(cli, ["--db", str(copy), "search", "--json", "language model reasoning"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "hybrid" and data["degraded"] is None
    assert all(r["cosine"] is not None for r in data["results"])
    assert "caught up" in result.stderr
    assert_same_as_clean(copy, pristine, model)


def test_rebuild_starts_over(copy: Path, pristine: Path, model: OnnxMiniLM) -> None:
    code, out, _ = run(copy, "index", "--rebuild", "--json")
    report = json.loads(out)
    assert code == 0 and report["tokenised"] == report["embedded"] == N_PAPERS
    assert_same_as_clean(copy, pristine, model)
    code, _, err = run(copy, "index", "--rebuild", "--check")
    assert code == 2 and "exclude" in err


def test_open_catches_up_gaps_below_the_threshold(copy: Path, records: list[Record],
                                                  model: OnnxMiniLM) -> None:
    store = open_store(str(copy))
    ingest_records(store, records[N_PAPERS:N_PAPERS + 3], "more")
    behind = SearchIndex.open(store, _index(copy), embedder=model, catch_up_below=3)
    assert behind.caught_up is None and "ingested" in behind.note and len(behind.docs) == N_PAPERS
    assert behind.mode_for("hybrid") == "hybrid"  # stale is not damaged: the old papers keep their vectors
    current = SearchIndex.open(store, _index(copy), embedder=model, catch_up_below=4)
    assert current.caught_up is not None and current.caught_up.embedded == 3
    assert current.note is None and len(current.docs) == N_PAPERS + 3
    store.close()


def test_missing_index_is_reported_plainly(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    code, _, err = run(db, "index", "--check")
    assert code == 1 and "state.json is missing" in err
    store = open_store(str(db))
    with pytest.raises(SearchIndexError, match="no search index"):
        SearchIndex.open(store, _index(db))
    store.close()


def test_keys_survive_hostile_ids_and_a_lost_line_never_shifts_vectors(tmp_path: Path) -> None:
    vs = VectorStore(tmp_path)
    vs.reset("space", 4)
    eye = np.eye(4, dtype=np.float32)
    keys = [("2607.12345\n", "h0"), ("a\tb", "h1"), ("2607.00002", "h2"), ("x%41", "h3")]
    vs.append(keys, eye)
    got, vectors = vs.load()
    assert got == keys and np.array_equal(np.asarray(vectors, np.float32), eye)
    lines = _lines(vs.keys_path)
    del lines[1]  # a lost line: the rows after it keep their own vectors
    vs.keys_path.write_bytes(b"\n".join(lines))
    scan = vs.scan(verify_vectors=True)
    assert scan.ok and sorted(scan.rows) == [0, 2, 3]
    got, vectors = vs.load()
    assert got == [keys[0], keys[2], keys[3]]
    assert np.array_equal(np.asarray(vectors, np.float32), eye[[0, 2, 3]])
    with open(vs.vec_path, "r+b") as fh:  # one flipped byte in row 2's vector
        fh.seek(2 * 4 * 2)
        fh.write(b"\x7f")
    scan = vs.scan(verify_vectors=True)
    assert [m for _, m in scan.problems] == ["row 2 (2607.00002) does not match its checksum"]
    assert vs.repair(scan) == 1
    assert vs.load()[0] == [keys[0], keys[3]] and vs.scan(verify_vectors=True).ok


def test_parsing_the_paper_rows_pauses_the_collector_and_restores_it() -> None:
    import gc

    from paperradar.index.state import parse_docs

    row = '{"id": "2601.00001", "h": "ab", "d": "2026-01-01", "c": ["cs.LG"], "a": ["A. B"]}'
    assert gc.isenabled()
    docs = parse_docs(row + "\n\n" + row.replace("00001", "00002") + "\n")
    assert [d.arxiv_id for d in docs] == ["2601.00001", "2601.00002"] and docs[0].categories == ["cs.LG"]
    assert gc.isenabled()
    with pytest.raises(ValueError):  # a damaged row: the error surfaces, the collector is back on
        parse_docs(row + "\n{not json\n")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_docs(row)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
