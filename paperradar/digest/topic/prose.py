"""The offline writer: theme paragraphs, opening and outlook built from the papers' own
sentences, each sentence citing the paper it comes from.

Nothing is invented. A paper's claim is its summary's TL;DR (an English summary in the
store, else the extractive one made on the spot from the abstract); the only words added
are the citation and a subject swap so that the sentence reads as prose ("We propose X"
becomes "In “Title” (Li et al.), the authors propose X"). The outlook takes the
abstracts' sentences about limitations, open problems and future work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from paperradar.digest.topic.model import Sentence, Theme, TopicPaper
from paperradar.enrich.sentences import split_sentences
from paperradar.models import Paper, Summary

CITE = "{cite}"
_WE = re.compile(r"^(?:[^,;]{0,80},\s+)?we\s+", re.I)
_OUR = re.compile(r"^our\s+", re.I)
_THIS = re.compile(r"^(?:[^,;]{0,80},\s+)?(?:this|the|the present|the current|our)\s+"
                   r"(?:paper|work|study|article|letter|report)\s+(?=\w+s\b)", re.I)
_OUTLOOK = re.compile(
    r"\b(?:future (?:work|research|directions?|studies)|open (?:problems?|questions?|challenges?)|"
    r"limitations?|remains? (?:an? )?(?:open|challenging|unclear|unexplored|difficult)|"
    r"pav(?:e|es|ing) the way|opens? (?:up )?(?:new )?(?:avenues|directions|possibilities)|"
    r"we hope|promising (?:direction|avenue|step)|call for|calls for|implications? for|"
    r"step toward|steps toward|towards? (?:more|safer|reliable|trustworthy)|"
    r"broader (?:impact|adoption)|practical deployment|real-world deployment)\b", re.I)
_BRACES = re.compile(r"[{}]")
MAX_OUTLOOK = 7


def clean(text: str) -> str:
    """One line, no braces (they would read as a citation slot)."""
    return _BRACES.sub("", " ".join(text.split()))


def english_claim(paper: Paper, summaries: Sequence[Summary]) -> str | None:
    english = [s for s in summaries if (s.language or "").lower() == "english" and s.tldr.strip()]
    if not english:
        return None
    english.sort(key=lambda s: ({"llm": 0, "imported": 1, "extractive": 2}.get(s.source, 3), s.created or ""))
    return clean(english[0].tldr)


def extractive_summaries(papers: Sequence[Paper]) -> list[Summary]:
    """Summaries picked from the abstracts by the shipped sentence-role classifier."""
    if not papers:
        return []
    from paperradar.enrich.extractive import ExtractiveSummarizer

    return ExtractiveSummarizer().summarize_papers(list(papers))


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and first.isalpha():
        return first.lower() + text[len(first):]
    return text


def cited(claim: str, paper_id: str) -> Sentence:
    """``claim`` as a sentence citing ``paper_id`` in the ``{cite}`` slot."""
    claim = clean(claim).rstrip()
    if not claim.endswith((".", "…", "!", "?")):
        claim += "."
    if _WE.match(claim):
        text = f"In {CITE}, the authors " + claim[_WE.match(claim).end():]  # type: ignore[union-attr]
    elif _OUR.match(claim):
        text = f"In {CITE}, their " + claim[_OUR.match(claim).end():]  # type: ignore[union-attr]
    elif _THIS.match(claim):
        text = f"{CITE} " + claim[_THIS.match(claim).end():]  # type: ignore[union-attr]
    else:
        text = f"{CITE} reports that " + _lower_first(claim)
    return Sentence(text, (paper_id,))


def theme_sentences(theme: Theme, by_id: dict[str, TopicPaper]) -> list[Sentence]:
    return [cited(by_id[i].claim, i) for i in theme.papers]


def intro(query: str, papers: Sequence[TopicPaper], themes: Sequence[Theme], also: Sequence[str],
          since: str, until: str, with_links: int) -> list[Sentence]:
    """Facts about the selection, no claims: counts, themes, links."""
    if not papers:
        return [Sentence(f"No paper listed between {since} and {until} is relevant enough to "
                         f"“{clean(query)}” to be included.")]
    parts = [f"{t.label} ({len(t.papers)})" for t in themes]
    span = f"between {since} and {until}" if since != until else f"on {until}"
    out = [Sentence(f"This issue covers the {len(papers)} papers listed {span} that the search finds "
                    f"relevant to “{clean(query)}”, every one of them cited below.")]
    if parts:
        out.append(Sentence(f"They fall into {len(themes)} theme{'s' if len(themes) != 1 else ''}: "
                            + "; ".join(parts) + "."
                            + (f" {len(also)} more are listed under “Also this week”." if also else "")))
    if with_links:
        out.append(Sentence(f"{with_links} of the papers point to released code, models or data."))
    return out


def outlook(papers: Sequence[TopicPaper], themes: Sequence[Theme],
            limit: int = MAX_OUTLOOK) -> list[Sentence]:
    """Limitation / future-work / implication sentences of the abstracts, one per paper,
    spread over the themes (round robin, most central papers first)."""
    theme_of = {i: n for n, t in enumerate(themes) for i in t.papers}
    by_theme: dict[int, list[tuple[str, str]]] = {}
    order = {i: k for t in themes for k, i in enumerate(t.papers)}
    for p in sorted(papers, key=lambda p: order.get(p.arxiv_id, 10**6)):
        for sentence in split_sentences(p.paper.abstract)[1:]:
            if _OUTLOOK.search(sentence) and 6 <= len(sentence.split()) <= 60:
                by_theme.setdefault(theme_of.get(p.arxiv_id, len(themes)), []).append((p.arxiv_id, sentence))
                break
    chosen: list[Sentence] = []
    queues = [by_theme[k] for k in sorted(by_theme)]
    while queues and len(chosen) < limit:
        for q in list(queues):
            if not q:
                queues.remove(q)
                continue
            pid, sentence = q.pop(0)
            chosen.append(cited(sentence, pid))
            if len(chosen) >= limit:
                break
    return chosen
