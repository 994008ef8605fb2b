"""``paperradar eval retrieval`` on a small BEIR folder cut from SciFact."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact" / "beir_format"


@pytest.fixture(scope="module")
def small_beir(tmp_path_factory) -> Path:
    """25 test queries, their relevant abstracts and 100 other abstracts."""
    if not SCIFACT.is_dir():
        pytest.skip(f"SciFact not found at {SCIFACT} (needs ../shared beside the repo; CI has it)")
    out = tmp_path_factory.mktemp("beir")
    with open(SCIFACT / "qrels" / "test.tsv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    queries = list(dict.fromkeys(r[0] for r in rows))[:25]
    rows = [r for r in rows if r[0] in queries]
    relevant = {r[1] for r in rows}
    docs, others = [], 0
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            if doc["_id"] in relevant or others < 100:
                others += doc["_id"] not in relevant
                docs.append(line)
    (out / "corpus.jsonl").write_text("".join(docs), encoding="utf-8")
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as fh:
        (out / "queries.jsonl").write_text(
            "".join(line for line in fh if json.loads(line)["_id"] in queries), encoding="utf-8")
    (out / "qrels").mkdir()
    (out / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return out


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_eval_retrieval_json(small_beir: Path, tmp_path: Path, mode: str) -> None:
    result = CliRunner().invoke(cli, ["-q", "eval", "retrieval", "--beir", str(small_beir), "--mode", mode,
                                      "--cache", str(tmp_path / "cache"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"ndcg@10", "recall@100", "mrr@10", "latency_ms_p50", "latency_ms_p95"} <= set(data)
    assert data["queries"] == 25
    # 25 claims against ~130 abstracts: easy, but not perfect
    assert 0.5 < data["ndcg@10"] <= 1.0
    assert 0.8 < data["recall@100"] <= 1.0
    assert 0.4 < data["mrr@10"] <= 1.0
    assert 0 < data["latency_ms_p50"] <= data["latency_ms_p95"] < 1000


def test_eval_retrieval_human_output_and_bad_folder(small_beir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["-q", "eval", "retrieval", "--beir", str(small_beir), "--mode", "bm25"])
    assert result.exit_code == 0 and "nDCG@10" in result.output and "p95" in result.output
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"_id": "1", "title": "t", "text": "x"}\nnot json\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q", "text": "x"}\n')
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq\t1\t1\n")
    result = runner.invoke(cli, ["-q", "eval", "retrieval", "--beir", str(tmp_path), "--mode", "bm25"])
    assert result.exit_code == 1 and "corpus.jsonl:2" in result.output
    assert "Traceback" not in result.output


def test_eval_retrieval_with_passages_scores_documents_by_their_best_sentence(small_beir: Path,
                                                                              tmp_path: Path) -> None:
    def dense(*extra: str) -> dict:
        args = ["-q", "eval", "retrieval", "--beir", str(small_beir), "--mode", "dense",
                "--cache", str(tmp_path / "cache"), "--json", *extra]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    plain, with_passages = dense(), dense("--passages")
    assert plain["passages"] is False and with_passages["passages"] is True
    assert with_passages["queries"] == plain["queries"] == 25
    # the passages cache sits beside the document vectors, in its own space
    assert len([p for p in (tmp_path / "cache").iterdir() if p.is_dir()]) == 2
    assert with_passages["ndcg@10"] != plain["ndcg@10"]  # the passages took part in the ranking
    assert with_passages["ndcg@10"] >= plain["ndcg@10"] - 0.02
