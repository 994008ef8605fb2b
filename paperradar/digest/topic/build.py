"""Assemble a topic digest: select, group, extract, write (offline or LLM), title.

One owner for the whole pipeline, so that the CLI, ``paperradar run`` and the
benchmarks make exactly the same digest from the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date as Date

from paperradar.clock import now_iso
from paperradar.digest.topic import entities as entity_mod
from paperradar.digest.topic import prose
from paperradar.digest.topic.model import Theme, TopicDigest, TopicPaper
from paperradar.digest.topic.selection import Window, select, vectors, window
from paperradar.digest.topic.themes import build_themes
from paperradar.errors import DigestError, StoreError
from paperradar.index.search import SearchIndex

MONTHS = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.", "Nov.", "Dec.")
BACKENDS = ("extractive", "llm")


def headline(n: int, query: str, until: str) -> str:
    """SciPapermill's line: ``Latest 72 papers on representation learning: Apr. 4, 2026``."""
    day = Date.fromisoformat(until)
    noun = "paper" if n == 1 else "papers"
    return f"Latest {n} {noun} on {' '.join(query.split())}: {MONTHS[day.month - 1]} {day.day}, {day.year}"


def make_title(query: str, themes: list[Theme]) -> str:
    """Short and specific: the first term of each of the two largest themes."""
    q = " ".join(query.split())
    subject = q[:1].upper() + q[1:]
    heads = [t.terms[0] for t in themes if t.terms][:2]
    if len(heads) == 2 and heads[0] != heads[1]:
        return f"{subject}: {heads[0]} and {heads[1]}"
    if heads:
        return f"{subject}: {heads[0]}"
    return f"{subject} this week"


@dataclass(frozen=True, slots=True)
class TopicRequest:
    query: str
    since: str | None = None
    until: str | None = None
    days: int | None = None
    n: int = 72
    categories: tuple[str, ...] = ()
    backend: str = "extractive"
    language: str = "English"


def claims_for(index: SearchIndex, papers: list) -> dict[str, str]:
    """An English TL;DR per paper: a stored English summary, else extractive from the abstract."""
    ids = [p.arxiv_id for p in papers]
    stored = index.store.summaries_for(ids)
    out: dict[str, str] = {}
    missing = []
    for p in papers:
        claim = prose.english_claim(p, stored.get(p.arxiv_id, []))
        if claim:
            out[p.arxiv_id] = claim
        else:
            missing.append(p)
    if missing:
        stamp = now_iso()
        made = [replace(m, created=stamp) for m in prose.extractive_summaries(missing)]
        out.update({m.arxiv_id: prose.clean(m.tldr) for m in made})
        try:  # keep them, as `paperradar summarize` would: the next digest reuses them
            with index.store.transaction():
                index.store.upsert_summaries(made, replace=False)
        except StoreError:
            pass  # a read-only store: fine, they are made again next time
    return out


def build_topic(index: SearchIndex, request: TopicRequest, writer: object | None = None) -> TopicDigest:
    """The digest for ``request`` over the loaded ``index``.

    ``writer`` (LLM backend) rewrites the prose of an offline digest; see
    :mod:`paperradar.digest.topic.llm`. Without one the digest is fully extractive.
    """
    if request.backend not in BACKENDS:
        raise DigestError(f"unknown topic digest backend {request.backend!r}; use {' or '.join(BACKENDS)}")
    win: Window = window(index, request.since, request.until, request.days)
    chosen = select(index, request.query, win, request.n, list(request.categories) or None)
    claims = claims_for(index, [s.paper for s in chosen])
    papers = [TopicPaper(f"P{k}", s.paper, s.date, s.score, claims.get(s.paper.arxiv_id) or
                         prose.clean(s.paper.title))
              for k, s in enumerate(chosen, 1)]
    themes, also = build_themes(papers, vectors(index, [s.row for s in chosen]), request.query)
    by_id = {p.arxiv_id: p for p in papers}
    for theme in themes:
        theme.sentences = prose.theme_sentences(theme, by_id)
    found = entity_mod.extract(papers)
    with_links = len({i for e in found if e.url for i in (e.introduced_in or e.papers)})
    digest = TopicDigest(
        query=" ".join(request.query.split()), title=make_title(request.query, themes),
        headline=headline(len(papers), request.query, win.until), since=win.since, until=win.until,
        backend="extractive", papers=papers,
        intro=prose.intro(request.query, papers, themes, also, win.since, win.until, with_links),
        themes=themes, also=also, entities=found, outlook=prose.outlook(papers, themes))
    if request.backend == "llm":
        if writer is None:
            raise DigestError("the llm backend needs a writer; see paperradar.digest.topic.llm")
        writer.rewrite(digest)  # type: ignore[attr-defined]
    return digest
