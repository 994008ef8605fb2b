"""Search end to end on real arXiv days: indexing, catch-up, relevance floor, CLI."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.embed import OnnxMiniLM
from paperradar.index.search import SearchIndex
from paperradar.index.state import catch_up, index_dir, read_keyword, staleness
from paperradar.ingest import ingest_records
from paperradar.models import Record
from paperradar.sources import parse_path
from paperradar.store import open_store

FLOOR_DAYS = ["2026-04-28", "2026-05-08", "2026-05-12", "2026-05-13", "2026-06-02", "2026-06-05",
              "2026-06-10"]
HOSTILE = ["", " ", "x" * 10_000, '"diffusion model"', "(sampler OR solver) AND NOT gan", "diffus*",
           "-gan", "title:diffusion", "NEAR", "深度学习", "трансформер", "\x00\x01\x1b[2J", "AND OR NOT",
           "image ' \" ` ; -- DROP TABLE papers"]


def quantum_entanglement(text: str) -> bool:
    low = text.lower()
    return "quantum" in low and "entangl" in low.replace("disentangl", "")


def _records(days_dir: Path, day: str) -> list[Record]:
    return [r for r in parse_path(days_dir / f"{day}.jsonl.gz") if isinstance(r, Record)]


def run(db: Path | str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-q", "--db", str(db), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def floor_db(tmp_path_factory, days_dir) -> Path:
    """Several real days, cut to every paper about (dis)entanglement or quantum
    anything plus 80 ordinary ones, so quantum-entanglement papers are present."""
    db = tmp_path_factory.mktemp("floor") / "store.db"
    store = open_store(str(db))
    ordinary = 0
    for day in FLOOR_DAYS:
        keep = []
        for rec in _records(days_dir, day):
            text = f"{rec.paper.title} {rec.paper.abstract}".lower()
            if "entangl" in text or "quantum" in text:
                keep.append(rec)
            elif ordinary < 80 and rec.paper.arxiv_id.endswith(("1", "7")):
                keep.append(rec)
                ordinary += 1
        ingest_records(store, keep, day)
    store.close()
    code, out = run(db, "index", "--json")
    assert code == 0, out
    return db


def _search(db: Path, query: str, *options: str) -> dict:
    code, out = run(db, "search", *options, "--json", "--", query)
    assert code == 0, out
    return json.loads(out)


def test_disentanglement_is_not_quantum_entanglement_and_is_cut_not_padded(floor_db: Path) -> None:
    store = open_store(str(floor_db))
    papers = {p.arxiv_id: p for p in store.iter_papers()}
    store.close()
    quantum = {i for i, p in papers.items() if quantum_entanglement(f"{p.title} {p.abstract}")}
    disent = {i for i, p in papers.items() if "disentangl" in f"{p.title} {p.abstract}".lower()}
    assert len(quantum) >= 5 and len(disent) >= 20  # the trap is really there
    for mode in ("hybrid", "bm25", "dense"):
        out = _search(floor_db, "disentanglement", "--k", "100", "--mode", mode)
        ids = [r["arxiv_id"] for r in out["results"]]
        assert ids, mode
        assert not set(ids) & (quantum - disent), mode
        assert set(ids) == disent, mode  # every paper with the word, and nothing else
        assert len(ids) < 100  # cut at the floor, not padded to k


def test_result_fields_and_snippet_show_matched_terms(floor_db: Path) -> None:
    out = _search(floor_db, "Disentangled representation learning", "--k", "5")
    assert out["mode"] == "hybrid" and 0 < out["count"] <= 5
    first = out["results"][0]
    assert set(first) >= {"rank", "arxiv_id", "date", "title", "categories", "score", "snippet", "matched"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["date"])
    assert any(re.match(r"(?i)disentangl|represent|learn", w) for w in first["matched"])
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)
    code, text = run(floor_db, "search", "quantum entanglement", "--k", "3")
    assert code == 0 and "1. " in text and "score" in text


def test_filters_restrict_results(floor_db: Path) -> None:
    out = _search(floor_db, "quantum", "--k", "50", "--category", "quant-ph")
    assert out["results"] and all("quant-ph" in r["categories"] for r in out["results"])
    out = _search(floor_db, "quantum", "--k", "50", "--since", "2026-06-01", "--until", "2026-06-05")
    assert out["results"] and all("2026-06-01" <= r["date"] <= "2026-06-05" for r in out["results"])
    store = open_store(str(floor_db))
    paper = next(p for p in store.iter_papers() if "quantum" in p.title.lower())
    store.close()
    surname = paper.authors[0].split()[-1]
    out = _search(floor_db, "quantum", "--k", "50", "--author", surname.upper())
    assert paper.arxiv_id in {r["arxiv_id"] for r in out["results"]}
    code, out_text = run(floor_db, "search", "quantum", "--since", "June 1")
    assert code == 2 and "YYYY-MM-DD" in out_text


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_crash(floor_db: Path, query: str) -> None:
    out = _search(floor_db, query, "--k", "10")
    assert out["count"] == len(out["results"]) <= 10
    if query in ("", " ", "\x00\x01\x1b[2J", "AND OR NOT"):
        assert out["results"] == []


def test_operator_characters_are_read_as_words(floor_db: Path) -> None:
    plain = _search(floor_db, "quantum entanglement", "--k", "10", "--mode", "bm25")
    noisy = _search(floor_db, '"quantum" AND (entanglement*)', "--k", "10", "--mode", "bm25")
    assert [r["arxiv_id"] for r in plain["results"]] == [r["arxiv_id"] for r in noisy["results"]]


@pytest.mark.both_backends
def test_incremental_catch_up_update_model_change_and_resume(new_location, days_dir: Path) -> None:
    store = open_store(new_location("s.db"))
    folder = index_dir(store.location)
    model = OnnxMiniLM(threads=1)
    small = _records(days_dir, "2026-06-25")
    extra = [r for r in _records(days_dir, "2026-06-26") if r.paper.arxiv_id.endswith("3")][:12]
    ingest_records(store, small, "day1")
    first = catch_up(store, folder, model)
    n1 = store.count_papers()
    assert first.tokenised == first.embedded == n1 > 10
    assert staleness(store, folder) is None

    ingest_records(store, extra, "day2")
    assert "ingested" in (staleness(store, folder) or "")
    second = catch_up(store, folder, model)
    n2 = store.count_papers()
    assert second.tokenised == second.embedded == n2 - n1 > 0
    assert staleness(store, folder) is None

    changed = dataclasses.replace(extra[0].paper, version=9,
                                  abstract="A new abstract about sparse graph sampling.")
    ingest_records(store, [dataclasses.replace(extra[0], paper=changed, raw_key=None)], "update")
    third = catch_up(store, folder, model)
    assert third.tokenised == third.embedded == 1
    hits = SearchIndex.open(store, folder, embedder=model).search("sparse graph sampling", k=3)
    assert hits[0].arxiv_id == changed.arxiv_id

    resumed = OnnxMiniLM(threads=1, max_tokens=128)  # another vector space
    assert resumed.space != model.space

    class Failing:
        """The other model, cut off after its first chunk (an interruption)."""

        def __init__(self) -> None:
            self.space, self.dim, self.calls = resumed.space, resumed.dim, 0

        def embed(self, texts):
            self.calls += 1
            if self.calls > 1:
                raise KeyboardInterrupt
            return resumed.embed(texts)

    with pytest.raises(KeyboardInterrupt):
        catch_up(store, folder, Failing(), chunk=8)  # model change: everything must be re-embedded
    fourth = catch_up(store, folder, resumed, chunk=8)
    assert fourth.embedded == n2 - 8  # the first chunk survived the interruption
    assert staleness(store, folder) is None
    again = catch_up(store, folder, resumed)
    assert again.tokenised == again.embedded == 0
    store.close()


@pytest.mark.both_backends
def test_incremental_counts_equal_a_fresh_build(new_location, days_dir: Path) -> None:
    """Papers arriving out of id order interleave with indexed ones: every row must
    still hold its own paper's terms, exactly as a build from scratch would."""

    late = [r for r in _records(days_dir, "2026-06-26") if r.paper.arxiv_id[-1] in "02468"][:40]
    early = [r for r in _records(days_dir, "2026-06-26") if r.paper.arxiv_id[-1] in "13579"][:40]
    store = open_store(new_location("a.db"))
    ingest_records(store, late, "late")
    catch_up(store, index_dir(store.location), None)
    ingest_records(store, early, "early")
    catch_up(store, index_dir(store.location), None)
    fresh = open_store(new_location("b.db"))
    ingest_records(fresh, late + early, "all")
    catch_up(fresh, index_dir(fresh.location), None)
    (inc_rows, inc, inc_vocab), (full_rows, full, full_vocab) = \
        (read_keyword(index_dir(s.location)) for s in (store, fresh))
    inc_docs = [d.arxiv_id for d in inc_rows]
    assert inc_docs == [d.arxiv_id for d in full_rows]
    for row in range(len(inc_docs)):
        a = {inc_vocab.words[c]: v for c, v in zip(inc[row].indices, inc[row].data, strict=True)}
        b = {full_vocab.words[c]: v for c, v in zip(full[row].indices, full[row].data, strict=True)}
        assert a == b, inc_docs[row]
    store.close()
    fresh.close()


def test_empty_store_and_memory_store_answer_plainly(tmp_path: Path) -> None:
    open_store(str(tmp_path / "empty.db")).close()  # an empty store (a missing one is "no store at")
    code, out = run(tmp_path / "empty.db", "search", "anything", "--mode", "bm25")
    assert code == 0 and "no results" in out
    code, out = run(Path(":memory:"), "search", "anything")
    assert code == 1 and "in-memory store" in out


@pytest.mark.both_backends
def test_search_catches_up_small_gaps_and_reports_missing_index(new_location, days_dir: Path) -> None:
    db = new_location("s.db")
    code, out = run(db, "ingest", str(days_dir / "2026-06-25.jsonl.gz"))
    assert code == 0
    code, out = run(db, "search", "language model", "--mode", "bm25")
    assert code == 0  # no index yet, small store: built on the fly
    code, out = run(db, "index", "--json")
    assert json.loads(out)["tokenised"] == 0
    code, out = run(db, "search", "language models", "--json", "--mode", "bm25")
    assert json.loads(out)["note"] is None
