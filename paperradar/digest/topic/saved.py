"""Saved topics and their schedule: which topic digests ``paperradar run`` renders, into
which files, with an index of past issues per topic.

This module alone decides when a saved topic is due (``every`` week: its last issue's
``--until`` is 7 or more days before the newest listing; ``day``: 1 or more) and records
each rendered issue in the store, so a rerun on the same day renders nothing again.

Site layout, under the site folder::

    topics/digests.html                   every saved topic's digest archive, newest issue first
    topics/<slug>/index.html              that topic's past issues
    (topics/index.html is the website's topics page, written by the site build)
    topics/<slug>/<until>.md|.html|.json  one issue
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from paperradar.clock import now_iso
from paperradar.digest.topic.html import environment
from paperradar.errors import DigestError
from paperradar.files import atomic_write
from paperradar.store.base import SavedTopic, Store, TopicIssue

EVERY = {"week": 7, "day": 1}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "topic"


def add_topic(store: Store, name: str, query: str, categories: list[str] | None = None,
              every: str = "week") -> SavedTopic:
    name = name.strip()
    if not _NAME.match(name):
        raise DigestError(f"topic name {name!r}: use 1-64 letters, digits, spaces, '.', '_' or '-'")
    if not query.strip():
        raise DigestError(f"topic {name!r}: the query is empty")
    if every not in EVERY:
        raise DigestError(f"topic {name!r}: --every must be week or day, not {every!r}")
    topic = SavedTopic(name, " ".join(query.split()), tuple(categories or ()), every, now_iso())
    store.add_topic(topic)
    return topic


def remove_topic(store: Store, name: str) -> None:
    if not store.remove_topic(name.strip()):
        known = ", ".join(t.name for t in store.list_topics()) or "none saved"
        raise DigestError(f"no saved topic named {name!r} (saved: {known})")


def is_due(store: Store, topic: SavedTopic, until: str) -> bool:
    issues = store.topic_issues(topic.name)
    if not issues:
        return True
    gap = (Date.fromisoformat(until) - Date.fromisoformat(issues[0].until)).days
    return gap >= EVERY.get(topic.every, 7)


@dataclass
class ScheduleReport:
    rendered: list[TopicIssue] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name: why"
    written: list[Path] = field(default_factory=list)


def write_due_topics(store: Store, index_folder: Path, site_dir: str | Path, until: str) -> ScheduleReport:
    """Render every saved topic that is due on ``until`` into ``site_dir/topics``."""
    from paperradar.digest.topic.html import render_html
    from paperradar.digest.topic.render import render_json, render_markdown
    from paperradar.digest.topic.service import make_digest
    from paperradar.index.search import SearchIndex
    from paperradar.index.state import read_state

    report = ScheduleReport()
    topics = store.list_topics()
    if not topics:
        return report
    root = Path(site_dir) / "topics"
    if read_state(index_folder) is None:
        report.skipped = [f"{t.name}: no search index yet (run `paperradar index`)" for t in topics]
        return report
    index = SearchIndex.open(store, index_folder)
    for topic in topics:
        if not is_due(store, topic, until):
            report.skipped.append(f"{topic.name}: not due (every {topic.every})")
            continue
        digest = make_digest(store, index_folder, topic.query, until=until, days=EVERY[topic.every],
                             categories=list(topic.categories) or None, index=index)
        folder = root / slug(topic.name)
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, text in (("md", render_markdown(digest)), ("html", render_html(digest, "index.html")),
                             ("json", render_json(digest))):
            report.written.append(atomic_write(folder / f"{until}.{suffix}", text.encode("utf-8")))
        issue = TopicIssue(topic.name, digest.since, until, len(digest.papers), digest.title, now_iso(),
                           tuple(p.arxiv_id for p in digest.papers))
        store.record_topic_issue(issue)
        report.rendered.append(issue)
        report.written.append(_write_topic_index(store, topic, folder))
    report.written.append(_write_site_index(store, topics, root))
    return report


def _write_topic_index(store: Store, topic: SavedTopic, folder: Path) -> Path:
    issues = [i for i in store.topic_issues(topic.name) if (folder / f"{i.until}.html").exists()]
    page = environment().get_template("topic_index.html.j2").render(
        heading=f"{topic.name}: “{topic.query}”", up="../digests.html",
        rows=[{"href": f"{i.until}.html", "label": i.title,
               "meta": f"{i.since} – {i.until} · {i.papers} papers"} for i in issues])
    return atomic_write(folder / "index.html", page.encode("utf-8"))


def _write_site_index(store: Store, topics: list[SavedTopic], root: Path) -> Path:
    rows = []
    for t in topics:
        issues = store.topic_issues(t.name)
        meta = f"every {t.every} · {len(issues)} issue{'s' if len(issues) != 1 else ''}"
        if issues:
            meta += f" · latest {issues[0].until}"
        rows.append({"href": f"{slug(t.name)}/index.html", "label": f"{t.name}: “{t.query}”", "meta": meta})
    root.mkdir(parents=True, exist_ok=True)
    page = environment().get_template("topic_index.html.j2").render(
        heading="Topic digests", up="index.html", rows=rows)
    return atomic_write(root / "digests.html", page.encode("utf-8"))
