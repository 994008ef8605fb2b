"""The offline summary backend: the five fields picked out of the abstract itself.

Each sentence of the abstract gets a role (background / objective / method /
result / other) from the shipped classifier; each field is then filled with
whole sentences of the matching roles, in abstract order, up to the field's
word cap. Nothing is invented: every field is text from the abstract (a
sentence that alone overflows a cap is cut at a clause boundary and marked
with "…"), and a field the abstract has nothing for says so plainly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paperradar.enrich.base import RunStats
from paperradar.enrich.roles import default_classifier
from paperradar.enrich.roles.inference import RoleClassifier
from paperradar.enrich.sentences import split_sentences
from paperradar.models import Paper, Summary, SummarySource

MODEL = "paperradar-roles-1"
PROMPT_VERSION = "extractive-1"
CAPS = {"tldr": 40, "motivation": 70, "method": 90, "result": 90, "conclusion": 60}
MISSING = {
    "tldr": "The abstract is empty.",
    "motivation": "The abstract does not state a motivation.",
    "method": "The abstract does not describe the method.",
    "result": "The abstract does not report results.",
    "conclusion": "The abstract does not state a separate conclusion.",
}
BATCH = 64

_CONTRIBUTION = re.compile(
    r"\b(?:we|this (?:paper|work|study|article)|our (?:paper|work))\s+(?:\w+ly\s+)?"
    r"(?:propose|present|introduce|develop|design|build|study|investigate|address|describe|"
    r"formulate|consider|establish|prove|show|demonstrate|explore|examine|analy[sz]e|release|"
    r"construct|curate|derive|provide|offer|report|tackle|revisit|focus|evaluate|leverage|"
    r"extend|aim|seek)",
    re.I,
)
_NUMBER = re.compile(r"\d")
_URL = re.compile(r"https?://|www\.|github\.com", re.I)
_LEAD_IN = re.compile(r"^(?:(?:[^,]{0,120}?),|in this (?:paper|work|study|article|letter|report))\s+"
                      r"(?=(?:we|this paper|this work|our)\b)", re.I)
_REPORTING = re.compile(
    r"^.{0,160}?\b(?:show|shows|demonstrate|demonstrates|indicate|indicates|reveal|reveals|confirm|"
    r"confirms|suggest|suggests|find|found)\s+that\s+", re.I)
_DISCOURSE = re.compile(
    r"^(?:finally|moreover|furthermore|additionally|in addition|overall|also|notably|importantly|"
    r"specifically|in particular|as a result|consequently|thus|hence),\s+", re.I)
_LOWER_FIRST = frozenset((
    "the", "our", "this", "these", "those", "it", "its", "we", "they", "a", "an", "such", "both", "each",
    "all", "results", "experiments", "extensive", "compared", "across", "with", "using", "in", "on", "for",
    "simulation", "simulations", "numerical", "empirical", "experimental", "evaluation", "evaluations",
    "even", "although", "though", "while", "when", "by", "after", "finally", "overall", "there", "here",
    "thus", "as", "moreover", "furthermore", "notably", "specifically",
))
# Where a sentence may be cut: after punctuation, at a dash, before a contrast. Bare "which",
# "by" or "and" are not used: "a rule under which" or "is achieved by" would dangle.
_CLAUSE_BREAK = re.compile(r"[,;:]\s|\s[–—-]\s|\s(?:while|whereas|but)\s")


def word_count(text: str) -> int:
    return len(text.split())


def cut_words(text: str, cap: int) -> str:
    """First ``cap`` words of ``text`` (whitespace tokens), as the fidelity evaluation does."""
    parts = text.split()
    return text if len(parts) <= cap else " ".join(parts[:cap])


def clause_prefix(sentence: str, cap: int, floor: int = 6) -> str | None:
    """The longest prefix of ``sentence`` ending at a clause boundary with ``floor``..``cap``
    words, or None when there is none."""
    head = cut_words(sentence, cap)
    best = None
    for m in _CLAUSE_BREAK.finditer(head):
        if word_count(head[:m.start()]) >= floor:
            best = m.start()
    return None if best is None else head[:best].rstrip(" ,;:–—-")


def trim_clause(sentence: str, cap: int, floor: int = 6) -> str:
    """``sentence`` if it fits ``cap`` words, else cut at the last clause boundary that fits
    (or, failing that, after ``cap`` - 1 words) and marked with "…"."""
    if word_count(sentence) <= cap:
        return sentence
    prefix = clause_prefix(sentence, cap - 1, floor)  # leave room for the "…" marker
    return (prefix or cut_words(sentence, cap - 1).rstrip(" ,;:–—-")) + " …"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(slots=True)
class Sentence:
    index: int
    text: str
    role: str
    words: int


def fill(candidates: Sequence[Sentence], cap: int) -> str:
    """Whole sentences in priority order while they fit, then shown in abstract order.

    If the first candidate alone is over the cap it is cut at a clause boundary.
    """
    chosen: list[Sentence] = []
    used = 0
    for s in candidates:
        if used + s.words <= cap:
            chosen.append(s)
            used += s.words
    if not chosen and candidates:
        return trim_clause(candidates[0].text, cap)
    if chosen and cap - used >= 15:
        rest = [s for s in candidates if s not in chosen]
        if rest:
            piece = trim_clause(rest[0].text, cap - used, floor=8)
            if piece != rest[0].text and word_count(piece) >= 9:
                chosen.append(Sentence(rest[0].index, piece, rest[0].role, word_count(piece)))
    return " ".join(s.text for s in sorted(chosen, key=lambda s: s.index))


def _density(s: Sentence) -> int:
    return len(_NUMBER.findall(s.text)) + sum(1 for w in s.text.split() if w[:1].isupper())


def build_fields(sentences: Sequence[str], roles: Sequence[str]) -> dict[str, str]:
    """The five fields from an abstract's sentences and their roles."""
    sents = [Sentence(i, t, r, word_count(t)) for i, (t, r) in enumerate(zip(sentences, roles, strict=True))]
    if not sents:
        return dict(MISSING)
    by_role: dict[str, list[Sentence]] = {}
    for s in sents:
        by_role.setdefault(s.role, []).append(s)
    background, objective = by_role.get("background", []), by_role.get("objective", [])
    method, result = by_role.get("method", []), by_role.get("result", [])
    contribution = [s for s in sents if _CONTRIBUTION.search(s.text)]

    motivation = sorted(background + objective, key=lambda s: s.index)
    # the opening sentence, then those naming the most (shown in abstract order all the same)
    motivation = motivation[:1] + sorted(motivation[1:], key=lambda s: -len(_names(s.text)))
    method_first = [s for s in objective + contribution if s.role != "result"][:1] + \
        sorted(method, key=lambda s: -len(_names(s.text)))  # the sentences naming the most first
    method_s = [sents[i] for i in dict.fromkeys(s.index for s in method_first)]
    method_s += [s for s in objective + contribution if s not in method_s and s.role != "result"]
    result_s = sorted(result, key=lambda s: (-_density(s), s.index))
    result_s += [s for s in reversed(sents)
                 if s.role == "other" and s not in result_s and not _URL.search(s.text)]
    # then the experimental set-up (method sentences in the second half), which names benchmarks
    result_s += [s for s in reversed(method) if s.index >= len(sents) / 2] if result else []
    closing = [s for s in reversed(sents[1:]) if s.role in ("result", "other") and not _URL.search(s.text)]
    if closing:  # the conclusion restates the contribution only next to a real closing claim
        closing += [s for s in contribution[:1] if s not in closing]

    fields = {
        "motivation": fill(motivation, CAPS["motivation"]),
        "method": fill(method_s, CAPS["method"]),
        "result": fill(result_s, CAPS["result"]),
        "conclusion": fill(closing, CAPS["conclusion"]),
        "tldr": tldr(sents, objective, contribution, method,
                     sorted(result, key=lambda s: (-_density(s), s.index))
                     + [s for s in method if s not in contribution[:1]]
                     + [s for s in sents if s.role == "other" and not _URL.search(s.text)]),
    }
    return {name: value or MISSING[name] for name, value in fields.items()}


