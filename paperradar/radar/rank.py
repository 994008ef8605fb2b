"""Scoring papers for a profile: the signals, their combination, the calibrated cut, the "why".

Signals, for every candidate paper:

- ``dense``: MiniLM cosine to the library (seed papers, imported items, thumbs-up): ``topk_share``
  of the mean of the ``topk`` most similar items (a library is several interests, and a paper
  matches one of them), the rest zotero-arxiv-daily's recency-weighted mean (weights
  1/(1+log10 rank) over the library newest first). Shipped: the single nearest item (tuned).
- ``clf``: a per-profile logistic regression (arxiv-sanity-lite's per-tag SVM idea) over
  sparse tf-idf (from the search index's term counts) and the dense vector, trained on the
  library and thumbs-up against a sample of other papers and the thumbs-down (each weighing a
  library paper, together at most half the positives).
- ``interest``: cosine to the profile's interest text.
- ``keywords``: profile phrases present in title or abstract (stemmed, in order).
- ``author``: a followed author; ``lib_author``: an author of a library paper or thumbs-up (names
  weighted by rarity, since common names collide; each thumbs-down on a name counts one library
  paper less). ``category``: a wanted category.

Continuous signals are standardised against a *background* sample (other papers, not the day's),
so a score means "this far above what an unrelated paper gets" and the cut is calibrated per
profile: a paper is shown only when its combined score beats ``Params.quantile`` of the
background's (continuous signals plus the library-author bonus a background paper would get:
the papers of a library author's co-authors are common, so they must not clear the cut for
that alone; the explicit wants — keywords, followed authors, categories — are left out of the
calibration, so they still lift a paper over it). The list is never padded to ``k``. Excluded
phrases remove a paper outright.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

from paperradar.index.text import terms


@dataclass(frozen=True)
class Params:
    """Weights of the combination, tuned on the tune half of bench/recommend_bench.py's authors
    (docs/benchmarks.md lists every variant tried): the nearest library paper's cosine (topk=1,
    share 1: the recency-weighted mean lost on tune), w_dense 0.5, w_lib_author 4.8 (9.6 was best on tune but
    let library co-authors outweigh a thumbs-down; see docs/benchmarks.md).

    Feedback (tuned on the tune half's simulated sessions: thumbs-up on the targets shown,
    thumbs-down on the top non-targets). A thumbs-up is a library paper in every signal. A
    thumbs-down weighs one library paper in the classifier, all downs together at most half the
    positives (``down_weight``, ``down_share``: as one more sampled negative, the first design, it
    weighed ~1/30 of a library paper and did nothing), and counts one paper against its authors'
    name keys in ``lib_author`` (``down_authors="subtract"``): the near-misses a library-author
    bonus puts on top are mostly another person with the same initial and surname, or a co-author's
    own line of work, and the thumbs-down is the only evidence of that. A Rocchio term (minus the
    nearest down's cosine, ``w_down_dense``), heavier thumbs-up and ups reinforcing only known
    authors lost on tune."""

    w_clf: float = 1.0
    w_dense: float = 0.5
    w_interest: float = 1.0
    w_keyword: float = 2.0
    w_author: float = 4.0
    w_lib_author: float = 4.8
    w_category: float = 0.3
    topk: int = 1
    topk_share: float = 1.0  # of the dense signal; the rest is the recency-weighted mean
    dense_scale: float = 1.0  # dense block's weight beside tf-idf in the classifier
    C: float = 1.0
    down_weight: float = 1.0  # in the classifier, a thumbs-down weighs this many library papers
    down_share: float = 0.5  # ... and all thumbs-downs together at most this share of the positives
    up_weight: float = 1.0  # a thumbs-up counts as this many library papers in the classifier
    w_down_dense: float = 0.0  # dense signal minus this times the cosine to the nearest thumbs-down
    up_authors: str = "all"  # "all": a thumbs-up's authors count as a library paper's; "known": only
    # those already in the library; "none": ups leave ``lib_author`` alone
    down_authors: str = "subtract"  # thumbs-downs on a library author's name key: "subtract" (count - downs)
    # or "precision" (weight times count / (count + downs)); "none": downs leave ``lib_author`` alone
    quantile: float = 0.99  # cut: beat this share of the background papers
    calibrate_authors: bool = True  # the cut counts the background's library-author bonus too
    use_authors: bool = True  # False: content only (no author names in any feature)
    full_names: bool = False  # library authors matched by full name (else first initial + last name)


@dataclass
class Corpus:
    """The papers being scored (or the library, or the background), as the ranker sees them."""

    ids: list[str]
    dense: np.ndarray  # (n, d) float32, rows L2-normalised
    sparse: sp.csr_matrix  # (n, V) tf-idf, rows L2-normalised
    texts: list[str]
    titles: list[str]
    authors: list[tuple[str, ...]]
    categories: list[tuple[str, ...]]
    dates: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: Sequence[int] | np.ndarray) -> Corpus:
        rows = list(rows)
        return Corpus([self.ids[r] for r in rows], self.dense[rows], self.sparse[rows],
                      [self.texts[r] for r in rows], [self.titles[r] for r in rows],
                      [self.authors[r] for r in rows], [self.categories[r] for r in rows],
                      [self.dates[r] for r in rows] if self.dates else [])


@dataclass
class Wants:
    """What the profile says directly (besides its library)."""

    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    interest: np.ndarray | None = None  # embedded interest text
    vocab: dict[str, int] | None = None  # stem -> column of ``Corpus.sparse``: a fast pre-filter


@dataclass
class Scored:
    row: int
    score: float
    percentile: float
    why: str
    signals: dict


@lru_cache(maxsize=1 << 16)
def full_key(name: str) -> str:
    """``"José A. García-Pérez"`` -> ``"jose a garcia-perez"``: every part, no accents or dots."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z\s-]", " ", text).split())


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """``"José A. García-Pérez"`` -> ``"j garcia-perez"``: first initial + last name, no accents."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z\s-]", " ", text)
    parts = text.split()
    if not parts:
        return ""
    return f"{parts[0][0]} {parts[-1]}" if len(parts) > 1 else parts[0]


def _phrases(phrases: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for p in phrases:
        stems = tuple(terms(p))
        if stems:
            out.append((p, stems))
    return out


def _matches(text_terms: list[str], phrases: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    found = []
    joined = " " + " ".join(text_terms) + " "
    for label, stems in phrases:
        if " " + " ".join(stems) + " " in joined:
            found.append(label)
    return found


def recency_weights(dates: Sequence[str | None]) -> np.ndarray:
    """zotero-arxiv-daily's weights: library newest first, w = 1/(1+log10(rank)), summing to 1."""
    order = sorted(range(len(dates)), key=lambda i: dates[i] or "", reverse=True)
    w = np.empty(len(dates), dtype=np.float32)
    for rank, i in enumerate(order, 1):
        w[i] = 1.0 / (1.0 + math.log10(rank))
    return w / w.sum() if len(w) else w


