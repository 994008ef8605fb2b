"""``paperradar site build``: the website as static files, from the same views and templates.

For people who publish on GitHub Pages (as daily-arXiv-ai-enhanced users do) or just open
the folder from disk. Layout (every link relative, so the folder works under any sub-path)::

    index.html  days.html            every day in the store, newest first
    day/<date>.html  day/<date>.md   the day page, and the Markdown digest
    paper/<id>.html                  one page per listed paper
    topics/index.html  topics/<name>.html  trending.html
    feeds/latest.atom  feeds/category/<cat>.atom  feeds/topic/<name>.atom
    api/days.json  api/day/<date>.json  api/paper/<id>.json   (the JSON API's answers)
    static/                          the stylesheets and the (optional) script
    404.html

Only files whose bytes changed are rewritten (each via :func:`paperradar.files.atomic_write`),
so a daily rerun touches the new day, the index and the feeds, and a web server never
serves half a file. Search needs the server (``paperradar serve``); static pages leave
the search box out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from paperradar.days import day_infos
from paperradar.digest.json_out import day_dict
from paperradar.digest.markdown import render_markdown
from paperradar.errors import SearchIndexError, SiteError
from paperradar.files import atomic_write
from paperradar.store.base import Store
from paperradar.web import api, feeds, topics, views
from paperradar.web.links import Links
from paperradar.web.render import ASSETS, asset, render

if TYPE_CHECKING:
    from paperradar.index.search import SearchIndex


@dataclass
class SiteReport:
    out: Path
    days: int = 0
    papers: int = 0
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    newest: str | None = None

    def as_dict(self) -> dict:
        return {"out": str(self.out), "days": self.days, "papers": self.papers, "newest": self.newest,
                "written": len(self.written), "unchanged": self.unchanged}


class _Writer:
    def __init__(self, out: Path, report: SiteReport) -> None:
        self.out = out
        self.report = report

    def __call__(self, relative: str, data: str | bytes) -> None:
        path = self.out / relative
        body = data.encode("utf-8") if isinstance(data, str) else data
        try:
            if path.read_bytes() == body:
                self.report.unchanged += 1
                return
        except OSError:
            pass
        try:
            atomic_write(path, body)
        except OSError as exc:
            raise SiteError(f"cannot write {path}: {exc}") from exc
        self.report.written.append(path)


def _depth(relative: str) -> int:
    return relative.count("/")


def _json(data: object) -> bytes:
    options = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(data, option=options)


def build_site(store: Store, out_dir: str | Path, *, data_dir: Path | None = None,
               base_url: str | None = None, progress: Callable[[int, int], None] | None = None) -> SiteReport:
    """Write the static site of ``store`` into ``out_dir``; ``data_dir`` (with its search index)
    adds similar papers to paper pages; ``base_url`` makes feed links absolute."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SiteError(f"cannot build the site in {out}: it is a file, not a folder")
    report = SiteReport(out)
    write = _Writer(out, report)
    dates = store.listing_dates()
    report.days, report.newest = len(dates), dates[-1] if dates else None

    for name in ASSETS:
        write(f"static/{name}", asset(name)[0])
    infos = list(reversed(day_infos(store)))
    latest_feed = [("Latest papers", "feeds/latest.atom")]

    def page_feeds(relative: str) -> list[tuple[str, str]]:
        prefix = "../" * _depth(relative)
        return [(title, prefix + href) for title, href in latest_feed]

    for relative in ("index.html", "days.html"):
        write(relative, render("days.html.j2", Links(static=True), page_feeds(relative), days=infos))
    links_404 = Links(static=True, root=base_url) if base_url else Links(static=True)
    write("404.html", render("error.html.j2", links_404, [], status=404, heading="Page not found",
                             message="There is no page at this address.", dates=[]))
    write("api/days.json", _json(api.days_dict(store, list(reversed(infos)))))

    listed: dict[str, str] = {}
    for date in dates:
        page = views.day_page(store, date, dates=dates)
        write(f"day/{date}.html", render("day.html.j2", Links(static=True, depth=1), page_feeds("day/x"),
                                         day=page))
        day = views.digest_day(store, date)
        write(f"day/{date}.md", render_markdown(day))
        write(f"api/day/{date}.json", _json(day_dict(day)))
        for listing in store.listings_on(date):
            listed[listing.arxiv_id] = date

    index = _open_index(store, data_dir)
    row_of = {d.arxiv_id: row for row, d in enumerate(index.docs)} if index is not None else {}
    note = None if index is not None and index.ranker.dense is not None else (
        "Similar papers appear once the store has a semantic search index (`paperradar index`).")
    ids = sorted(listed)
    for done, arxiv_id in enumerate(ids, 1):
        similar = views.similar_rows(index, row_of, arxiv_id) if index is not None and note is None else []
        page_rel = f"paper/{arxiv_id}.html"
        paper = views.paper_page(store, arxiv_id, similar=similar, similar_note=note)
        if paper is not None:
            write(page_rel, render("paper.html.j2", Links(static=True, depth=_depth(page_rel)),
                                   page_feeds(page_rel), p=paper))
            data = api.paper_api_dict(store, arxiv_id, similar)
            write(f"api/paper/{arxiv_id}.json", _json(data))
            report.papers += 1
        if progress is not None:
            progress(done, len(ids))

    feed_links = (lambda depth: Links(static=True, root=base_url)) if base_url else (
        lambda depth: Links(static=True, depth=depth))
    write("feeds/latest.atom", feeds.render_feed(feeds.latest_feed(store, feed_links(1))))
    recent = dates[-feeds.CATEGORY_DAYS:]
    categories = sorted({x.category for d in recent for x in store.listings_on(d)})
    for category in categories:
        feed = feeds.category_feed(store, category, feed_links(2))
        if feed is not None:
            write(f"feeds/category/{category}.atom", feeds.render_feed(feed))

    saved = topics.saved_topics(store)
    write("topics/index.html", render("topics.html.j2", Links(static=True, depth=1), page_feeds("topics/x"),
                                      topics=saved))
    for topic in saved:
        write(f"topics/{topic.name}.html", render("topic.html.j2", Links(static=True, depth=1),
                                                  page_feeds("topics/x"), topic=topic))
        topic_feed = feeds.topic_feed(store, topic, feed_links(2))
        write(f"feeds/topic/{topic.name}.atom", feeds.render_feed(topic_feed))
    _profile_feeds(store, write, feed_links(2))
    write("trending.html", render("trending.html.j2", Links(static=True), page_feeds("trending.html"),
                                  trending=topics.trending(store)))
    return report


def _profile_feeds(store: Store, write: Callable[[str, str], object], links: Links) -> None:
    """``feeds/profile/<name>.<token>.atom``: the file name carries the secret token, as the server's
    ``?token=`` does (a static host serves no query strings). Only once delivery made the secret."""
    from paperradar.deliver import signing
    from paperradar.errors import ConfigError

    try:
        key = signing.secret(store, create=False)
    except ConfigError:
        return
    for record in store.list_profiles():
        name = record.name
        file = f"feeds/profile/{name}.{signing.feed_token(key, name)}.atom"
        write(file, feeds.render_feed(feeds.profile_feed(store, name, links, file)))


def _open_index(store: Store, data_dir: Path | None) -> SearchIndex | None:
    if data_dir is None or not (data_dir / "index" / "state.json").exists():
        return None
    from paperradar.index.search import SearchIndex

    try:
        return SearchIndex.open(store, data_dir / "index")
    except SearchIndexError:
        return None
