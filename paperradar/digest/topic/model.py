"""The topic digest's view-model: what every renderer (Markdown, HTML, JSON) and both
writers (extractive, LLM) share.

Prose is a list of :class:`Sentence`, each carrying the ids of the papers it cites, so
that citations are data, not text: a renderer turns them into quoted titles with links,
and a checker can prove every citation is in the selection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paperradar.models import Paper


@dataclass(frozen=True, slots=True)
class TopicPaper:
    """One selected paper, with its short key (``P1``...) for prompts and its listing date."""

    key: str
    paper: Paper
    date: str
    score: float
    claim: str  # one sentence of the paper's own text (summary or abstract) saying what it does

    @property
    def arxiv_id(self) -> str:
        return self.paper.arxiv_id

    @property
    def first_author(self) -> str:
        authors = [a for a in self.paper.authors if a.strip()]
        if not authors:
            return ""
        surname = " ".join(authors[0].split()).split(" ")[-1]
        return surname + (" et al." if len(authors) > 1 else "")

    def text(self) -> str:
        """Everything the paper says about itself: title, abstract, comment."""
        return " ".join(f"{self.paper.title} {self.paper.abstract} {self.paper.comment or ''}".split())


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence with its citations. ``text`` may hold ``{cite}`` once, where the
    first cited paper's reference goes; other cited papers are appended after it."""

    text: str
    papers: tuple[str, ...] = ()


@dataclass(slots=True)
class Theme:
    label: str
    papers: list[str]  # ids, most central first
    sentences: list[Sentence] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    fallback: bool = False  # LLM backend: this paragraph is the extractive one


@dataclass(slots=True)
class Entity:
    name: str
    kind: str  # model | dataset | benchmark | method | code | data
    url: str | None
    papers: list[str]
    introduced_in: list[str]  # the papers (subset of ``papers``) that say they introduce it
    description: str = ""

    @property
    def introduced(self) -> bool:
        return bool(self.introduced_in)


@dataclass(slots=True)
class TopicDigest:
    query: str
    title: str
    headline: str
    since: str
    until: str
    backend: str
    papers: list[TopicPaper]
    intro: list[Sentence]
    themes: list[Theme]
    also: list[str]
    entities: list[Entity]
    outlook: list[Sentence]
    dropped_sentences: int = 0
    outlook_fallback: bool = False  # LLM backend: the outlook is the extractive one
    notes: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, TopicPaper]:
        return {p.arxiv_id: p for p in self.papers}

    def outlook_papers(self) -> list[str]:
        return list(dict.fromkeys(i for s in self.outlook for i in s.papers))
