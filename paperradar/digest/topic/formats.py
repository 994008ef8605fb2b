"""The topic digest in any of its formats: one entry point over the Markdown/JSON renderer
(:mod:`.render`) and the HTML one (:mod:`.html`), so neither has to import the other."""

from __future__ import annotations

from paperradar.digest.topic.html import render_html
from paperradar.digest.topic.model import TopicDigest
from paperradar.digest.topic.render import FORMATS, render_json, render_markdown
from paperradar.errors import DigestError


def render_topic(d: TopicDigest, fmt: str) -> str:
    """``d`` as ``md``, ``json`` or ``html``."""
    if fmt == "md":
        return render_markdown(d)
    if fmt == "json":
        return render_json(d)
    if fmt == "html":
        return render_html(d)
    raise DigestError(f"unknown topic digest format {fmt!r}; choose one of {', '.join(FORMATS)}")
