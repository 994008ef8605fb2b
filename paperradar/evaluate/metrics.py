"""Ranking metrics with trec_eval / pytrec_eval definitions.

- nDCG@k: gain = graded relevance, discount 1/log2(rank+1), ideal DCG from
  all judged-relevant documents of the query (trec_eval ``ndcg_cut``).
- Recall@k: relevant documents in the top k / all relevant (``recall_k``).
- MRR@k: 1/rank of the first relevant document within the top k, else 0
  (BEIR's ``MRR@k``; trec_eval ``recip_rank`` restricted to the cut-off).

Queries without any relevant judgement are skipped, as trec_eval does; the
reported value is the mean over the remaining queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Sequence[str]]


def ndcg_at(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    dcg = sum(rels.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal_gains = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal_gains))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    relevant = {doc for doc, g in rels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    for rank, doc in enumerate(ranked[:k]):
        if rels.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, Recall@100, MRR@10 over judged queries (missing runs count 0)."""
    judged = [q for q, rels in qrels.items() if any(g > 0 for g in rels.values())]
    if not judged:
        return {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for q in judged:
        ranked, rels = list(run.get(q, ())), qrels[q]
        totals["ndcg@10"] += ndcg_at(ranked, rels, 10)
        totals["recall@100"] += recall_at(ranked, rels, 100)
        totals["mrr@10"] += mrr_at(ranked, rels, 10)
    return {name: value / len(judged) for name, value in totals.items()}
