"""Our topic-digest themes against BERTopic on the same selections: NPMI coherence, unassigned share.

    python bench/theme_compare.py --db PATH [--until D] [--days N] [--n 72] [--json] [--ours-only]

Needs ``pip install 'paperradar[bench]'`` (BERTopic, with UMAP and HDBSCAN; a benchmark-only
dependency, never imported by the package). ``--db`` must have a search index with dense
vectors (``paperradar index``).

For each topic the selection is exactly what ``paperradar digest topic`` selects; both
methods get the same papers, the same texts (title + abstract) and the same MiniLM vectors
from the index (BERTopic's own embedding step is skipped). Each topic/theme is described by
its 10 top terms: ours from :func:`paperradar.digest.topic.themes.label_terms` (c-TF-IDF,
query words and generic paper vocabulary left out, as the digest shows them), BERTopic's from
its c-TF-IDF with an English-stop-word uni+bigram vectorizer (its documented setting for
readable topics). Coherence: NPMI of every pair of a theme's top terms, document
co-occurrence over every paper in the store (title + abstract; a pair that never
co-occurs scores -1), averaged over pairs, then over themes. Unassigned share: papers in
our "Also this week" list; BERTopic's outlier topic -1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperradar.digest.topic.model import TopicPaper  # noqa: E402
from paperradar.digest.topic.selection import select, vectors, window  # noqa: E402
from paperradar.digest.topic.themes import build_themes, label_terms  # noqa: E402
from paperradar.index.search import SearchIndex  # noqa: E402
from paperradar.index.state import index_dir  # noqa: E402
from paperradar.store import open_store  # noqa: E402

TOPICS = ["large language model agents", "diffusion models", "graph neural networks",
          "reinforcement learning", "speech recognition", "representation learning",
          "autonomous driving", "medical image segmentation"]
TOP_TERMS = 10


class Cooccurrence:
    """Which reference documents hold a term (an n-gram, matched token by token), for NPMI."""

    def __init__(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        self.tokenize = CountVectorizer(lowercase=True).build_tokenizer()
        # each document as " tok tok tok ": an n-gram occurs when " t1 t2 " is a substring
        self.docs = [" " + " ".join(self.tokenize(t.lower())) + " " for t in texts]
        self.cache: dict[str, frozenset[int]] = {}

    def normal(self, term: str) -> str:
        return " ".join(self.tokenize(term.lower()))

    def postings(self, term: str) -> frozenset[int]:
        key = self.normal(term)
        if key not in self.cache:
            needle = f" {key} "
            self.cache[key] = frozenset(i for i, d in enumerate(self.docs) if needle in d)
        return self.cache[key]

    def npmi(self, terms: list[str]) -> float | None:
        """Mean NPMI over the pairs of ``terms`` (None when fewer than two are usable)."""
        n = len(self.docs)
        usable = [t for t in dict.fromkeys(self.normal(t) for t in terms) if t and self.postings(t)]
        scores = []
        for a, b in itertools.combinations(usable, 2):
            pa, pb = self.postings(a), self.postings(b)
            joint = len(pa & pb)
            if joint == 0:
                scores.append(-1.0)
                continue
            p_ab = joint / n
            if p_ab == 1.0:
                scores.append(1.0)
                continue
            pmi = math.log(p_ab / ((len(pa) / n) * (len(pb) / n)))
            scores.append(pmi / -math.log(p_ab))
        return float(np.mean(scores)) if scores else None


def ours(papers: list[TopicPaper], vecs: np.ndarray, query: str) -> tuple[list[list[str]], int, float]:
    started = time.perf_counter()
    themes, also = build_themes(papers, vecs, query)
    seconds = time.perf_counter() - started
    by_id = {p.arxiv_id: p for p in papers}
    texts = [[f"{by_id[i].paper.title}. {by_id[i].paper.title}. {by_id[i].paper.abstract}" for i in t.papers]
             for t in themes]
    return label_terms(texts, query, top=TOP_TERMS), len(also), seconds


def bertopic(papers: list[TopicPaper], vecs: np.ndarray, min_topic_size: int, query: str,
             reassign: bool = False) -> tuple[list[list[str]], int, float, list[list[str]]]:
    """BERTopic on the selection: its own top words, outliers, seconds, and our label terms
    computed on its clusters (so the two clusterings are compared with one labelling rule).
    ``reassign``: every outlier moved to its nearest topic by embedding (its
    ``reduce_outliers``), topic words recomputed, so nothing is left unassigned, as in ours."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    docs = [f"{p.paper.title}. {p.paper.abstract}" for p in papers]
    started = time.perf_counter()
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2))
    model = BERTopic(
        umap_model=UMAP(n_neighbors=min(15, len(docs) - 1), n_components=5, min_dist=0.0, metric="cosine",
                        random_state=42),
        hdbscan_model=HDBSCAN(min_cluster_size=min_topic_size, metric="euclidean",
                              cluster_selection_method="eom", prediction_data=True),
        vectorizer_model=vectorizer, top_n_words=TOP_TERMS, calculate_probabilities=False)
    topics, _ = model.fit_transform(docs, embeddings=vecs)
    if reassign and -1 in topics and len(set(topics)) > 1:
        topics = model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=vecs)
        model.update_topics(docs, topics=topics, vectorizer_model=vectorizer, top_n_words=TOP_TERMS)
    seconds = time.perf_counter() - started
    found = sorted(t for t in set(topics) if t != -1)
    terms = [[w for w, _ in model.get_topic(t)] for t in found]
    pairs = list(zip(papers, topics, strict=True))
    texts = [[f"{p.paper.title}. {p.paper.title}. {p.paper.abstract}" for p, t in pairs if t == topic]
             for topic in found]
    return terms, sum(1 for t in topics if t == -1), seconds, label_terms(texts, query, top=TOP_TERMS)


