"""Retrieval metrics against hand-computed values (trec_eval definitions)."""

from __future__ import annotations

import pytest

from paperradar.evaluate.metrics import evaluate, mrr_at, ndcg_at, recall_at

RANKED = ["d1", "d2", "d3", "d4"]
RELS = {"d2": 1, "d4": 1, "d9": 1, "d5": 0}


def test_ndcg_binary_hand_computed() -> None:
    # DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
    # IDCG (3 relevant) = 1 + 1/log2(3) + 1/log2(4) = 2.130930
    assert ndcg_at(RANKED, RELS, 10) == pytest.approx(1.061606 / 2.130930, abs=1e-6)
    # cut-off 2: DCG = 0.630930, IDCG@2 = 1.630930
    assert ndcg_at(RANKED, RELS, 2) == pytest.approx(0.630930 / 1.630930, abs=1e-6)


def test_ndcg_graded_uses_linear_gain() -> None:
    # trec_eval: gain = relevance grade. DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3)
    assert ndcg_at(["b", "a"], {"a": 2, "b": 1}, 10) == pytest.approx(2.261860 / 2.630930, abs=1e-6)
    assert ndcg_at(["a", "b"], {"a": 2, "b": 1}, 10) == pytest.approx(1.0)


def test_recall_hand_computed() -> None:
    assert recall_at(RANKED, RELS, 100) == pytest.approx(2 / 3)
    assert recall_at(RANKED, RELS, 2) == pytest.approx(1 / 3)
    assert recall_at(RANKED, RELS, 1) == 0.0


def test_mrr_hand_computed() -> None:
    assert mrr_at(RANKED, RELS, 10) == pytest.approx(0.5)
    assert mrr_at(RANKED, RELS, 1) == 0.0
    assert mrr_at(["d4"], RELS, 10) == 1.0


def test_evaluate_means_over_judged_queries_and_counts_missing_runs_as_zero() -> None:
    qrels = {"q1": RELS, "q2": {"x": 1}, "q3": {"y": 0}}  # q3 has no relevant doc: skipped
    run = {"q1": RANKED}  # q2 missing from the run: scores 0
    result = evaluate(run, qrels)
    assert result["ndcg@10"] == pytest.approx((1.061606 / 2.130930) / 2, abs=1e-6)
    assert result["recall@100"] == pytest.approx((2 / 3) / 2)
    assert result["mrr@10"] == pytest.approx(0.25)