def tldr(sents: Sequence[Sentence], objective: Sequence[Sentence], contribution: Sequence[Sentence],
         method: Sequence[Sentence], result: Sequence[Sentence]) -> str:
    """One sentence: what the paper does (compressed) and, when there is one, the claim (from
    ``result``: result sentences, then others) that names the most models, datasets and figures."""
    cap = CAPS["tldr"]
    main = (list(contribution) or list(objective) or list(method) or list(sents))[0]
    whole = _capital(_LEAD_IN.sub("", main.text).rstrip(" ."))
    # each sentence once, in its first place, and never the one the TL;DR opens with
    candidates = [sents[i] for i in dict.fromkeys(s.index for s in result) if i != main.index]
    claims = [_capital(_DISCOURSE.sub("", _REPORTING.sub("", s.text))).rstrip(" .") for s in candidates]
    shortest = min((word_count(c) for c in claims if word_count(c) >= 4), default=None)
    if shortest is not None and word_count(whole) + shortest <= cap:
        does: str | None = whole
    else:
        does = clause_prefix(whole, 22, floor=3)
    if shortest is None or does is None:
        short = trim_clause(whole, cap)
        return short if short.endswith("…") else short + "."
    options = [does] if does is whole else []
    for words in (22, 15):  # shorter statements of what it does leave room for a fuller claim
        options += [p for p in [clause_prefix(whole, words, floor=3)] if p and p not in options]
    best: tuple[int, int, int] | None = None
    chosen: tuple[str, str] | None = None
    for rank_does, head in enumerate(options):
        room = cap - word_count(head)
        fitting = [c for c in claims if 4 <= word_count(c) <= room]
        tails = fitting or [p for p in (clause_prefix(c, room, floor=8) for c in claims) if p]
        for rank_claim, claim in enumerate(tails):
            # the most names and figures (what a reader scans a TL;DR for); ties: the fuller
            # statement of what the paper does, then the denser claim
            key = (len(_names(head) | _names(claim)), -rank_does, -rank_claim)
            if best is None or key > best:
                best, chosen = key, (head, claim)
    if chosen is None or best is None:
        return does + "."
    alone = trim_clause(whole, cap)  # all of what it does, when that names more than any pairing
    if len(_names(alone)) > best[0]:
        return alone if alone.endswith("…") else alone + "."
    head, claim = chosen
    return f"{head}; {_decapitalise(claim, sents)}."


