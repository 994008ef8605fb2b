"""The ranker's unweighted parts recombine to its score (what bench/recommend_bench.py sweeps), and the
classifier signal computed without stacking the features equals sklearn's decision_function."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from paperradar.radar.rank import Corpus, Params, Ranker, Wants, weigh


def _corpus(rng: np.random.Generator, n: int, prefix: str, shift: float = 0.0) -> Corpus:
    dense = rng.normal(size=(n, 16)).astype(np.float32) + shift
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    sparse = sp.random(n, 50, density=0.1, random_state=int(rng.integers(1 << 30)), format="csr",
                       dtype=np.float32)
    authors = [(f"Ada {prefix}{i % 5}", "Bo Common") for i in range(n)]
    return Corpus([f"{prefix}{i}" for i in range(n)], dense, sparse, [""] * n, [f"t{i}" for i in range(n)],
                  authors, [("cs.LG",)] * n, ["2026-06-01"] * n)


def test_parts_recombine_to_the_score_and_decision_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    lib, bg, cands = _corpus(rng, 6, "L", 0.5), _corpus(rng, 200, "B"), _corpus(rng, 80, "C", 0.2)
    p = Params(quantile=0.0)
    r = Ranker(lib, bg, Wants(categories=("cs.LG",)), p)
    assert r.clf is not None
    stacked = sp.hstack([cands.sparse, sp.csr_matrix(cands.dense * p.dense_scale)], format="csr")
    assert np.allclose(r._decision(cands), r.clf.decision_function(stacked), atol=1e-5)
    _, parts, keep, _ = r.parts(cands)
    assert keep.all() and set(parts) >= {"dense", "clf", "lib_author", "category"}
    total = weigh(parts, p, len(cands))
    scored = r.score(cands)
    assert [s.row for s in scored] == [int(i) for i in np.argsort(-total, kind="stable")
                                       if total[i] > r.threshold]
    assert np.allclose([s.score for s in scored], [round(float(total[s.row]), 4) for s in scored])


def test_the_cut_counts_the_backgrounds_library_author_bonus() -> None:
    """A library of one person's papers: background papers by that person's co-author carry the
    library-author bonus, so the cut must sit above them, or every such paper clears it."""
    rng = np.random.default_rng(1)
    lib, cands = _corpus(rng, 6, "L", 0.5), _corpus(rng, 300, "C")
    bg = _corpus(rng, 400, "B")
    # a tenth of the background (and of the candidates) shares the library's co-author
    co = [("Cy Coauthor", "Dee Other") if i % 10 == 0 else a for i, a in enumerate(bg.authors)]
    lib_authors = [("Ada Lib", "Cy Coauthor")] * len(lib)
    lib = Corpus(lib.ids, lib.dense, lib.sparse, lib.texts, lib.titles, lib_authors, lib.categories,
                 lib.dates)
    bg = Corpus(bg.ids, bg.dense, bg.sparse, bg.texts, bg.titles, co, bg.categories, bg.dates)
    cand_authors = [("Cy Coauthor", "Eve Else") if i % 10 == 0 else a for i, a in enumerate(cands.authors)]
    cands = Corpus(cands.ids, cands.dense, cands.sparse, cands.texts, cands.titles, cand_authors,
                   cands.categories, cands.dates)
    shown = {}
    for calibrate in (False, True):
        r = Ranker(lib, bg, Wants(), Params(calibrate_authors=calibrate))
        shown[calibrate] = len(r.score(cands))
    # unaware of the bonus, the cut lets most of the 30 co-author papers through (25 here)
    assert shown[False] >= 20
    assert shown[True] <= 12 and shown[True] < shown[False] / 2  # 7 here
