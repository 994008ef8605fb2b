"""Passage vectors (``paperradar index --passages``): grouping, storage, catch-up, scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.embed import OnnxMiniLM
from paperradar.enrich.sentences import split_sentences
from paperradar.index.dense import VectorStore
from paperradar.index.passages import (
    FOLDER,
    PER_PAPER,
    PassageIndex,
    catch_up_passages,
    embed_passages,
    passage_space,
    split_passages,
)
from paperradar.index.search import SearchIndex
from paperradar.index.state import catch_up, index_dir, read_state
from paperradar.ingest import ingest_records
from paperradar.models import Record
from paperradar.sources import parse_path
from paperradar.store import open_store


class CountingEmbedder:
    """Deterministic 16-d vectors from the words; counts calls and texts, can fail on a call."""

    space, dim = "count-16", 16

    def __init__(self, fail_on: int = 0) -> None:
        self.calls, self.texts, self.fail_on = 0, 0, fail_on

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on:
            raise KeyboardInterrupt  # an interruption mid-run
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, sum(map(ord, word)) % self.dim] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1.0)
        return out


def _records(days_dir: Path, day: str, n: int) -> list[Record]:
    return [r for r in parse_path(days_dir / f"{day}.jsonl.gz") if isinstance(r, Record)][:n]


def test_long_abstracts_are_grouped_into_even_runs_of_consecutive_sentences() -> None:
    abstract = " ".join(f"Sentence number {i} says something." for i in range(13))
    passages = split_passages(abstract)
    assert len(passages) == PER_PAPER == 8
    assert [len(split_sentences(p)) for p in passages] == [2, 2, 2, 2, 2, 1, 1, 1]
    assert " ".join(passages) == " ".join(split_sentences(abstract))  # every sentence, in order
    short = "We propose a method. It works. We release code."
    assert split_passages(short) == split_sentences(short)
    assert split_passages("", "A title only") == ["A title only"]
    assert split_passages("  ") == ["."]


def test_rows_repeat_their_last_passage_so_the_maximum_is_unchanged() -> None:
    model = CountingEmbedder()
    rows = embed_passages(model, ["One sentence here. And a second one.", "Only one."], ["T1", "T2"])
    assert rows.shape == (2, PER_PAPER * model.dim)
    first = rows[0].reshape(PER_PAPER, model.dim)
    assert np.allclose(first[1:], first[1]) and not np.allclose(first[0], first[1])
    assert model.calls == 1 and model.texts == 3  # one call for every passage of the batch


def test_similarity_is_the_mean_of_whole_text_and_best_passage() -> None:
    dim = 4
    passages = np.zeros((2, PER_PAPER * dim), np.float16)
    passages[0, :dim] = [1, 0, 0, 0]  # paper 0 has one passage on the query's axis
    passages[0, dim:] = np.tile([0, 1, 0, 0], PER_PAPER - 1)
    passages[1] = np.tile([0, 0, 1, 0], PER_PAPER)
    index = PassageIndex(passages, np.array([0, 1, -1]), dim)  # paper 2 has no passages yet
    query = np.array([1, 0, 0, 0], np.float32)
    cosine = np.array([0.5, 0.5, 0.5], np.float32)
    sim = index.similarity(query, np.array([0, 1, 2]), cosine)
    assert sim.tolist() == pytest.approx([0.75, 0.25, 0.5])
    assert len(index) == 2


def test_passage_catch_up_resumes_after_an_interruption_and_repairs_damage(tmp_path: Path) -> None:
    wanted = [(f"2601.{i:05d}", f"h{i}") for i in range(12)]
    texts = {k: (f"Title {k}", f"Paper {k} studies graphs. It proves a bound.") for k, _ in wanted}

    def texts_of(ids: list[str]) -> dict[str, tuple[str, str]]:
        return {i: texts[i] for i in ids}

    with pytest.raises(KeyboardInterrupt):
        catch_up_passages(tmp_path, wanted, CountingEmbedder(fail_on=2), texts_of, chunk=4)
    model = CountingEmbedder()
    done, repaired = catch_up_passages(tmp_path, wanted, model, texts_of, chunk=4)
    assert done == 8 and not repaired  # the first chunk survived the interruption
    store = VectorStore(tmp_path / FOLDER)
    keys, matrix = store.load()
    assert sorted(keys) == sorted(wanted) and len(keys) == 12  # nothing lost, nothing twice
    assert store.meta()["space"] == passage_space(model.space)
    again, _ = catch_up_passages(tmp_path, wanted, model, texts_of, chunk=4)
    assert again == 0
    raw = bytearray((tmp_path / FOLDER / "dense_vectors.f16").read_bytes())
    raw[5] ^= 0xFF  # damage the first paper's row
    (tmp_path / FOLDER / "dense_vectors.f16").write_bytes(bytes(raw))
    fixed, repaired = catch_up_passages(tmp_path, wanted, model, texts_of, chunk=4)
    assert fixed == 1 and repaired and "passages repaired" in repaired[0]
    assert sorted(VectorStore(tmp_path / FOLDER).load()[0]) == sorted(wanted)
    other = CountingEmbedder()
    other.space = "count-16-other"  # another model: passages follow its space
    assert catch_up_passages(tmp_path, wanted, other, texts_of)[0] == 12
    (tmp_path / FOLDER / "dense_meta.json").unlink()  # rows of an unknown space: all embedded again
    done, repaired = catch_up_passages(tmp_path, wanted, other, texts_of)
    assert done == 12 and repaired == ["passages/dense_meta.json is missing: every paper's passages "
                                       "embedded again"]


def test_index_with_passages_finds_a_paper_by_one_of_its_sentences(tmp_path: Path, days_dir: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    ingest_records(store, _records(days_dir, "2026-06-25", 30), "day1")
    folder = index_dir(store.location)
    model = OnnxMiniLM(threads=1)
    report = catch_up(store, folder, model, passages=True)
    n = store.count_papers()
    assert report.passages and report.passages_embedded == report.embedded == n > 20
    assert read_state(folder)["passages"] is True
    index = SearchIndex.open(store, folder, embedder=model)
    assert index.ranker.passages is not None and len(index.ranker.passages) == n
    # a paper's own late sentence: its best passage is that sentence, cosine ~1
    target = max(store.get_papers([d.arxiv_id for d in index.docs]).values(),
                 key=lambda p: len(split_sentences(p.abstract)))
    sentence = split_sentences(target.abstract)[-2]
    row = [d.arxiv_id for d in index.docs].index(target.arxiv_id)
    query = model.embed([sentence])[0]
    has, best = index.ranker.passages.best(query, np.array([row]))
    assert has[0] and best[0] > 0.99
    hits = index.search(sentence, k=5, mode="dense")
    assert hits[0].arxiv_id == target.arxiv_id
    assert hits[0].score == pytest.approx((hits[0].cosine + best[0]) / 2, abs=1e-3)
    assert hits[0].score > hits[0].cosine  # the passage lifts it above its whole-text cosine
    # every process maps the int8 passages derived once (index/shared/), with the same results
    mapped = SearchIndex.open(store, folder, embedder=model)
    assert mapped.ranker.passages is not None and isinstance(mapped.ranker.passages.codes, np.memmap)
    private = SearchIndex.open(store, folder, embedder=model, share=False)
    assert private.ranker.passages is not None and not isinstance(private.ranker.passages.codes, np.memmap)
    expected = [(h.arxiv_id, round(h.score, 5)) for h in hits]
    for found in (mapped, private):
        found_hits = found.search(sentence, k=5, mode="dense")
        assert [(h.arxiv_id, round(h.score, 5)) for h in found_hits] == expected

    ingest_records(store, _records(days_dir, "2026-06-26", 8), "day2")
    later = catch_up(store, folder, model)  # passages=None: kept, and only the new papers embedded
    assert later.passages and later.passages_embedded == later.embedded == store.count_papers() - n > 0
    dropped = catch_up(store, folder, model, passages=False)
    assert not dropped.passages and not (folder / FOLDER).exists()
    assert SearchIndex.open(store, folder, embedder=model).ranker.passages is None
    store.close()


def _six_papers(tmp_path: Path, days_dir: Path) -> Path:
    """A SQLite store of six real papers, no index yet."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    ingest_records(store, _records(days_dir, "2026-06-25", 6), "day1")
    store.close()
    return db