class Ranker:
    """Fitted once per (profile, library, feedback); scores any :class:`Corpus` with the same features."""

    def __init__(self, library: Corpus, background: Corpus, wants: Wants, params: Params | None = None,
                 ups: Corpus | None = None, downs: Corpus | None = None, seed: int = 0) -> None:
        self.p = params or Params()
        self.wants = wants
        pos = library if ups is None or not len(ups) else _concat(library, ups)
        self.pos = pos
        self.lib_titles = pos.titles
        self.weights = recency_weights(pos.dates or [None] * len(pos)) if len(pos) else np.zeros(0)
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(background))
        half = len(order) // 2
        self.neg = background.take(order[:half])
        self.calib = background.take(order[half:])
        self.downs = downs
        self.kw = _phrases(wants.keywords)
        self.ex = _phrases(wants.exclude)
        self.follow = {name_key(a) for a in wants.authors} - {""}
        self.lib_key = full_key if self.p.full_names else name_key
        self.lib_authors = self._author_weights(library, ups, downs, background) if self.p.use_authors else {}
        self.n_lib = len(library)
        self.clf = self._fit() if len(pos) else None
        self.bg_stats = self._stats(self.calib)
        # the cut also sees the background's library-author bonus: calibrated on the continuous
        # signals alone, a profile of one author's papers let every paper of a co-author (or a
        # namesake) through, ~20 a day (docs/benchmarks.md, "Calibrated cut")
        lib_bonus = (self.p.w_lib_author * self._lib_parts(self.calib)[0]
                     if self.p.calibrate_authors and self.lib_authors else None)
        calib_scores = self._combine(self._signals(self.calib), lib_bonus)
        self.bg_sorted = np.sort(calib_scores)
        self.threshold = float(np.quantile(calib_scores, self.p.quantile)) if len(calib_scores) else 0.0

    # -- fitting ----------------------------------------------------------------------------------
    def _features(self, c: Corpus) -> sp.csr_matrix:
        blocks = [c.sparse, sp.csr_matrix(c.dense * self.p.dense_scale)]
        return sp.hstack(blocks, format="csr")

    def _fit(self) -> Any:
        """Logistic regression: the library and thumbs-up against sampled papers and thumbs-down.

        Positives and sampled negatives are balanced as sklearn's ``class_weight="balanced"`` does
        (each class weighs half the total). A thumbs-down is *not* one more sampled negative (the
        first design, ``down_weight`` 3 of ~600 sampled, left a down 1/30 of a library paper: no
        effect), but explicit evidence like a library paper: it weighs ``down_weight`` library
        papers, and all downs together at most ``down_share`` of the positives, so a few rounds of
        near-misses cannot outweigh the library and teach the classifier its own topic is unwanted.
        """
        from sklearn.linear_model import LogisticRegression

        w_pos = np.ones(len(self.pos))
        w_pos[self.n_lib:] = self.p.up_weight
        n_neg = len(self.neg)
        if not n_neg or w_pos.sum() <= 0:
            return None
        half = (w_pos.sum() + n_neg) / 2  # each class's total weight, as "balanced" makes it
        parts = [self.pos, self.neg]
        weights = [w_pos * half / w_pos.sum(), np.full(n_neg, half / n_neg)]
        labels = [np.ones(len(self.pos)), np.zeros(n_neg)]
        if self.downs is not None and len(self.downs) and self.p.down_weight > 0:
            per = self.p.down_weight * half / w_pos.sum()  # a library paper's weight, times down_weight
            per = min(per, self.p.down_share * half / len(self.downs))
            parts.append(self.downs)
            weights.append(np.full(len(self.downs), per))
            labels.append(np.zeros(len(self.downs)))
        x = sp.vstack([self._features(c) for c in parts], format="csr")
        clf = LogisticRegression(C=self.p.C, solver="liblinear", max_iter=200,
                                 dual=True)  # dual: fewer rows than columns, ~5x faster, same fit
        clf.fit(x, np.concatenate(labels), sample_weight=np.concatenate(weights))
        return clf

    def _author_weights(self, library: Corpus, ups: Corpus | None, downs: Corpus | None,
                        background: Corpus) -> dict[str, float]:
        """Library authors, each weighted by how rare the name is in the background.

        A name key's weight is its idf times min(count, 3) / 3, count = the library papers it is on
        (first initial + last name). Thumbs-up papers add to the count as ``Params.up_authors``
        says. ``down_authors`` makes the thumbs-downs evidence against the *key* (not only the
        paper): a key that keeps matching papers the reader rejects is ambiguous (two people with
        one initial and surname) or a co-author the reader does not follow, so its bonus shrinks,
        by ``count - downs`` ("subtract") or by the key's precision among the judged papers
        carrying it, ``count / (count + downs)`` ("precision", never zero).
        """
        df: dict[str, int] = {}
        key = self.lib_key
        for names in background.authors:
            for k in {key(a) for a in names}:
                df[k] = df.get(k, 0) + 1
        n = max(len(background), 1)
        counts: dict[str, int] = {}
        for names in library.authors:
            for k in {key(a) for a in names} - {""}:
                counts[k] = counts.get(k, 0) + 1
        mode = self.p.up_authors
        if ups is not None and mode != "none":
            known = set(counts)
            for names in ups.authors:
                for k in {key(a) for a in names} - {""}:
                    if mode == "all" or k in known:
                        counts[k] = counts.get(k, 0) + 1
        against: dict[str, int] = {}
        if downs is not None and self.p.down_authors != "none":
            for names in downs.authors:
                for k in {key(a) for a in names} & set(counts):
                    against[k] = against.get(k, 0) + 1
        out = {}
        for k, c in counts.items():
            d = against.get(k, 0)
            share = c / (c + d) if self.p.down_authors == "precision" else 1.0
            c = c - d if self.p.down_authors == "subtract" else c
            if c > 0:
                out[k] = math.log((n + 1) / (df.get(k, 0) + 1)) * min(c, 3) / 3 * share
        return out

    # -- scoring ----------------------------------------------------------------------------------
    def _signals(self, c: Corpus) -> dict[str, np.ndarray]:
        n = len(c)
        out: dict[str, np.ndarray] = {}
        if len(self.pos) and n:
            sims = c.dense @ self.pos.dense.T
            k = min(self.p.topk, sims.shape[1])
            top = -np.partition(-sims, k - 1, axis=1)[:, :k].mean(axis=1)
            out["dense"] = self.p.topk_share * top + (1 - self.p.topk_share) * (sims @ self.weights)
            if self.p.w_down_dense and self.downs is not None and len(self.downs):
                out["dense"] = out["dense"] - self.p.w_down_dense * (c.dense @ self.downs.dense.T).max(axis=1)
            out["_best"] = sims.argmax(axis=1)
            out["_best_cos"] = sims.max(axis=1)
        if self.clf is not None and n:
            out["clf"] = self._decision(c)
        if self.wants.interest is not None and n:
            out["interest"] = c.dense @ self.wants.interest
        return out

    def _decision(self, c: Corpus) -> np.ndarray:
        """``clf.decision_function`` of the stacked features, without stacking them (faster)."""
        clf = self.clf
        assert clf is not None
        w = np.asarray(clf.coef_, dtype=np.float64).ravel()
        width = c.sparse.shape[1]
        out = c.sparse @ w[:width] + (c.dense @ w[width:].astype(np.float32)) * self.p.dense_scale
        return np.asarray(out, dtype=np.float64).ravel() + float(clf.intercept_[0])

    def _stats(self, c: Corpus) -> dict[str, tuple[float, float]]:
        sig = self._signals(c)
        return {k: (float(v.mean()), float(v.std()) or 1.0) for k, v in sig.items() if not k.startswith("_")}

    def _combine(self, sig: dict[str, np.ndarray], extra: np.ndarray | None = None) -> np.ndarray:
        total = weigh(self._standardise(sig), self.p, len(next(iter(sig.values()))) if sig else
                      (len(extra) if extra is not None else 0))
        return total if extra is None else total + extra

    def _standardise(self, sig: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The continuous signals as z-scores against the calibration background."""
        out = {}
        for name in CONTINUOUS:
            if name in sig and name in self.bg_stats:
                mean, std = self.bg_stats[name]
                out[name] = (sig[name] - mean) / std
        return out

    def _may_match(self, c: Corpus, phrases: list[tuple[str, tuple[str, ...]]]) -> np.ndarray:
        """Rows whose term counts hold every stem of some phrase (only those are tokenised)."""
        if not phrases:
            return np.zeros(len(c), dtype=bool)
        vocab = self.wants.vocab
        if vocab is None:
            return np.ones(len(c), dtype=bool)
        out = np.zeros(len(c), dtype=bool)
        for _, stems in phrases:
            cols = [vocab.get(s) for s in stems]
            if any(col is None or col >= c.sparse.shape[1] for col in cols):
                return np.ones(len(c), dtype=bool)  # a word the index never saw: look at every text
            present = (c.sparse[:, cols] > 0).sum(axis=1)
            out |= np.asarray(present).ravel() == len(cols)
        return out

    def parts(self, c: Corpus) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, list[dict]]:
        """Every signal for every paper of ``c``, unweighted: (raw signals, parts, keep mask, details).

        ``parts`` holds the z-scored continuous signals and the raw amounts of the discrete ones
        (``keyword``, ``author``, ``lib_author``, ``category``); :func:`weigh` combines them with a
        :class:`Params`' weights (bench/recommend_bench.py sweeps the weights without refitting).
        """
        sig = self._signals(c)
        n = len(c)
        kw, fol, cats = np.zeros(n), np.zeros(n), np.zeros(n)
        lib, lib_names = self._lib_parts(c)
        details: list[dict] = [{} for _ in range(len(c))]
        keep = np.ones(len(c), dtype=bool)
        maybe = self._may_match(c, self.kw + self.ex)
        for i in range(len(c)):
            text_terms = terms(c.texts[i]) if maybe[i] else []
            if self.ex and _matches(text_terms, self.ex):
                keep[i] = False
                continue
            d = details[i]
            if self.kw:
                found = _matches(text_terms, self.kw)
                if found:
                    d["keywords"] = found
                    kw[i] = min(len(found), 2)
            keys = [name_key(a) for a in c.authors[i]]
            followed = [a for a, k in zip(c.authors[i], keys, strict=True) if k in self.follow]
            if followed:
                d["authors"] = followed
                fol[i] = 1.0
            if lib_names[i]:
                d["library_authors"] = lib_names[i]
            wanted = [cat for cat in c.categories[i] if _in_category(cat, self.wants.categories)]
            if wanted:
                cats[i] = 1.0
                d["category"] = wanted[0]
        parts = self._standardise(sig)
        parts.update(keyword=kw, author=fol, lib_author=lib, category=cats)
        return sig, parts, keep, details

    def _lib_parts(self, c: Corpus) -> tuple[np.ndarray, list[list[str]]]:
        """Per paper of ``c``: the library-author amount (the summed rarity weights of its authors
        who wrote library papers, capped at 12, over 4) and up to two of those names, best first."""
        lib = np.zeros(len(c))
        names: list[list[str]] = [[] for _ in range(len(c))]
        if not self.lib_authors:
            return lib, names
        for i, authors in enumerate(c.authors):
            shared = [(self.lib_authors[k], a) for a in authors if (k := self.lib_key(a)) in self.lib_authors]
            if shared:
                lib[i] = min(sum(w for w, _ in shared), 12.0) / 4
                names[i] = [a for _, a in sorted(shared, reverse=True)][:2]
        return lib, names

    def score(self, c: Corpus) -> list[Scored]:
        """Every paper of ``c`` above the calibrated cut, best first, each with its why."""
        sig, parts, keep, details = self.parts(c)
        total = weigh(parts, self.p, len(c))
        order = np.argsort(-total, kind="stable")
        out = []
        for row in order:
            if not keep[row] or total[row] <= self.threshold:
                continue
            d = details[row]
            if "_best" in sig:
                d["similar"] = {"title": self.lib_titles[int(sig["_best"][row])],
                                "cosine": round(float(sig["_best_cos"][row]), 3)}
            for name in ("dense", "clf", "interest"):
                if name in sig:
                    d[name] = round(float(sig[name][row]), 4)
            pct = float(np.searchsorted(self.bg_sorted, total[row]) / max(len(self.bg_sorted), 1))
            out.append(Scored(int(row), round(float(total[row]), 4), round(pct, 4), why(d), d))
        return out


CONTINUOUS = ("dense", "clf", "interest")


def weigh(parts: dict[str, np.ndarray], p: Params, n: int) -> np.ndarray:
    """The combined score: each part times its weight in ``p`` (absent parts count 0)."""
    weights = {"dense": p.w_dense, "clf": p.w_clf, "interest": p.w_interest, "keyword": p.w_keyword,
               "author": p.w_author, "lib_author": p.w_lib_author, "category": p.w_category}
    total = np.zeros(n)
    for name, w in weights.items():
        if name in parts and w:
            total = total + w * parts[name]
    return total


def _in_category(cat: str, wanted: Sequence[str]) -> bool:
    c = cat.lower()
    return any(c == w.lower() or c.startswith(w.lower() + ".") for w in wanted)


def _concat(a: Corpus, b: Corpus) -> Corpus:
    return Corpus(a.ids + b.ids, np.vstack([a.dense, b.dense]), sp.vstack([a.sparse, b.sparse], format="csr"),
                  a.texts + b.texts, a.titles + b.titles, a.authors + b.authors, a.categories + b.categories,
                  (a.dates or [""] * len(a)) + (b.dates or [""] * len(b)))


def _short(title: str, width: int = 70) -> str:
    title = " ".join(title.split())
    return title if len(title) <= width else title[:width - 1].rstrip() + "…"


def why(d: dict) -> str:
    """One line: matched keywords, a followed author, the most similar library paper."""
    parts = []
    if d.get("keywords"):
        parts.append("keywords: " + ", ".join(d["keywords"]))
    if d.get("authors"):
        parts.append("followed author: " + ", ".join(d["authors"][:2]))
    if d.get("similar") and d["similar"]["cosine"] >= 0.3:
        parts.append(f"like \"{_short(d['similar']['title'])}\" (cos {d['similar']['cosine']:.2f})")
    elif d.get("clf") is not None and d["clf"] > 0:
        parts.append("matches your library")
    if d.get("library_authors"):
        parts.append("by " + ", ".join(d["library_authors"]) + " (in your library)")
    if d.get("interest") is not None and d["interest"] >= 0.3 and len(parts) < 2:
        parts.append(f"close to your interests (cos {d['interest']:.2f})")
    if d.get("category") and not parts:
        parts.append(f"in {d['category']}")
    return "; ".join(parts) or "above your threshold"


__all__ = ["Corpus", "Params", "Ranker", "Scored", "Wants", "full_key", "name_key", "recency_weights",
           "replace", "weigh", "why"]