def mean(values: list) -> float | None:
    """Mean of the values that are there (a topic BERTopic found no theme in has no NPMI)."""
    present = [v for v in values if v is not None]
    return round(float(np.mean(present)), 4) if present else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--until")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--n", type=int, default=72)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--ours-only", action="store_true",
                    help="our themes only (no BERTopic needed): for trying labelling variants quickly")
    args = ap.parse_args()
    store = open_store(args.db)
    index = SearchIndex.open(store, index_dir(args.db))
    if not index.ranker.has_dense:
        sys.exit(f"{args.db}: the index has no dense vectors; run `paperradar index` with an embedder")
    corpus = [f"{d.title}. {d.abstract}" for d in store.iter_papers()]
    ref = Cooccurrence(corpus)
    win = window(index, None, args.until, args.days)
    rows = []
    for query in TOPICS:
        chosen = select(index, query, win, args.n, None)
        papers = [TopicPaper(f"P{k}", s.paper, s.date, s.score, s.paper.title)
                  for k, s in enumerate(chosen, 1)]
        vecs = vectors(index, [s.row for s in chosen])
        if len(papers) < 12 or vecs is None:
            rows.append({"query": query, "papers": len(papers), "skipped": "fewer than 12 papers"})
            continue
        row: dict = {"query": query, "papers": len(papers)}
        runs: dict[str, tuple] = {"ours": ours(papers, vecs, query)}
        if not args.ours_only:
            runs.update({"bertopic_10": bertopic(papers, vecs, 10, query),
                         "bertopic_5": bertopic(papers, vecs, 5, query),
                         "bertopic_5_all": bertopic(papers, vecs, 5, query, reassign=True)})
        for name, (terms, unassigned, seconds, *ours_rule) in runs.items():
            scores = [s for s in (ref.npmi(t) for t in terms) if s is not None]
            row[name] = {"themes": len(terms), "npmi": round(float(np.mean(scores)), 4) if scores else None,
                         "unassigned": round(unassigned / len(papers), 3), "seconds": round(seconds, 2),
                         "terms": [t[:5] for t in terms]}
            if ours_rule:  # the same clusters labelled by our rule
                again = [s for s in (ref.npmi(t) for t in ours_rule[0]) if s is not None]
                row[name]["npmi_our_labels"] = round(float(np.mean(again)), 4) if again else None
        rows.append(row)
        if not args.json:
            brief = {k: {kk: vv for kk, vv in v.items() if kk != "terms"} if isinstance(v, dict) else v
                     for k, v in row.items()}
            print(json.dumps(brief), flush=True)
    done = [r for r in rows if "ours" in r]
    names = ["ours"] if args.ours_only else ["ours", "bertopic_10", "bertopic_5", "bertopic_5_all"]
    summary = {name: {key: mean([r[name].get(key) for r in done]) for key in
                      ("npmi", "npmi_our_labels", "unassigned", "themes", "seconds")}
               for name in names} if done else {}
    if args.json:
        print(json.dumps({"topics": rows, "mean": summary}, indent=2))
    else:
        print(json.dumps({"mean": summary}))


if __name__ == "__main__":
    main()
