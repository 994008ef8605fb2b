"""Jinja2 for the web pages and feeds: autoescape everywhere, strict undefined.

Every value from data reaches a template as plain text (never ``Markup``), so
nothing a paper says can become markup or script; link targets from data are
limited to http(s) before they get here (:func:`paperradar.digest.text.safe_url`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2

from paperradar.web.links import Links

MAX_QUERY = 300  # characters of a search query (longer ones are refused, not cut)

ASSETS = {  # name -> (package, path inside it, media type)
    "digest.css": ("paperradar.digest", "templates/digest.css", "text/css; charset=utf-8"),
    "web.css": ("paperradar.web", "static/web.css", "text/css; charset=utf-8"),
    "app.js": ("paperradar.web", "static/app.js", "text/javascript; charset=utf-8"),
}


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("paperradar.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template: str, links: Links, feeds: list[tuple[str, str]] | None = None, **context: Any) -> str:
    """``feeds``: ``(title, href)`` of the Atom feeds the page links with ``rel="alternate"``."""
    return environment().get_template(template).render(
        links=links, feeds=feeds or [], max_query=MAX_QUERY, **context)


@cache
def asset(name: str) -> tuple[bytes, str]:
    """The bytes and media type of one bundled stylesheet or script (KeyError if unknown)."""
    package, path, media = ASSETS[name]
    return (resources.files(package) / path).read_bytes(), media