_NAME = re.compile(r"(?<![\w-])(?:[A-Za-z][\w.+-]*\d[\w.+-]*|\d[\d.,]*%?|[a-z]*[A-Z][\w+-]*[A-Z][\w.+-]*)")


def _names(text: str) -> set[str]:
    """Names and figures in ``text``: words holding a digit or two capitals (GPT-4o, BERT,
    DeepSeek, TRUST-SC) and numbers; a capital that only starts a word does not count."""
    return {m.group(0).rstrip(".-").lower() for m in _NAME.finditer(text)}


def _decapitalise(claim: str, sents: Sequence[Sentence]) -> str:
    """Lower-case the claim's first word after the semicolon when it is an ordinary word: a known
    sentence opener, or a capitalised word the abstract also writes in lower case. Names and
    acronyms ("Orion", "BERT", "FactGuard") keep their capitals."""
    first = claim.split(" ", 1)[0]
    lower = first.lower()
    ordinary = lower in _LOWER_FIRST or (
        first.isalpha() and first[1:].islower()
        and re.search(rf"(?<![\w-]){re.escape(lower)}(?![\w-])", " ".join(s.text for s in sents)) is not None)
    return lower + claim[len(first):] if ordinary and first[:1].isupper() else claim


class ExtractiveSummarizer:
    """Summarizer backend that copies role-selected sentences from the abstract."""

    source: SummarySource = "extractive"
    model = MODEL
    prompt_version = PROMPT_VERSION

    def __init__(self, language: str = "English", classifier: RoleClassifier | None = None) -> None:
        # The fields are copied from the abstract, so they are in the abstract's language.
        self.language = "English"
        self.requested_language = language
        self.classifier = classifier

    def summarize_papers(self, papers: Sequence[Paper]) -> list[Summary]:
        classifier = self.classifier or default_classifier()
        split = [split_sentences(p.abstract) for p in papers]
        roles = classifier.predict(split)
        return [
            Summary(arxiv_id=p.arxiv_id, source="extractive", model=self.model, language=self.language,
                    paper_version=p.version, prompt_version=self.prompt_version,
                    **build_fields(sentences, labels))
            for p, sentences, labels in zip(papers, split, roles, strict=True)
        ]

    def summarize_many(self, papers: Sequence[Paper], on_done: Callable[[Summary], None]) -> RunStats:
        stats = RunStats()
        for begin in range(0, len(papers), BATCH):
            for summary in self.summarize_papers(papers[begin:begin + BATCH]):
                on_done(summary)
                stats.done += 1
        return stats
