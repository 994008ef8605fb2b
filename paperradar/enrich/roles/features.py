"""Cheap per-sentence inputs for the role classifier: weighted word n-grams and position.

Role cues are mostly lexical ("we propose", "results show", "in this paper")
plus where the sentence sits, so each sentence becomes a sparse TF-IDF bag of
word uni- and bigrams (numbers folded into one token) over a vocabulary fixed at
training time; the network turns the bag into a dense vector with one table
lookup per n-gram, which costs next to nothing (a frozen MiniLM vector of each
sentence's first words is the expensive input, see :mod:`.model`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

N_POSITION_FEATURES = 4
NGRAM = 2
_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?|[%$]")


def grams(sentence: str, n: int = NGRAM) -> list[str]:
    """Lower-cased word 1..n-grams; every number is ``<num>``; ``<s>`` marks the start."""
    words = ["<s>"] + ["<num>" if t[0].isdigit() else t for t in _TOKEN.findall(sentence.lower())]
    out = list(words)
    for size in range(2, n + 1):
        out.extend(" ".join(words[i:i + size]) for i in range(len(words) - size + 1))
    return out


@dataclass
class Vocabulary:
    """n-gram -> row (0 is reserved for "nothing known") and its idf."""

    terms: list[str]
    idf: np.ndarray  # (len(terms) + 1,), idf[0] = 0

    def __post_init__(self) -> None:
        self.index = {g: i + 1 for i, g in enumerate(self.terms)}

    @classmethod
    def fit(cls, sentences: Iterable[str], max_terms: int = 40000, min_df: int = 2) -> Vocabulary:
        df: Counter[str] = Counter()
        count = 0
        for s in sentences:
            df.update(set(grams(s)))
            count += 1
        terms = [g for g, c in df.most_common(max_terms) if c >= min_df]
        idf = np.array([0.0] + [math.log((1 + count) / (1 + df[g])) + 1.0 for g in terms], dtype=np.float32)
        return cls(terms, idf)

    def bags(self, sentences: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, weights, offsets): sentence k owns ids[offsets[k]:offsets[k+1]].

        Weights are sublinear tf times idf, L2-normalised per sentence; a sentence with no
        known n-gram gets the single id 0 with weight 0.
        """
        ids: list[int] = []
        weights: list[float] = []
        offsets = [0]
        for s in sentences:
            counts = Counter(self.index[g] for g in grams(s) if g in self.index)
            if not counts:
                ids.append(0)
                weights.append(0.0)
            else:
                w = [(1.0 + math.log(c)) * float(self.idf[i]) for i, c in counts.items()]
                norm = math.sqrt(sum(x * x for x in w)) or 1.0
                ids.extend(counts)
                weights.extend(x / norm for x in w)
            offsets.append(len(ids))
        return (np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32),
                np.asarray(offsets, dtype=np.int64))


def position_features(n: int) -> np.ndarray:
    """Per-sentence position inputs for an abstract of ``n`` sentences."""
    idx = np.arange(n, dtype=np.float32)
    rel = idx / max(n - 1, 1)
    return np.stack([
        rel,
        (idx == 0).astype(np.float32),
        (idx == n - 1).astype(np.float32),
        np.full(n, min(n, 15) / 15.0, dtype=np.float32),
    ], axis=1)
