"""Group a selection into 3-8 themes and name each from its papers' distinctive terms.

Clustering: k-means (scikit-learn) on the unit MiniLM vectors the search index already
holds (so nothing is embedded again), k from 3 to 8 chosen by the cosine silhouette;
with fewer than 9 papers, fewer themes. A keyword-only index falls back to TF-IDF
vectors of the same texts. Themes too small to stand alone (under 3 % of the selection,
at least 2 papers) are dissolved: their papers join the nearest theme when close enough,
else the "Also this week" list.

Labels: class-based TF-IDF (the c-TF-IDF of BERTopic): a term's frequency inside the
theme times ``log(1 + A / f)``, ``A`` the average number of words per theme and ``f``
the term's frequency over all themes; uni- and bigrams, English stop words, the query's
own words and generic paper vocabulary left out; written as the texts spell them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np

from paperradar.digest.topic.model import Theme, TopicPaper
from paperradar.index.text import stem, words

MIN_THEMES, MAX_THEMES = 3, 8
SUPPORT_SHARE = 0.2  # a label term occurs in at least this share of its theme's papers (and 2)
LABEL_CANDIDATES = 60  # best c-TF-IDF terms a label's later terms are chosen from
JOIN_COSINE = 0.25  # a paper of a dissolved theme joins the nearest theme above this cosine
_GENERIC_TERMS = """
paper papers propose proposed proposes approach approaches method methods model models result results based
using use used novel new task tasks data performance show shows demonstrate experiments experimental
framework frameworks work study existing state art sota achieve achieves achieving significant significantly
improve improves improved improvement effective effectiveness extensive various different problem problems
learning network networks neural deep large language paradigm challenge challenges introduce present
presents address outperform outperforms baseline baselines benchmark benchmarks dataset datasets key propose
framework remains remain limited recent recently however specifically particular including provide provides
analysis evaluate evaluation level high low end multi generation general performance source code available
publicly github com https http inference training trained train capability capabilities ability
"""
GENERIC = frozenset(_GENERIC_TERMS.split())


def _vectors_from_text(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1).fit_transform(texts)
    dense = np.asarray(matrix.todense(), dtype=np.float32)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return dense / np.clip(norms, 1e-9, None)


def cluster(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """A cluster label per row; k by the best cosine silhouette in [3, 8]."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 3:
        return np.zeros(n, dtype=np.int64)
    # silhouettes of one topic's papers are low and flat, so the search is kept near
    # sqrt(n / 2) themes (72 papers: 5-7), within 3-8 and at least 3 papers a theme on average
    target = round(math.sqrt(n / 2))
    top = min(MAX_THEMES, max(1, n // 3), target + 1)
    low = min(max(MIN_THEMES, target - 1), top)
    if top <= 1:
        return np.zeros(n, dtype=np.int64)
    best: tuple[float, np.ndarray] | None = None
    for k in range(low, top + 1):
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(vectors, labels, metric="cosine"))
        if best is None or score > best[0] + 1e-9:
            best = (score, labels)
    return best[1] if best is not None else np.zeros(n, dtype=np.int64)


def _spellings(texts: list[str]) -> dict[str, str]:
    """Lower-cased word -> its most common written form (keeps "LLM", "GNN", "CLIP")."""
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for w in re.findall(r"[A-Za-z][A-Za-z0-9-]*", text):
            seen.setdefault(w.lower(), Counter())[w] += 1
    out = {}
    for low, forms in seen.items():
        form, _ = forms.most_common(1)[0]
        # prefer a capitalised form only when the word is an acronym or a name everywhere
        acronym = sum(c.isupper() for c in form) >= 2
        out[low] = form if acronym or any(c.isdigit() for c in form) else low
    return out


def label_terms(texts_by_theme: list[list[str]], query: str, top: int = 6) -> list[list[str]]:
    """The most distinctive terms of each theme, c-TF-IDF ranked, overlaps removed.

    A term must also be *shared*: found in at least :func:`min_support` of the theme's papers.
    c-TF-IDF alone favours a word one paper repeats ("EO-WM" five times in one abstract), which
    names that paper, not the theme; requiring support makes the label say what the papers
    have in common (and raised the labels' NPMI coherence, docs/benchmarks.md). After the first
    term, each next one is chosen for its score *and* for sharing papers with the terms before
    it (:func:`_coherent_terms`): NPMI 0.089 -> 0.103 on the benchmark's topics.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    qwords = [w.lower() for w in words(query)]
    qstems = {stem(w) for w in qwords}
    # the query's initials too: "large language model" -> llm, llms
    for a in range(len(qwords)):
        for b in range(a + 2, len(qwords) + 1):
            initials = "".join(w[0] for w in qwords[a:b])
            qstems |= {initials, initials + "s"}
    vectorizer = CountVectorizer(ngram_range=(1, 2), stop_words="english", lowercase=True,
                                 token_pattern=r"(?u)\b[A-Za-z][A-Za-z0-9-]+\b")
    flat = [t for texts in texts_by_theme for t in texts]
    if not flat:
        return [[] for _ in texts_by_theme]
    per_paper = vectorizer.fit_transform(flat).tocsr()
    bounds = np.cumsum([0] + [len(t) for t in texts_by_theme])
    counts = np.vstack([np.asarray(per_paper[a:b].sum(axis=0)).ravel() if b > a else
                        np.zeros(per_paper.shape[1]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    support = np.vstack([np.asarray((per_paper[a:b] > 0).sum(axis=0)).ravel() if b > a else
                         np.zeros(per_paper.shape[1]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    vocab = vectorizer.get_feature_names_out()
    keep = np.array([not any(p in GENERIC or stem(p) in qstems or len(p) < 3 for p in term.split())
                     for term in vocab], dtype=bool)
    counts = counts.astype(np.float64)
    tf = counts / np.clip(counts.sum(axis=1, keepdims=True), 1, None)
    freq = counts.sum(axis=0)
    avg = counts.sum() / max(len(texts_by_theme), 1)
    idf = np.log(1 + avg / np.clip(freq, 1, None))
    score = tf * idf * keep
    for row, texts in enumerate(texts_by_theme):
        score[row, support[row] < min_support(len(texts))] = 0.0
    return [_coherent_terms(row, per_paper[a:b], vocab, top)
            for row, a, b in zip(score, bounds[:-1], bounds[1:], strict=True)]


def _coherent_terms(score: np.ndarray, papers: Any, vocab: np.ndarray, top: int) -> list[str]:
    """Up to ``top`` terms for one theme: its best c-TF-IDF term first, then each next term by
    its score times its mean Jaccard overlap (over the theme's papers) with the terms already
    chosen, so that the label's words describe the same papers rather than one paper each.
    Overlapping terms ("graph" after "graph neural") are skipped."""
    candidates = [int(j) for j in np.argsort(-score, kind="stable")[:LABEL_CANDIDATES] if score[j] > 0]
    if not candidates:
        return []
    present = (papers[:, candidates].toarray() > 0).astype(np.float64)  # papers x candidates
    sizes = present.sum(axis=0)
    remaining = list(range(len(candidates)))
    picked: list[int] = []
    chosen: list[str] = []
    while remaining and len(chosen) < top:
        if picked:
            rest = np.array(remaining)
            together = present[:, rest].T @ present[:, picked]  # papers holding both terms
            union = sizes[rest][:, None] + sizes[picked][None, :] - together
            overlap = (together / np.clip(union, 1, None)).mean(axis=1)
            value = score[[candidates[r] for r in remaining]] * overlap
            at = remaining[int(np.argmax(value))]  # ties: the better c-TF-IDF term
        else:
            at = remaining[0]
        remaining.remove(at)
        term = str(vocab[candidates[at]])
        parts = {stem(w) for w in term.split()}
        if any(parts & {stem(w) for w in c.split()} for c in chosen):
            continue  # "graph" after "graph neural" says nothing new
        picked.append(at)
        chosen.append(term)
    return chosen


def min_support(papers: int) -> int:
    """Papers of a theme a label term must occur in: 2, and a fifth of a larger theme."""
    return 1 if papers < 2 else max(2, math.ceil(SUPPORT_SHARE * papers))


def pretty(term: str, spell: dict[str, str]) -> str:
    out = []
    for w in term.split():
        form = spell.get(w, w)
        out.append(form if form != w else w[:1].upper() + w[1:])
    return " ".join(out)


def build_themes(papers: list[TopicPaper], vectors: np.ndarray | None,
                 query: str) -> tuple[list[Theme], list[str]]:
    """Themes (largest first, papers most central first) and the "Also this week" ids."""
    if not papers:
        return [], []
    texts = [f"{p.paper.title}. {p.paper.title}. {p.paper.abstract}" for p in papers]
    if vectors is None or len(vectors) != len(papers):
        vectors = _vectors_from_text(texts)
    labels = cluster(vectors)
    n = len(papers)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        groups.setdefault(int(lab), []).append(i)
    smallest = max(2, math.ceil(0.03 * n)) if n >= 20 else 1
    big = {g: rows for g, rows in groups.items() if len(rows) >= smallest}
    if not big:
        big = groups
    centroids = {g: _unit(vectors[rows].mean(axis=0)) for g, rows in big.items()}
    also: list[int] = []
    for g, rows in groups.items():
        if g in big:
            continue
        for i in rows:
            near, cos = max(((h, float(vectors[i] @ c)) for h, c in centroids.items()), key=lambda t: t[1])
            if cos >= JOIN_COSINE:
                big[near].append(i)
            else:
                also.append(i)
    ordered = sorted(big.values(), key=lambda rows: (-len(rows), min(rows)))
    spell = _spellings(texts)
    terms = label_terms([[texts[i] for i in rows] for rows in ordered], query)
    themes = []
    used_labels: set[str] = set()
    for rows, theme_terms in zip(ordered, terms, strict=True):
        centre = _unit(vectors[rows].mean(axis=0))
        rows = sorted(rows, key=lambda i: -float(vectors[i] @ centre))
        shown = [pretty(t, spell) for t in theme_terms[:2]]
        label = " & ".join(shown) if shown else f"Further work on {query}"
        if label in used_labels:
            label = " & ".join(pretty(t, spell) for t in theme_terms[:3]) or label
        used_labels.add(label)
        themes.append(Theme(label=label, papers=[papers[i].arxiv_id for i in rows],
                            terms=[pretty(t, spell) for t in theme_terms]))
    return themes, [papers[i].arxiv_id for i in sorted(also)]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)
