"""Our BM25 scorer against bm25s, the reference implementation, on all of SciFact.

We keep our own scorer (incremental count matrix, see docs/search.md) and prove it
computes the same function: bm25s configured to the same variant (Lucene IDF with
the classic ``(k1 + 1)`` tf part: ``method="atire", idf_method="lucene"``), the same
k1 and b, fed exactly our tokens. Every query of SciFact (1,109) against its whole
corpus (5,183 abstracts); tokenising takes about 3 s.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import bm25s
import numpy as np
import pytest

from paperradar.index.bm25 import BM25, K1, B, Vocabulary, count_matrix
from paperradar.index.text import query_terms, terms

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact" / "beir_format"


@pytest.fixture(scope="module")
def scifact() -> tuple[list[str], list[str]]:
    if not SCIFACT.is_dir():
        pytest.fail(f"SciFact not found at {SCIFACT}")
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        docs = [" ".join(f"{d['title']} {d['text']}".split()) for d in map(json.loads, fh)]
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as fh:
        queries = [json.loads(line)["text"] for line in fh]
    return docs, queries


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scores_equal_bm25s_on_scifact(scifact, dtype) -> None:
    docs, queries = scifact
    vocab = Vocabulary()
    ours = BM25(count_matrix(docs, vocab), vocab, dtype=dtype)
    reference = bm25s.BM25(method="atire", idf_method="lucene", k1=K1, b=B,
                           dtype="float64" if dtype is np.float64 else "float32")
    reference.index([terms(d) for d in docs], show_progress=False)
    assert set(reference.vocab_dict) - {""} == set(vocab.words)  # bm25s adds an empty token
    assert len(docs) == 5183 and len(queries) == 1109
    worst = 0.0
    for query in queries:
        qterms = query_terms(query)
        mine = ours.scores(qterms).astype(np.float64)
        theirs = np.asarray(reference.get_scores([t for t in qterms if t in reference.vocab_dict]),
                            dtype=np.float64)
        if dtype is np.float64:  # the same function: equal to 1e-6 absolute
            assert np.allclose(mine, theirs, rtol=0, atol=1e-6), query
        else:  # as indexed (float32): only rounding apart, 1e-6 relative to the score
            assert np.allclose(mine, theirs, rtol=1e-6, atol=1e-6), query
        worst = max(worst, float(np.abs(mine - theirs).max()))
        top_mine, top_theirs = np.argsort(-mine, kind="stable")[:10], np.argsort(-theirs, kind="stable")[:10]
        assert np.allclose(mine[top_mine], theirs[top_theirs], rtol=1e-6, atol=1e-6), query
    assert worst < (1e-9 if dtype is np.float64 else 1e-4)
