"""Turning text into index terms: Unicode word split, stop words, Snowball stemming.

The same function serves documents and queries, so "disentangled" and
"disentanglement" meet at the stem ``disentangl`` while "entanglement"
(``entangl``) stays a different term: that difference is what keeps a
"disentanglement" search away from quantum physics. Words in other scripts
are kept (lower-cased, unstemmed) so that non-Latin queries still match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# Lucene's English stop words (what Pyserini's BM25 baseline uses).
STOPWORDS: frozenset[str] = frozenset(STOPWORDS_EN)
# Boolean-operator words people type out of habit; we rank, so they carry no meaning.
OPERATORS: frozenset[str] = frozenset({"AND", "OR", "NOT", "NEAR"})
MAX_QUERY_CHARS = 2000
MAX_QUERY_TERMS = 64
MAX_WORD_CHARS = 40

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def clean(text: str) -> str:
    """NFKC-normalise and replace control characters with spaces."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def words(text: str) -> list[str]:
    """Raw word tokens (original case), apostrophes inside words kept."""
    return _WORD.findall(text)


def word_matches(text: str, pos: int = 0) -> Iterator[re.Match[str]]:
    """:func:`words` with their offsets, from ``pos`` on."""
    return _WORD.finditer(text, pos)


def word_at(text: str, pos: int) -> re.Match[str] | None:
    """The word of :func:`words` that starts at ``pos`` (None when none does)."""
    return _WORD.match(text, pos)


def terms(text: str) -> list[str]:
    """Index terms of a document: lower-cased, stop words dropped, stemmed."""
    out = []
    for word in words(text):
        low = word.lower().replace("’", "'")
        if low.endswith("'s"):
            low = low[:-2]
        if low in STOPWORDS or not low:
            continue
        out.append(stem(low[:MAX_WORD_CHARS]))
    return out


def query_terms(query: str) -> list[str]:
    """Index terms of a query, robust to hostile input: length is capped,
    control characters and operator syntax (quotes, brackets, ``*``, ``-``,
    ``:``, AND/OR/NEAR) are treated as plain separators, duplicates removed."""
    text = clean(query[:MAX_QUERY_CHARS])
    kept = " ".join(w for w in words(text) if w not in OPERATORS)
    return list(dict.fromkeys(terms(kept)))[:MAX_QUERY_TERMS]


def query_text(query: str) -> str:
    """The query as the embedding model should see it (cleaned, capped)."""
    return " ".join(clean(query[:MAX_QUERY_CHARS]).split())
