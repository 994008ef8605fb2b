"""Small text helpers shared by our own Markdown, HTML and JSON digests."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# arXiv abstracts are hard-wrapped; a new paragraph is a line break followed by an indent
# (or a blank line). Everything else is just a wrapped line.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]+|\n\s*\n")

LANGUAGE_TAGS = {
    "chinese": "zh", "english": "en", "japanese": "ja", "korean": "ko", "german": "de",
    "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt", "russian": "ru",
}

SUMMARY_LABELS = (("motivation", "Motivation"), ("method", "Method"), ("result", "Result"),
                  ("conclusion", "Conclusion"))


def one_line(text: str | None) -> str:
    """Collapse all whitespace (line breaks in titles, names, comments) to single spaces."""
    return " ".join(text.split()) if text else ""


def paragraphs(text: str | None) -> list[str]:
    """Abstract -> paragraphs, each on one line."""
    if not text:
        return []
    return [p for p in (one_line(part) for part in _PARAGRAPH_BREAK.split(text.strip())) if p]


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL we may link to, else None (no ``javascript:`` from data)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return None
    return url


def short_url(url: str) -> str:
    """``https://github.com/a/b`` -> ``github.com/a/b`` for link text."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") or url


def language_tag(language: str | None) -> str | None:
    """BCP 47 tag for a language name ("Chinese" -> "zh") so browsers pick the right fonts."""
    if not language:
        return None
    return LANGUAGE_TAGS.get(language.strip().lower())


def stars_text(stars: int | None) -> str:
    if stars is None:
        return ""
    return f"★ {stars:,}"
