"""Our own Markdown digest: readable as plain text, safe when rendered (CommonMark / GitHub).

Text from papers is escaped so that Markdown cannot eat it: ``*``, ``_`` at
word edges, brackets, backticks, ``<`` (no raw HTML from data), entity-like
``&``, and block markers at the start of a paragraph. Backslashes stay as they
are unless they would escape the next character, so LaTeX such as ``\\alpha``
reads unchanged. Math (``$...$``, ``$$...$$``) is written as a code span, so
it shows exactly as typed in every renderer, with or without math support.
"""

from __future__ import annotations

import re

from paperradar.digest.authors import shorten_authors
from paperradar.digest.daily import DigestDay, DigestPaper
from paperradar.digest.text import (
    SUMMARY_LABELS,
    one_line,
    paragraphs,
    safe_url,
    short_url,
    stars_text,
)

# $$display$$, or $inline$ whose content neither starts nor ends with a space and whose closing
# dollar is not followed by a digit (so "costs $5 and $6" stays text), as Pandoc decides.
_MATH = re.compile(r"\$\$(?=\S).+?(?<=\S)\$\$|\$(?=[^\s$])[^$]*?(?<=\S)\$(?!\d)", re.S)
_ASCII_PUNCT = r"""!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"""
# Every character Markdown could act on, each escaped by a backslash in front, in one pass:
# a backslash only where it would escape what follows, ``_`` only at word edges (snake_case
# stays readable), ``&`` only where it would start an entity, the rest always.
_SPECIAL = re.compile(
    rf"(?=[\\`*\[\]<~_&])(?:\\(?=[{_ASCII_PUNCT}])|\\$|[`*\[\]<~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?[0-9A-Za-z]+;))"
)
_BLOCK_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[+=|](?=\s|$)|-(?=[\s-]|$)|\d{1,9}(?=[.)](?:\s|$)))")


def _escape_plain(text: str) -> str:
    return _SPECIAL.sub(r"\\\g<0>", text)


def code_span(text: str) -> str:
    """``text`` as a CommonMark code span: literal, whatever it contains."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text: str | None) -> str:
    """One line of paper text, made inert for Markdown (math kept verbatim as code)."""
    text = one_line(text)
    out: list[str] = []
    last = 0
    for m in _MATH.finditer(text):
        out.append(_escape_plain(text[last:m.start()]))
        out.append(code_span(m.group(0)))
        last = m.end()
    out.append(_escape_plain(text[last:]))
    joined = "".join(out)
    # a paragraph must not start a heading, quote, list, table or setext underline
    block = _BLOCK_START.match(joined)
    if block and not joined.startswith("`"):
        if block.group(2).isdigit():
            end = block.end(2)
            joined = joined[:end] + "\\" + joined[end:]
        else:
            joined = joined[:block.start(2)] + "\\" + joined[block.start(2):]
    return joined


def link_url(url: str) -> str:
    """A URL usable as a Markdown link destination."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(
        ">", "%3E")


def anchor(category: str) -> str:
    return "cat-" + re.sub(r"[^0-9A-Za-z_-]+", "-", category)


def header_lines(day: DigestDay) -> list[str]:
    lines = [f"# arXiv digest: {day.date}", ""]
    cats = len(day.categories)
    summary = f", summaries in {day.language}" if day.language else ""
    papers = "paper" if day.total == 1 else "papers"
    lines.append(f"**{day.total} {papers}** in {cats} {'category' if cats == 1 else 'categories'}{summary}.")
    lines.append("")
    if day.repeats:
        lines += [f"> **Repeat:** this day lists exactly the papers of {day.repeats} "
                  "(arXiv announces nothing on weekends and holidays); nothing new here.", ""]
    elif day.already_seen:
        lines += [f"> {day.already_seen} of these papers were already listed on earlier days.", ""]
    if day.trends:
        lines += ["## Trending this week", ""]
        for t in day.trends:
            refs = ", ".join(f"[{escape(title)}](https://arxiv.org/abs/{pid})" for pid, title in t.papers[:2])
            lines.append(f"- **{escape(t.term)}**: {t.recent} papers this week vs {t.baseline} in the "
                         f"4 weeks before (x{t.ratio:g})" + (f"; e.g. {refs}" if refs else ""))
        lines.append("")
    lines += ["## Contents", ""]
    lines += [f"- [{escape(c.name)}](#{anchor(c.name)}): {len(c.papers)}" for c in day.categories]
    lines.append("")
    return lines


def paper_lines(number: int, item: DigestPaper) -> list[str]:
    p = item.paper
    lines = [f"### {number}. [{escape(p.title)}]({link_url(p.abs_url)})", ""]
    authors = shorten_authors(p.authors)
    if authors.total:
        lines.append(f"**Authors:** {escape(authors.text())}  ")
    meta = [f"**Categories:** {escape(', '.join(p.categories or (item.category,)))}"]
    if p.comment:
        meta.append(f"**Comment:** {escape(p.comment)}")
    links = [f"[abs]({link_url(p.abs_url)})", f"[pdf]({link_url(p.pdf_url)})"]
    code_url = safe_url(item.code.url) if item.code else None
    if code_url and item.code:
        stars = stars_text(item.code.stars)
        code = f"code: [{escape(short_url(code_url))}]({link_url(code_url)})"
        links.append(f"{code} {stars}" if stars else code)
    meta.append(" · ".join(links))
    lines.append("  \n".join(meta))
    lines.append("")
    s = item.summary
    if s is not None:
        if s.tldr.strip():
            lines += [f"**TL;DR:** {escape(s.tldr)}", ""]
        fields = [(label, getattr(s, name)) for name, label in SUMMARY_LABELS if getattr(s, name).strip()]
        lines += [f"- **{label}:** {escape(value)}" for label, value in fields]
        if fields:
            lines.append("")
        lines += [f"*Summary: {escape(s.source)}, {escape(s.model)}, {escape(s.language)}*", ""]
    body = paragraphs(p.abstract)
    if body:
        lines += ["<details><summary>Abstract</summary>", ""]
        for para in body:
            lines += [escape(para), ""]
        lines += ["</details>", ""]
    return lines


def render_markdown(day: DigestDay) -> str:
    """The day as our own Markdown digest."""
    lines = header_lines(day)
    number = 0
    for category in day.categories:
        lines += ["", f'<a id="{anchor(category.name)}"></a>', "",
                  f"## {escape(category.name)} ({len(category.papers)})", ""]
        for item in category.papers:
            number += 1
            lines += paper_lines(number, item)
    return "\n".join(lines).rstrip("\n") + "\n"
