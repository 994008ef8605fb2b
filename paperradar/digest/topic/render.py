"""Markdown, HTML and JSON for a topic digest.

Citations are rendered here, from ids, never taken from model or paper text: a cited
paper appears as its quoted title (linked to arXiv) and first author "et al.". Paper
text is escaped for the format (Markdown specials, HTML entities); link targets are
http(s) only. The JSON keys are the documented schema (docs/topics.md) and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from paperradar.digest.markdown import escape as md_escape
from paperradar.digest.markdown import link_url
from paperradar.digest.text import one_line, safe_url, short_url
from paperradar.digest.topic.model import Entity, Sentence, TopicDigest, TopicPaper

FORMATS = ("md", "html", "json")
HEADINGS = ("The Big Idea(s) & Core Innovations", "Under the Hood: Models, Datasets, & Benchmarks",
            "Impact & The Road Ahead")
ALSO = "Also this week"
FALLBACK_NOTE = "(extractive: the LLM's text for this section did not pass the checks)"


def _fill(sentence: Sentence, by_id: dict[str, TopicPaper], text: Callable[[str], str],
          cite: Callable[[TopicPaper], str]) -> str:
    refs = [by_id[i] for i in sentence.papers if i in by_id]
    pieces = sentence.text.split("{cite}")
    out = text(pieces[0])
    first = True
    for piece in pieces[1:]:
        out += cite(refs[0]) if refs and first else ""
        first = False
        out += text(piece)
    rest = refs[1:] if len(pieces) > 1 else refs
    if rest:
        tail = ", ".join(cite(r) for r in rest)
        out = out.rstrip()
        end = out[-1] if out and out[-1] in ".!?…" else ""
        out = (out[:-1] if end else out) + f" ({tail}){end or '.'}"
    return out


def plain_cite(p: TopicPaper) -> str:
    who = f" ({p.first_author})" if p.first_author else ""
    return f"“{one_line(p.paper.title)}”{who}"


def plain(sentences: list[Sentence], by_id: dict[str, TopicPaper]) -> str:
    return " ".join(_fill(s, by_id, one_line, plain_cite) for s in sentences)


# -- Markdown -----------------------------------------------------------------------------------------------

def _md_text(s: str) -> str:
    # keep the spaces at the edges of fragments between citations
    lead = " " if s[:1].isspace() else ""
    trail = " " if s[-1:].isspace() and s.strip() else ""
    core = md_escape(s)
    return f"{lead}{core}{trail}" if core else lead


def md_cite(p: TopicPaper) -> str:
    who = f" ({md_escape(p.first_author)})" if p.first_author else ""
    return f"[“{md_escape(p.paper.title)}”]({link_url(p.paper.abs_url)}){who}"


def md_paragraph(sentences: list[Sentence], by_id: dict[str, TopicPaper]) -> str:
    return " ".join(_fill(s, by_id, _md_text, md_cite) for s in sentences)


def _md_link(url: str | None) -> str:
    safe = safe_url(url) or (safe_url("https://" + url) if url and "://" not in url else None)
    return f"[{md_escape(short_url(safe))}]({link_url(safe)})" if safe else ""


def md_entity(e: Entity, by_id: dict[str, TopicPaper]) -> str:
    head = f"- **{md_escape(e.name)}** ({e.kind})"
    if e.description:
        head += f": {md_escape(e.description)}"
    parts = []
    if e.introduced_in:
        parts.append("introduced in " + ", ".join(md_cite(by_id[i]) for i in e.introduced_in if i in by_id))
    used = [i for i in e.papers if i not in e.introduced_in and i in by_id]
    if used:
        parts.append(("used in " if e.introduced_in or e.kind not in ("code", "data") else "from ")
                     + ", ".join(md_cite(by_id[i]) for i in used))
    link = _md_link(e.url)
    if link:
        parts.append(("data: " if e.kind == "data" else "link: ") + link)
    return head + (". " + "; ".join(parts) + "." if parts else ".")


def render_markdown(d: TopicDigest) -> str:
    by_id = d.by_id()
    out = [f"# {md_escape(d.title)}", "", f"**{md_escape(d.headline)}**", "",
           md_paragraph(d.intro, by_id), ""]
    out += [f"## {HEADINGS[0]}", ""]
    for t in d.themes:
        out += [f"### {md_escape(t.label)}", ""]
        if t.fallback:
            out += [f"*{FALLBACK_NOTE}*", ""]
        out += [md_paragraph(t.sentences, by_id), ""]
    if d.also:
        out += [f"### {ALSO}", ""] + [f"- {md_cite(by_id[i])}" for i in d.also] + [""]
    out += [f"## {HEADINGS[1]}", ""]
    out += [md_entity(e, by_id) for e in d.entities] or ["No model, dataset, benchmark or link is named."]
    out += ["", f"## {HEADINGS[2]}", ""]
    if d.outlook_fallback:
        out += [f"*{FALLBACK_NOTE}*", ""]
    out += [md_paragraph(d.outlook, by_id) if d.outlook else
            "None of the selected abstracts states a limitation or a next step.", ""]
    out += ["## Papers in this issue", ""]
    for k, p in enumerate(d.papers, 1):
        authors = ", ".join(one_line(a) for a in p.paper.authors[:6]) + (" et al." if len(p.paper.authors) > 6
                                                                          else "")
        out.append(f"{k}. [{md_escape(p.paper.title)}]({link_url(p.paper.abs_url)}), {md_escape(authors)} "
                   f"({', '.join(p.paper.categories)}; listed {p.date})")
    note = f"Backend: {d.backend}."
    if d.dropped_sentences:
        note += f" {d.dropped_sentences} generated sentences were dropped by the citation checks."
    out += ["", f"*{note}*", ""]
    return "\n".join(out)


# -- JSON ---------------------------------------------------------------------------------------------------

def topic_dict(d: TopicDigest) -> dict[str, Any]:
    by_id = d.by_id()
    return {
        "query": d.query, "title": d.title, "headline": d.headline, "since": d.since, "until": d.until,
        "backend": d.backend,
        "papers": [{"id": p.arxiv_id, "title": one_line(p.paper.title), "authors": list(p.paper.authors),
                    "categories": list(p.paper.categories), "url": p.paper.abs_url} for p in d.papers],
        "themes": [{"label": t.label, "text": plain(t.sentences, by_id), "papers": list(t.papers),
                    "fallback": t.fallback} for t in d.themes],
        "also": list(d.also),
        "entities": [{"name": e.name, "kind": e.kind, "url": e.url, "papers": list(e.papers),
                      "introduced": e.introduced} for e in d.entities],
        "outlook": {"text": plain(d.outlook, by_id), "papers": d.outlook_papers(),
                    "fallback": d.outlook_fallback},
        "dropped_sentences": d.dropped_sentences,
    }


def render_json(d: TopicDigest) -> str:
    return json.dumps(topic_dict(d), ensure_ascii=False, indent=2) + "\n"
