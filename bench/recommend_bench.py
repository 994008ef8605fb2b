"""Personal ranking benchmark: the author-continuation task (issue 11, "Measured").

    PYTHONPATH=. nice python bench/recommend_bench.py --db /tmp/rank_bench/papers.db [--max-authors N]
        [--cut DATE] [--sweep] [--feedback 3] [--feedback-variant SPEC] [--json OUT]

For every author with at least 3 papers first listed before the cut date and at least 1 after,
the profile is that author's earlier papers (as seed papers), the targets are the later ones and
the candidates every paper first listed on or after the cut. Each method ranks all candidates;
nDCG@10 (binary relevance), Recall@50 and MRR are averaged over authors. Authors are split in
two halves by a seeded hash of their name: weights are tuned on ``tune`` (``--sweep`` tries every
variant in ``VARIANTS`` there) and figures are reported on ``report``.

Methods, side by side:

- ``asl``: arxiv-sanity-lite as it ships: tf-idf of title + abstract + author names (uni+bigrams,
  max_df 0.1, min_df 5, 20,000 features, sublinear tf, English stop words, its token pattern),
  LinearSVC(C=0.01, class_weight="balanced") trained with the seeds as positives against every
  other paper in the store (candidates included, as its ``svm_rank`` does). ``asl-content``: the
  same without author names.
- ``zad``: zotero-arxiv-daily: cosine of the candidate's embedding to each seed, weighted
  1/(1+log10 rank) over the seeds sorted newest first (it uses GIST-small on abstracts; here
  the index's MiniLM vectors of title + abstract, the same vectors ours uses).
- ``bm25``: the index's BM25 with the seed titles (concatenated) as the query.
- ``ours``: :class:`paperradar.radar.rank.Ranker` with the shipped :class:`Params`, the seeds
  as library, a 1,200-paper background sampled from papers before the cut; ``ours-content``:
  the same with ``use_authors=False`` (no author names in any feature).

Ranks use the full ordering (the calibrated cut is reported separately as how many targets clear
it). Feedback (``--feedback R``): R rounds; each shows the top 10 unjudged candidates, thumbs-up
on the targets shown and thumbs-down on the top 3 non-targets shown, refits, reranks. Reported:
targets found in the R x 10 shown, and nDCG@10 on what is left unjudged, against the same
ranker without feedback on the same residual set. ``--feedback-variant SPEC`` (repeatable) runs
the sessions with those ``Params`` overrides instead (e.g. ``down_weight=1,down_authors=none``),
``--feedback-limit N`` on the first N authors of ``--feedback-half`` only.

Cached under ``--cache`` (default /tmp/rank_bench/cache): arxiv-sanity-lite's tf-idf matrices.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperradar import config  # noqa: E402
from paperradar.index.bm25 import BM25  # noqa: E402
from paperradar.index.state import content_hash, document_text  # noqa: E402
from paperradar.index.text import terms  # noqa: E402
from paperradar.radar import features  # noqa: E402
from paperradar.radar.rank import Corpus, Params, Ranker, Wants, recency_weights, weigh  # noqa: E402
from paperradar.store import open_store  # noqa: E402

BACKGROUND = 1200
SHOW = 10
DOWNS_PER_ROUND = 3

# Variants tried on the tune half (name -> Params overrides). Fit-time fields (C, dense_scale,
# topk, topk_share) need a refit; the weights are swept on the fitted parts without one.
FIT_VARIANTS: dict[str, dict] = {
    "fit:shipped": {},
    "fit:C=0.1": {"C": 0.1},
    "fit:C=10": {"C": 10.0},
    "fit:dense_scale=3": {"dense_scale": 3.0},
    "fit:topk=1,share=1": {"topk": 1, "topk_share": 1.0},
    "fit:full_names": {"full_names": True},
}
WEIGHT_GRID: dict[str, list[float]] = {
    "w_clf": [0.0, 0.5, 1.0, 2.0],
    "w_dense": [0.0, 0.5, 1.0, 2.0],
    "w_lib_author": [0.0, 0.6, 1.2, 2.4, 4.8, 9.6],
}


def author_key(name: str) -> str:
    """The full name, accents and punctuation out: the identity of an author in this task."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z\s-]", " ", text).split())