def test_cli_index_passages_flag(tmp_path: Path, days_dir: Path) -> None:
    db = _six_papers(tmp_path, days_dir)
    runner = CliRunner()
    bad = runner.invoke(cli, ["-q", "--db", str(db), "index", "--passages", "--no-dense"])
    assert bad.exit_code == 2 and "--passages needs the dense index" in bad.output
    result = runner.invoke(cli, ["-q", "--db", str(db), "index", "--passages", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["passages"] is True and out["passages_embedded"] == out["papers"] > 3
    result = runner.invoke(cli, ["-q", "--db", str(db), "index"])
    assert result.exit_code == 0 and "passages of" not in result.output  # nothing new to embed
    hits = runner.invoke(cli, ["-q", "--db", str(db), "search", "--mode", "dense", "--json", "model"])
    assert hits.exit_code == 0, hits.output


def test_index_check_reports_damaged_passages_and_index_mends_them(tmp_path: Path, days_dir: Path) -> None:
    db = _six_papers(tmp_path, days_dir)
    runner = CliRunner()

    def index(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, ["-q", "--db", str(db), "index", *args])
        return result.exit_code, result.output

    assert index("--passages")[0] == 0
    assert index("--check")[0] == 0
    folder = index_dir(str(db))
    vectors = folder / FOLDER / "dense_vectors.f16"
    raw = bytearray(vectors.read_bytes())
    raw[-3] ^= 0xFF  # the last paper's passages
    vectors.write_bytes(bytes(raw))
    code, out = index("--check", "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert problems and all(p["part"] == "passages" for p in problems), problems
    reader = open_store(str(db), read_only=True)
    assert SearchIndex.open(reader, folder).mode_for("hybrid") == "hybrid"  # search is not stopped
    reader.close()
    code, out = index("--json")  # no flag: passages kept, the damaged row embedded again
    report = json.loads(out)
    assert code == 0 and report["passages_embedded"] == 1 and report["embedded"] == 0
    assert any("passages repaired" in line for line in report["repaired"])
    assert index("--check")[0] == 0
    (folder / "state.json").unlink()  # a lost state: the index is rebuilt, the passages are kept
    code, out = index("--json")
    assert code == 0 and json.loads(out)["passages"] is True and json.loads(out)["passages_embedded"] == 0


def test_int8_passages_score_as_the_float16_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(50, PER_PAPER, 32)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=2, keepdims=True)
    matrix = rows.reshape(50, -1).astype(np.float16)
    small = PassageIndex(matrix, np.arange(50), 32)
    import paperradar.index.passages as passages

    monkeypatch.setattr(passages, "INT8_ROWS", 10)  # above it: the float16 rows themselves
    large = PassageIndex(matrix, np.arange(50), 32)
    assert small.codes is not None and large.codes is None
    query = rows[7, 3] + 0.1 * rng.normal(size=32).astype(np.float32)
    query /= np.linalg.norm(query)
    papers = np.arange(50)
    _, exact = large.best(query, papers)
    _, approx = small.best(query, papers)
    assert np.abs(exact - approx).max() < 0.01 and int(np.argmax(approx)) == 7
