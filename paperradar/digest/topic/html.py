"""The HTML topic digest: one self-contained page, escaped, no JavaScript.

Paragraphs are assembled here as :class:`markupsafe.Markup` from escaped pieces (paper
text, citations with http(s) links only); everything else reaches the template as plain
strings, which Jinja2's autoescape makes inert.
"""

from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup, escape

from paperradar.digest.html import stylesheet
from paperradar.digest.text import one_line, safe_url, short_url
from paperradar.digest.topic.model import Entity, Sentence, TopicDigest, TopicPaper
from paperradar.digest.topic.render import ALSO, FALLBACK_NOTE, HEADINGS, _fill


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("paperradar.digest.topic", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def cite(p: TopicPaper) -> str:
    who = f" ({escape(p.first_author)})" if p.first_author else ""
    return f'<a href="{escape(p.paper.abs_url)}">“{escape(one_line(p.paper.title))}”</a>{who}'


def _text(s: str) -> str:
    return str(escape(s))


def paragraph(sentences: list[Sentence], by_id: dict[str, TopicPaper]) -> Markup:
    return Markup(" ".join(_fill(s, by_id, _text, cite) for s in sentences))  # noqa: S704 - pieces escaped


def _link(url: str | None) -> str:
    safe = safe_url(url) or (safe_url("https://" + url) if url and "://" not in url else None)
    return f'<a href="{escape(safe)}">{escape(short_url(safe))}</a>' if safe else ""


def entity_item(e: Entity, by_id: dict[str, TopicPaper]) -> Markup:
    out = f"<strong>{escape(e.name)}</strong> ({escape(e.kind)})"
    if e.description:
        out += f": {escape(e.description)}"
    parts = []
    if e.introduced_in:
        parts.append("introduced in " + ", ".join(cite(by_id[i]) for i in e.introduced_in if i in by_id))
    used = [i for i in e.papers if i not in e.introduced_in and i in by_id]
    if used:
        parts.append(("used in " if e.introduced_in or e.kind not in ("code", "data") else "from ")
                     + ", ".join(cite(by_id[i]) for i in used))
    link = _link(e.url)
    if link:
        parts.append(("data: " if e.kind == "data" else "link: ") + link)
    return Markup(out + (". " + "; ".join(parts) + "." if parts else "."))  # noqa: S704 - pieces escaped


def render_html(d: TopicDigest, index_href: str | None = None) -> str:
    by_id = d.by_id()
    footer = f"Backend: {d.backend}."
    if d.dropped_sentences:
        footer += f" {d.dropped_sentences} generated sentences were dropped by the citation checks."
    papers = [{"url": p.paper.abs_url, "title": one_line(p.paper.title),
               "authors": ", ".join(one_line(a) for a in p.paper.authors[:6])
               + (" et al." if len(p.paper.authors) > 6 else ""),
               "categories": ", ".join(p.paper.categories), "date": p.date} for p in d.papers]
    return environment().get_template("topic.html.j2").render(
        d=d, css=stylesheet(), index_href=index_href, headings=HEADINGS, also_heading=ALSO,
        fallback_note=FALLBACK_NOTE, intro=paragraph(d.intro, by_id),
        themes=[{"label": t.label, "fallback": t.fallback, "text": paragraph(t.sentences, by_id)}
                for t in d.themes],
        also=[Markup(cite(by_id[i])) for i in d.also],  # noqa: S704 - escaped in cite()
        entities=[entity_item(e, by_id) for e in d.entities],
        outlook=paragraph(d.outlook, by_id) if d.outlook
        else "None of the selected abstracts states a limitation or a next step.",
        papers=papers, footer=footer)