def half_of(name: str, seed: int) -> str:
    return "tune" if int(hashlib.sha1(f"{seed}:{name}".encode()).hexdigest()[:8], 16) % 2 == 0 else "report"


# -- metrics ------------------------------------------------------------------------------------

def target_ranks(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of each target in ``scores`` (descending; ties broken by position)."""
    order = np.argsort(-scores, kind="stable")
    pos = np.empty(len(scores), dtype=np.int64)
    pos[order] = np.arange(1, len(scores) + 1)
    return np.sort(pos[targets])


def metrics(ranks: np.ndarray, n_targets: int) -> dict[str, float]:
    if n_targets == 0:
        return {"ndcg10": 0.0, "recall50": 0.0, "mrr": 0.0}
    dcg = sum(1.0 / math.log2(r + 1) for r in ranks if r <= 10)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_targets, 10)))
    return {"ndcg10": dcg / ideal, "recall50": float((ranks <= 50).sum()) / n_targets,
            "mrr": 1.0 / float(ranks[0]) if len(ranks) else 0.0}


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {"ndcg10": 0.0, "recall50": 0.0, "mrr": 0.0, "n": 0}
    out = {k: round(float(np.mean([r[k] for r in rows])), 4) for k in ("ndcg10", "recall50", "mrr")}
    out["n"] = len(rows)
    return out


# -- data ---------------------------------------------------------------------------------------

@dataclass
class Task:
    name: str
    half: str
    seeds: np.ndarray  # rows of the full corpus
    targets: np.ndarray  # positions within the candidates


@dataclass
class Bench:
    corpus: Corpus  # every paper
    ids: list[str]
    dates: list[str]
    cand_rows: np.ndarray
    pre_rows: np.ndarray
    tasks: list[Task]
    data: features.IndexData
    cut: str
    abstracts: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    cache_dir: Path = Path("/tmp/rank_bench/cache")


def load(db: str, data_dir: str | None, cut: str | None, after_days: int, max_authors: int,
         max_papers: int, seed: int, cache_dir: Path) -> Bench:
    store = open_store(db, read_only=True)
    folder = (Path(data_dir) if data_dir else config.data_dir_for(store.location)) / "index"
    data = features.load_index(folder)
    papers = {p.arxiv_id: p for p in store.iter_papers()}
    first = store.first_listed(list(papers))
    rows, ids, dates, missing_vec = [], [], [], 0
    for i, doc in enumerate(data.docs):
        p = papers.get(doc.arxiv_id)
        if p is None or doc.arxiv_id not in first:
            continue
        if (doc.arxiv_id, content_hash(document_text(p))) not in data.row_of:
            missing_vec += 1
        rows.append(i)
        ids.append(doc.arxiv_id)
        dates.append(first[doc.arxiv_id])
    sel = np.array(rows)
    plist = [papers[i] for i in ids]
    corpus = Corpus(ids, data.vectors[sel], data.tfidf(data.counts[sel]), [document_text(p) for p in plist],
                    [" ".join(p.title.split()) for p in plist], [tuple(p.authors) for p in plist],
                    [tuple(p.categories) for p in plist], dates)
    days = sorted(set(dates))
    if cut is None:
        cut = days[-after_days] if len(days) > after_days else days[len(days) // 2]
    date_arr = np.array(dates)
    cand_rows = np.flatnonzero(date_arr >= cut)
    pre_rows = np.flatnonzero(date_arr < cut)
    cand_pos = {int(r): n for n, r in enumerate(cand_rows)}
    by_author: dict[str, list[int]] = {}
    for r, p in enumerate(plist):
        for k in {author_key(a) for a in p.authors} - {""}:
            by_author.setdefault(k, []).append(r)
    eligible, too_many, one_token = [], 0, 0
    for name, rs in by_author.items():
        pre = [r for r in rs if dates[r] < cut]
        post = [r for r in rs if dates[r] >= cut]
        if len(pre) < 3 or not post:
            continue
        if len(name.split()) < 2:
            one_token += 1
            continue
        if len(rs) > max_papers:  # a common name shared by several people, or a lab's head
            too_many += 1
            continue
        eligible.append((name, pre, post))
    eligible.sort(key=lambda t: hashlib.sha1(f"{seed}:{t[0]}".encode()).hexdigest())
    kept = eligible[:max_authors] if max_authors else eligible
    tasks = [Task(n, half_of(n, seed), np.array(pre), np.array([cand_pos[r] for r in post]))
             for n, pre, post in kept]
    info = {"papers": len(ids), "papers_without_vector": missing_vec, "days": len(days), "cut": cut,
            "days_after": sum(d >= cut for d in days), "candidates": len(cand_rows),
            "eligible_authors": len(eligible) + too_many + one_token, "dropped_one_token_name": one_token,
            f"dropped_over_{max_papers}_papers": too_many, "authors_kept": len(tasks),
            "tune": sum(t.half == "tune" for t in tasks), "report": sum(t.half == "report" for t in tasks),
            "space": data.space, "seeds_mean": round(float(np.mean([len(t.seeds) for t in tasks])), 2),
            "targets_mean": round(float(np.mean([len(t.targets) for t in tasks])), 2)}
    return Bench(corpus, ids, dates, cand_rows, pre_rows, tasks, data, cut,
                 [" ".join(p.abstract.split()) for p in plist], info, cache_dir)


# -- baselines ----------------------------------------------------------------------------------

def asl_matrix(b: Bench, with_authors: bool) -> sp.csr_matrix:
    """arxiv-sanity-lite's compute.py features over every paper (cached)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    key = hashlib.sha1(("\n".join(b.ids) + str(with_authors)).encode()).hexdigest()[:12]
    path = b.cache_dir / f"asl_{'authors' if with_authors else 'content'}_{key}.npz"
    if path.exists():
        return sp.load_npz(path).tocsr()
    texts = [f"{t} {x}" + (" " + " ".join(a) if with_authors else "")
             for t, x, a in zip(b.corpus.titles, b.abstracts, b.corpus.authors, strict=True)]
    v = TfidfVectorizer(input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
                        lowercase=True, analyzer="word", stop_words="english",
                        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
                        max_features=20000, norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True,
                        max_df=0.1, min_df=5)
    x = v.fit_transform(texts).astype(np.float32).tocsr()
    b.cache_dir.mkdir(parents=True, exist_ok=True)
    sp.save_npz(path, x)
    return x


def asl_scores(b: Bench, x: sp.csr_matrix, t: Task) -> np.ndarray:
    from sklearn.svm import LinearSVC

    y = np.zeros(x.shape[0])
    y[t.seeds] = 1.0
    clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(x, y)
    return clf.decision_function(x[b.cand_rows])


def zad_scores(b: Bench, t: Task) -> np.ndarray:
    lib = b.corpus.dense[t.seeds]
    w = recency_weights([b.dates[r] for r in t.seeds])
    return (b.corpus.dense[b.cand_rows] @ lib.T) @ w


def bm25_scorer(b: Bench) -> Callable[[Task], np.ndarray]:
    rows = {d.arxiv_id: i for i, d in enumerate(b.data.docs)}
    sel = np.array([rows[i] for i in b.ids])
    engine = BM25(b.data.counts[sel], b.data.vocab)

    def score(t: Task) -> np.ndarray:
        q: list[str] = []
        for r in t.seeds:
            q.extend(terms(b.corpus.titles[r]))
        return engine.scores(q)[b.cand_rows].astype(np.float64)

    return score


# -- ours ---------------------------------------------------------------------------------------

def ranker_for(b: Bench, t: Task, p: Params, ups: list[int] | None = None,
               downs: list[int] | None = None) -> Ranker:
    """ups/downs: positions within the candidates."""
    seed = int(hashlib.sha1(t.name.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    pool = np.setdiff1d(b.pre_rows, t.seeds)
    bg = b.corpus.take(np.sort(rng.choice(pool, size=min(BACKGROUND, len(pool)), replace=False)))
    lib = b.corpus.take(t.seeds)
    up_c = b.corpus.take(b.cand_rows[ups]) if ups else None
    down_c = b.corpus.take(b.cand_rows[downs]) if downs else None
    wants = Wants(vocab=b.data.vocab.ids)
    return Ranker(lib, bg, wants, p, up_c, down_c, seed=seed)


def cand_corpus(b: Bench) -> Corpus:
    if "cands" not in b.info:
        b.info["cands"] = b.corpus.take(b.cand_rows)
    c = b.info["cands"]
    assert isinstance(c, Corpus)
    return c


def ours_parts(b: Bench, t: Task, p: Params) -> tuple[Ranker, dict[str, np.ndarray]]:
    r = ranker_for(b, t, p)
    _, parts, _, _ = r.parts(cand_corpus(b))
    return r, parts


FEEDBACK_ONLY = {"down_weight": 0.0, "down_share": 0.0, "up_weight": 0.0, "w_down_dense": 0.0,
                 "up_authors": "all", "down_authors": "none"}  # Params fields only feedback changes


def static_parts(b: Bench, t: Task, p: Params) -> dict[str, np.ndarray]:
    """The ranker's parts without feedback, cached across feedback variants (which cannot change
    them) and shared by ours and ours-content (the same fit; content-only has no ``lib_author``)."""
    key = (t.name, replace(p, use_authors=True, **FEEDBACK_ONLY))
    cache = b.info.setdefault("static_parts", {})
    if key not in cache:
        cache[key] = ours_parts(b, t, replace(p, use_authors=True))[1]
    parts = dict(cache[key])
    if not p.use_authors:
        parts["lib_author"] = np.zeros_like(parts["lib_author"])
    return parts


def feedback_run(b: Bench, t: Task, p: Params, rounds: int) -> dict:
    """Simulated sessions: static ranking vs refitting on the thumbs after each round."""
    n = len(b.cand_rows)
    targets = set(int(x) for x in t.targets)
    cands = cand_corpus(b)
    static = weigh(static_parts(b, t, p), p, n)
    order0 = np.argsort(-static, kind="stable")
    static_found = len(targets & set(int(x) for x in order0[:rounds * SHOW]))
    judged: set[int] = set()
    ups: list[int] = []
    downs: list[int] = []
    scores = static
    for _ in range(rounds):
        order = [int(x) for x in np.argsort(-scores, kind="stable") if int(x) not in judged][:SHOW]
        judged.update(order)
        ups += [x for x in order if x in targets]
        downs += [x for x in order if x not in targets][:DOWNS_PER_ROUND]
        r = ranker_for(b, t, p, ups, downs)
        scores = weigh(r.parts(cands)[1], p, n)
    left = np.array(sorted(set(range(n)) - judged))
    left_targets = np.array([i for i, c in enumerate(left) if int(c) in targets], dtype=np.int64)
    out = {"found_static": static_found, "found_feedback": len(ups), "targets": len(targets)}
    if len(left_targets):
        out["residual_static"] = metrics(target_ranks(static[left], left_targets), len(left_targets))
        out["residual_feedback"] = metrics(target_ranks(scores[left], left_targets), len(left_targets))
    return out


# -- the run ------------------------------------------------------------------------------------

def by_half(b: Bench, per_author: dict[str, dict[str, float]]) -> dict[str, dict]:
    return {h: mean_metrics([per_author[t.name] for t in b.tasks if t.half == h and t.name in per_author])
            for h in ("tune", "report")}


def run_method(b: Bench, name: str, fn: Callable[[Task], np.ndarray], tasks: list[Task],
               cached: bool = False) -> dict:
    """``cached``: per-author figures kept in the cache folder (baselines, which never change)."""
    t0 = time.perf_counter()
    per: dict[str, dict[str, float]] = {}
    path = b.cache_dir / f"figures_{name}_{b.cut}_{len(b.ids)}.json"
    memo: dict[str, dict[str, float]] = json.loads(path.read_text()) if cached and path.exists() else {}
    for n, t in enumerate(tasks):
        key = f"{t.name}|{','.join(b.ids[r] for r in t.seeds)}"
        if key not in memo:
            memo[key] = metrics(target_ranks(fn(t), t.targets), len(t.targets))
            if cached and n % 20 == 19:
                path.write_text(json.dumps(memo))
        per[t.name] = memo[key]
    if cached:
        b.cache_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(memo))
    res = by_half(b, per)
    res["seconds_per_author"] = round((time.perf_counter() - t0) / max(len(tasks), 1), 3)
    print(f"  {name:<14} tune {res['tune']}  report {res['report']}  ({res['seconds_per_author']} s/author)",
          file=sys.stderr, flush=True)
    return res


def sweep(b: Bench, base: Params, tasks: list[Task]) -> list[dict]:
    """Every variant on ``tasks`` (the tune half): each fit variant x the weight grid.

    Author names enter ours only through ``lib_author``, so ``w_lib_author=0`` is the content-only
    ranker (``use_authors=False`` gives the same ranking): one fit serves both.
    """
    import itertools

    out = []
    keys = list(WEIGHT_GRID)
    for fname, over in FIT_VARIANTS.items():
        p = replace(base, **over, use_authors=True)
        t0 = time.perf_counter()
        parts = {t.name: ours_parts(b, t, p)[1] for t in tasks}
        secs = time.perf_counter() - t0
        for combo in itertools.product(*(WEIGHT_GRID[k] for k in keys)):
            w = dict(zip(keys, combo, strict=True))
            if not w["w_clf"] and not w["w_dense"]:
                continue
            q = replace(p, **w)
            rows = [metrics(target_ranks(weigh(parts[t.name], q, len(b.cand_rows)), t.targets),
                            len(t.targets)) for t in tasks]
            out.append({"variant": fname, **over, **w, **mean_metrics(rows)})
        mine = [r for r in out if r["variant"] == fname]
        best = max(mine, key=lambda r: r["ndcg10"])
        best_c = max((r for r in mine if not r["w_lib_author"]), key=lambda r: r["ndcg10"])
        print(f"  sweep {fname}: best {best}; content-only best {best_c} ({secs:.0f} s fit)", file=sys.stderr,
              flush=True)
    return out


def sweep_table(rows: list[dict]) -> str:
    """Markdown: one line per (fit variant, w_clf, w_dense), nDCG@10 per w_lib_author."""
    libs = WEIGHT_GRID["w_lib_author"]
    head = "| variant | w_clf | w_dense | " + " | ".join(f"lib {x:g}" for x in libs) + " |"
    lines = [head, "|" + "---|" * (3 + len(libs))]
    groups: dict[tuple, dict[float, float]] = {}
    for r in rows:
        groups.setdefault((r["variant"], r["w_clf"], r["w_dense"]), {})[r["w_lib_author"]] = r["ndcg10"]
    for (v, c, d), by in groups.items():
        lines.append(f"| {v} | {c:g} | {d:g} | " + " | ".join(f"{by.get(x, float('nan')):.4f}" for x in libs)
                     + " |")
    return "\n".join(lines)


def overrides(base: Params, spec: str) -> dict:
    """``"C=10,full_names=True"`` -> ``{"C": 10.0, "full_names": True}`` (types from ``base``)."""
    over = {}
    for kv in spec.split(","):
        k, v = kv.split("=", 1)
        cur = getattr(base, k)
        over[k] = (v == "True") if isinstance(cur, bool) else type(cur)(v)
    return over


def feedback_figures(b: Bench, tasks: list[Task], p: Params, rounds: int) -> dict:
    """:func:`feedback_run` for every task, summed (found) and averaged (residual) per half."""
    t0 = time.perf_counter()
    per = {t.name: feedback_run(b, t, p, rounds) for t in tasks}
    fb: dict = {}
    for h in ("tune", "report"):
        rows = [per[t.name] for t in tasks if t.half == h]
        if not rows:
            continue
        res_rows = [r for r in rows if "residual_static" in r]
        fb[h] = {"authors": len(rows),
                 "found_static": int(sum(r["found_static"] for r in rows)),
                 "found_feedback": int(sum(r["found_feedback"] for r in rows)),
                 "residual_authors": len(res_rows),
                 "residual_static": mean_metrics([r["residual_static"] for r in res_rows]),
                 "residual_feedback": mean_metrics([r["residual_feedback"] for r in res_rows])}
    fb["seconds"] = round(time.perf_counter() - t0)
    return fb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="/tmp/rank_bench/papers.db")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--cut", default=None, help="cut date (default: leave --after-days listed days after)")
    ap.add_argument("--after-days", type=int, default=15, help="listed days after the cut (15 = 3 weeks)")
    ap.add_argument("--max-authors", type=int, default=0, help="cap (0 = all), taken in seeded hash order")
    ap.add_argument("--max-papers", type=int, default=20, help="drop names with more papers (collisions)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--methods", default="asl,asl-content,zad,bm25,ours,ours-content")
    ap.add_argument("--sweep", action="store_true", help="try every variant on the tune half")
    ap.add_argument("--feedback", type=int, default=3, help="simulated feedback rounds (0: none)")
    ap.add_argument("--feedback-half", default="both", choices=("both", "tune", "report"))
    ap.add_argument("--feedback-variant", action="append", default=[],
                    help="run the feedback rounds with these Params overrides instead (repeatable), "
                         "e.g. down_weight=0.5,up_weight=2; 'shipped' for none")
    ap.add_argument("--feedback-limit", type=int, default=0,
                    help="feedback on the first N authors of the half only (0: all)")
    ap.add_argument("--feedback-methods", default="ours,ours-content")
    ap.add_argument("--set", action="append", default=[], help="Params override for ours, e.g. w_clf=2")
    ap.add_argument("--fit", action="append", default=[],
                    help="sweep these fit variants instead, e.g. C=10,full_names=True (repeatable)")
    ap.add_argument("--grid", action="append", default=[], help="grid override, e.g. w_lib_author=0,9.6,19.2")
    ap.add_argument("--cache", default="/tmp/rank_bench/cache")
    ap.add_argument("--json", default=None, help="write every figure here")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    b = load(args.db, args.data_dir, args.cut, args.after_days, args.max_authors, args.max_papers, args.seed,
             Path(args.cache))
    info = dict(b.info)
    print(json.dumps(info), file=sys.stderr, flush=True)
    print(f"loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    base = Params()
    for s in args.set:
        k, v = s.split("=", 1)
        cur = getattr(base, k)
        base = replace(base, **{k: (v == "True") if isinstance(cur, bool) else type(cur)(v)})
    if args.fit:
        FIT_VARIANTS.clear()
        for spec in args.fit:
            FIT_VARIANTS["fit:" + spec] = overrides(base, spec)
    for spec in args.grid:
        k, v = spec.split("=", 1)
        WEIGHT_GRID[k] = [float(x) for x in v.split(",")]
    results: dict = {"info": info, "params": asdict(base), "methods": {}}
    methods = args.methods.split(",") if args.methods else []
    for m in methods:
        if m in ("asl", "asl-content"):
            x = asl_matrix(b, m == "asl")
            results["methods"][m] = run_method(b, m, lambda t, x=x: asl_scores(b, x, t), b.tasks,
                                                cached=True)
        elif m == "zad":
            results["methods"][m] = run_method(b, m, lambda t: zad_scores(b, t), b.tasks)
        elif m == "bm25":
            results["methods"][m] = run_method(b, m, bm25_scorer(b), b.tasks)
        elif m in ("ours", "ours-content"):
            p = replace(base, use_authors=m == "ours")
            clear: dict[str, tuple[int, int]] = {}

            def fn(t: Task, p: Params = p, clear: dict = clear) -> np.ndarray:
                r, parts = ours_parts(b, t, p)
                total = weigh(parts, p, len(b.cand_rows))
                cut = r.threshold
                clear[t.name] = (int((total[t.targets] > cut).sum()), int((total > cut).sum()))
                return total

            res = run_method(b, m, fn, b.tasks)
            for h in ("tune", "report"):
                rows = [clear[t.name] for t in b.tasks if t.half == h]
                if rows:
                    res[h]["targets_above_cut"] = round(float(np.mean([a for a, _ in rows])), 2)
                    res[h]["shown_above_cut"] = round(float(np.mean([s for _, s in rows])), 1)
            results["methods"][m] = res
        else:
            raise SystemExit(f"unknown method {m}")
    if args.feedback:
        fb_tasks = [t for t in b.tasks if args.feedback_half in ("both", t.half)]
        if args.feedback_limit:
            fb_tasks = fb_tasks[:args.feedback_limit]
        variants = {spec: ({} if spec == "shipped" else overrides(base, spec))
                    for spec in args.feedback_variant}
        for spec, over in (variants or {"": {}}).items():
            for m in args.feedback_methods.split(","):
                p = replace(base, **over, use_authors=m == "ours")
                fb = feedback_figures(b, fb_tasks, p, args.feedback)
                name = f"{m} [{spec}]" if spec else m
                results.setdefault("feedback", {})[name] = fb
                print(f"  feedback {name}: {json.dumps(fb)}", file=sys.stderr, flush=True)
    if args.sweep:
        results["sweep"] = sweep(b, base, [t for t in b.tasks if t.half == "tune"])
        print(sweep_table(results["sweep"]), file=sys.stderr, flush=True)
    results["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(results, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    print(json.dumps({k: v for k, v in results.items() if k != "sweep"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
