"""``paperradar site build``: every page as a file, every relative link resolving, feeds valid,
reruns rewriting nothing that did not change."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.store import open_store
from paperradar.web.static_site import build_site

from .conftest import HOSTILE_DAY, HOSTILE_ID, WEB_DAYS

HREF = re.compile(r'(?:href|src)="([^"]+)"')


@pytest.fixture(scope="module")
def site(web_store: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    db, data = web_store
    out = tmp_path_factory.mktemp("site") / "site"
    res = CliRunner().invoke(cli, ["--db", str(db), "--data-dir", str(data), "-q", "site", "build",
                                   "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["days"] == 4 and report["papers"] > 700 and report["unchanged"] == 0
    return out


def test_site_has_every_day_paper_feed_and_json(site: Path) -> None:
    for d in (*WEB_DAYS, HOSTILE_DAY):
        assert (site / "day" / f"{d}.html").exists() and (site / "api" / "day" / f"{d}.json").exists()
        assert f'href="./day/{d}.html"' in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "paper" / f"{HOSTILE_ID}.html").exists()
    assert json.loads((site / "api" / "days.json").read_text())["days"][0]["date"] == WEB_DAYS[0]
    for feed_file in [site / "feeds" / "latest.atom", *sorted((site / "feeds" / "category").glob("*.atom"))]:
        feed = feedparser.parse(feed_file.read_bytes())
        assert not feed.bozo and feed.entries, feed_file
    entry = feedparser.parse((site / "feeds" / "latest.atom").read_bytes()).entries[0]
    assert entry.link == f"../paper/{HOSTILE_ID}.html"  # relative to the feed file
    paper = (site / "paper" / "2604.22070.html").read_text(encoding="utf-8")
    assert paper.count('<ol class="similar">') == 1 and 'href="../paper/' in paper
    assert 'action="/search"' not in paper  # no server to search with


def test_every_relative_link_resolves_and_nothing_loads_from_elsewhere(site: Path) -> None:
    pages = [site / "index.html", site / "days.html", site / "trending.html", site / "topics" / "index.html",
             *(site / "day").glob("*.html"), *sorted((site / "paper").glob("*.html"))[:200]]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for target in HREF.findall(html):
            parts = urlsplit(target.replace("&amp;", "&"))
            if parts.scheme in ("http", "https"):
                assert 'href="' + target + '"' in html and f'src="{target}"' not in html, (page, target)
                assert f'<link rel="stylesheet" href="{target}"' not in html
                continue
            if not parts.path:
                continue  # "#anchor"
            assert (page.parent / unquote(parts.path)).resolve().exists(), (page, target)


def test_rerun_rewrites_only_what_changed(web_store: tuple[Path, Path], site: Path) -> None:
    store = open_store(str(web_store[0]), read_only=True)
    again = build_site(store, site, data_dir=web_store[1])
    store.close()
    assert again.written == [] and again.unchanged > 1000
