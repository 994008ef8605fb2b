"""Sentence splitting for arXiv abstracts.

Abstracts are full of full stops that do not end sentences: "et al.", "e.g.",
"Fig. 2", "3.5%", inline LaTeX such as ``$\\mathcal{O}(n \\log n)$`` and URLs.
General-purpose splitters either need a model or break on these, so this is a
small rule-based splitter: a candidate boundary is sentence-final punctuation
followed by whitespace; it is rejected when it lies inside maths, a URL or
brackets, when the word before it is a known abbreviation or an initial, or
when the next word starts in lower case.
"""

from __future__ import annotations

import re

# Words that end in a full stop without ending a sentence (compared lower-cased, without the final dot).
ABBREVIATIONS = frozenset((
    "a.k.a", "aka", "al", "alg", "algo", "approx", "appx", "c.f", "ca", "cf", "ch", "chap", "cit", "co",
    "cor", "corp", "def", "dept", "dr", "e.g", "e.t.c", "eg", "eq", "eqn", "eqns", "eqs", "et",
    "etc.al", "fig", "figs", "i.e", "i.i.d", "ibid", "ie", "iid", "inc", "jr", "lem", "ltd", "mr",
    "mrs", "ms", "no", "nos", "op", "pp", "prof", "prop", "ref", "refs", "resp", "sec", "secs", "sect",
    "sr", "st", "tab", "tabs", "thm", "u.k", "u.s", "univ", "v.s", "viz", "vol", "vols", "vs", "w.r.t",
    "wrt",
))

_WS = re.compile(r"\s+")
# Spans inside which no boundary is accepted: display/inline maths, \( \), \[ \], URLs.
_PROTECTED = re.compile(
    r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]"
    r"|(?:https?://|www\.)[^\s]*[^\s.,;:!?)\]}'\"]"
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    re.S,
)
_CANDIDATE = re.compile(r"[.!?]+[\"'’”)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+([\"'“‘(\[]*)(\S)")
_PREV_WORD = re.compile(r"(\S+)$")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_MAX_BRACKET_SPAN = 400  # an unclosed bracket must not swallow the rest of the abstract


def normalize(text: str) -> str:
    """Collapse line wraps and runs of whitespace into single spaces."""
    return _WS.sub(" ", text).strip()


def _blocked_mask(text: str) -> bytearray:
    """1 for every character inside maths, URLs or (short) balanced brackets."""
    mask = bytearray(len(text))
    for m in _PROTECTED.finditer(text):
        mask[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if mask[i]:
            continue
        if ch in _BRACKETS:
            stack.append((_BRACKETS[ch], i))
        elif stack and ch == stack[-1][0]:
            _, start = stack.pop()
            if i - start <= _MAX_BRACKET_SPAN:
                mask[start:i] = b"\x01" * (i - start)
    return mask


def _is_boundary(text: str, end: int, punct: str, mask: bytearray) -> bool:
    """Decide whether the punctuation run ``punct`` ending at ``end`` closes a sentence."""
    start = end - len(punct)
    if mask[start]:
        return False
    nxt = _NEXT_START.match(text, end)
    if nxt is None:
        return False
    first = nxt.group(2)
    if first.islower():
        return False
    if "." not in punct or punct.rstrip("\"'’”)]").endswith(("!", "?")):
        return True
    prev = _PREV_WORD.search(text, 0, start)
    if prev is None:
        return True
    word = prev.group(1).lstrip("(\"'[“‘").lower()
    if word in ABBREVIATIONS or word.rstrip(".") in ABBREVIATIONS:
        return False
    # Initials ("J. Smith", "A. B. Author") and list markers like "(i." do not end sentences.
    return not (len(word) == 1 and word.isalpha() and first.isupper() and text[start - 2:start - 1].isspace())


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences (whitespace normalised, order kept, nothing dropped)."""
    text = normalize(text)
    if not text:
        return []
    mask = _blocked_mask(text)
    out: list[str] = []
    begin = 0
    for m in _CANDIDATE.finditer(text):
        if _is_boundary(text, m.end(), m.group(0), mask):
            piece = text[begin:m.end()].strip()
            if piece:
                out.append(piece)
            begin = m.end()
    tail = text[begin:].strip()
    if tail:
        out.append(tail)
    return out
