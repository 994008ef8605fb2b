"""The one library call behind ``paperradar digest topic``: open the index, resolve a
saved topic name, build, render."""

from __future__ import annotations

from pathlib import Path

from paperradar.digest.topic.build import TopicRequest, build_topic
from paperradar.digest.topic.formats import render_topic
from paperradar.digest.topic.model import TopicDigest
from paperradar.errors import DigestError
from paperradar.index.search import SearchIndex
from paperradar.index.state import staleness
from paperradar.store.base import Store


def resolve_query(store: Store, query: str, categories: list[str] | None) -> tuple[str, list[str] | None]:
    """A saved topic's query and categories when ``query`` is a saved topic's name."""
    finder = getattr(store, "get_topic", None)
    if finder is None:
        return query, categories
    saved = finder(query.strip())
    if saved is None:
        return query, categories
    return saved.query, categories if categories else (list(saved.categories) or None)


def make_digest(store: Store, index_folder: Path, query: str, *, since: str | None = None,
                until: str | None = None, days: int | None = None, n: int = 72,
                categories: list[str] | None = None, backend: str = "extractive",
                language: str | None = None, llm_cache: Path | None = None,
                index: SearchIndex | None = None, llm: dict | None = None,
                writer: object | None = None) -> TopicDigest:
    """The digest (view-model). ``backend="llm"``: ``writer`` (a
    :class:`~paperradar.digest.topic.llm.TopicWriter`), else one built from ``llm`` (the keyword
    arguments of :func:`~paperradar.digest.topic.llm.build_writer`) and ``llm_cache``."""
    query, categories = resolve_query(store, query, categories)
    if index is None:
        note = staleness(store, index_folder)
        if note == "no search index yet":
            raise DigestError("a topic digest needs the search index; run `paperradar index` first")
        index = SearchIndex.open(store, index_folder)
    own = None
    if backend == "llm" and writer is None:
        from paperradar.digest.topic.llm import build_writer

        own = writer = build_writer(language=language or "English", cache_path=llm_cache, **(llm or {}))
    request = TopicRequest(query=query, since=since, until=until, days=days, n=n,
                           categories=tuple(categories or ()), backend=backend,
                           language=language or "English")
    try:
        return build_topic(index, request, writer if backend == "llm" else None)
    finally:
        if own is not None:
            own.close()


def topic_digest(store: Store, index_folder: Path, query: str, *, fmt: str = "md", **options: object) -> str:
    """The rendered digest (``fmt``: md, html or json)."""
    return render_topic(make_digest(store, index_folder, query, **options), fmt)  # type: ignore[arg-type]
