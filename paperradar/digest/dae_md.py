"""The daily-arXiv-ai-enhanced Markdown digest, reproduced byte for byte.

Reverse-engineered from that project's published ``data/<date>.md`` files:

* a table of contents (``- [cat](#cat) [Total: N]``), then per category an
  anchor ``<div id='cat'></div>`` and a heading with a back link;
* papers numbered ``[1]``, ``[2]`` ... across the whole day, not per category;
* authors joined by a bare comma, title, abstract and summary fields written
  exactly as stored (the abstract keeps arXiv's own line breaks and indents,
  nothing is escaped, stripped or truncated);
* paper blocks separated by one blank line on top of the block's own trailing
  blank line; the file ends right after the last ``</details>`` line.

Only categories with papers appear. A paper without any summary gets empty
fields, except that the TL;DR falls back to the abstract's first sentence so
the line still says something.
"""

from __future__ import annotations

from paperradar.digest.daily import DigestDay, DigestPaper

NO_SUMMARY = "No concise summary available."


def _fallback_tldr(abstract: str) -> str:
    flat = " ".join(abstract.split())
    return flat.split(". ")[0].strip() if flat else NO_SUMMARY


def _paper_block(number: int, item: DigestPaper) -> str:
    p, s = item.paper, item.summary
    if s is not None:
        tldr, motivation, method, result, conclusion = (
            s.tldr, s.motivation, s.method, s.result, s.conclusion)
    else:
        tldr, motivation, method, result, conclusion = _fallback_tldr(p.abstract), "", "", "", ""
    return (
        f"### [{number}] [{p.title}]({p.abs_url})\n"
        f"*{','.join(p.authors)}*\n\n"
        f"Main category: {item.category}\n\n"
        f"TL;DR: {tldr}\n\n\n"
        "<details>\n"
        "  <summary>Details</summary>\n"
        f"Motivation: {motivation}\n\n"
        f"Method: {method}\n\n"
        f"Result: {result}\n\n"
        f"Conclusion: {conclusion}\n\n"
        f"Abstract: {p.abstract}\n\n"
        "</details>\n"
    )


def render_dae_md(day: DigestDay) -> str:
    """The day in daily-arXiv-ai-enhanced's Markdown layout."""
    parts = ["<div id=toc></div>\n\n# Table of Contents\n\n"]
    parts.extend(f"- [{c.name}](#{c.name}) [Total: {len(c.papers)}]\n" for c in day.categories)
    number = 0
    for category in day.categories:
        parts.append(f"\n\n<div id='{category.name}'></div>\n\n# {category.name} [[Back]](#toc)\n\n")
        blocks = []
        for item in category.papers:
            number += 1
            blocks.append(_paper_block(number, item))
        parts.append("\n\n".join(blocks))
    return "".join(parts)
