"""Search-result snippets: the window of an abstract that holds the most query terms.

A snippet is made for every result shown, so on a cold search it is a fair share of the
page's CPU. Stemming every word of twenty abstracts per query was most of it; here a plain
string search finds the few words that *can* stem to a query term and only those are stemmed.
That rests on a property of Snowball's English stemmer checked on every ASCII word of the 14k-paper
corpus (64,575 distinct words): a stem begins with all but its last letter of the lower-cased
word, save three irregular forms (lying, tying, dying). Text or terms outside ASCII take the
plain path that stems every word, so results never depend on the shortcut.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache

from paperradar.index.text import stem, word_at, word_matches

SNIPPET_WORDS = 32
_IRREGULAR = {"lie": "ly", "tie": "ty", "die": "dy"}  # Snowball: lying -> lie, tying -> tie, dying -> die


@lru_cache(maxsize=1024)
def _prefixes(qterms: frozenset[str]) -> tuple[str, ...] | None:
    """What a word that stems to one of ``qterms`` starts with (None: terms outside ASCII)."""
    if not qterms or not all(t.isascii() for t in qterms):
        return None
    prefixes = {t[:max(1, len(t) - 1)] for t in qterms}
    return tuple(sorted(prefixes | {_IRREGULAR[t] for t in qterms if t in _IRREGULAR}))


def _word_starts(low: str, prefixes: tuple[str, ...]) -> list[int]:
    """Offsets in ``low`` (lower-cased ASCII) where a word that begins with a prefix starts.
    A word starts after a non-alphanumeric character, except after an apostrophe inside a
    word ("model's"), as :func:`paperradar.index.text.words` splits."""
    starts = set()
    for prefix in prefixes:
        i = low.find(prefix)
        while i >= 0:
            if i == 0 or not (low[i - 1].isalnum() or (low[i - 1] == "'" and i > 1 and low[i - 2].isalnum())):
                starts.add(i)
            i = low.find(prefix, i + 1)
    return sorted(starts)


def _matching_words(text: str, qterms: set[str], memo: dict[str, bool]) -> list[tuple[int, str]]:
    """(offset, word) of every word of ``text`` whose stem is a query term, in text order."""
    if not qterms:
        return []
    prefixes = _prefixes(frozenset(qterms)) if text.isascii() else None
    found: Iterable[re.Match[str] | None]
    if prefixes is None:
        found = word_matches(text)
    else:
        found = (word_at(text, i) for i in _word_starts(text.lower(), prefixes))
    out = []
    for m in found:
        if m is None:
            continue
        word = m.group()
        hit = memo.get(word)
        if hit is None:
            hit = memo[word] = stem(word.lower()) in qterms
        if hit:
            out.append((m.start(), word))
    return out


def snippet(text: str, qterms: set[str], width: int = SNIPPET_WORDS,
            memo: dict[str, bool] | None = None) -> tuple[str, list[str]]:
    """The ``width``-word window of ``text`` holding the most query terms (the first such
    window), and the words in it that matched, as written. ``memo`` (word -> matches) may be
    shared by the snippets of one query's results."""
    tokens = text.split()
    if not tokens:
        return "", []
    norm = " ".join(tokens)
    found = [(norm.count(" ", 0, offset), word) for offset, word in
             _matching_words(norm, qterms, {} if memo is None else memo)]
    hit_tokens = sorted({token for token, _ in found})
    last = max(0, len(tokens) - width)
    best, best_count = 0, -1
    # the first best window starts at 0 or just where some hit enters it
    for start in sorted({0, *(min(max(0, t - width + 1), last) for t in hit_tokens)}):
        count = bisect_left(hit_tokens, start + width) - bisect_left(hit_tokens, start)
        if count > best_count:
            best, best_count = start, count
    matched = list(dict.fromkeys(word for token, word in found if best <= token < best + width))
    prefix = "… " if best else ""
    suffix = " …" if best + width < len(tokens) else ""
    return prefix + " ".join(tokens[best:best + width]) + suffix, matched
