"""Atom feeds (RFC 4287) parsed by feedparser: well-formed (no bozo), stable ids, links back here."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from starlette.testclient import TestClient

from paperradar.web.app import create_app
from paperradar.web.feeds import rfc3339

from .conftest import HOSTILE_DAY, HOSTILE_ID, HOSTILE_TITLE, WEB_DAYS, HashEmbedder


@pytest.fixture(scope="module")
def client(web_store: tuple[Path, Path]) -> TestClient:
    db, data = web_store
    with TestClient(create_app(str(db), data, embedder=HashEmbedder())) as c:
        yield c


def parse(client: TestClient, url: str) -> feedparser.FeedParserDict:
    r = client.get(url)
    assert r.status_code == 200, url
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, (url, feed.get("bozo_exception"))
    assert feed.version == "atom10"
    return feed


def test_latest_feed_has_stable_versioned_ids_and_escapes_titles(client: TestClient) -> None:
    feed = parse(client, "/feeds/latest.atom")
    assert feed.feed.id.startswith("tag:paperradar.local,2026:") and feed.feed.updated
    [entry] = feed.entries  # the newest day holds the hostile paper only
    assert entry.id == f"https://arxiv.org/abs/{HOSTILE_ID}v2"
    assert entry.title == HOSTILE_TITLE  # text, exactly: escaped in the XML, not dropped
    assert entry.link == f"http://testserver/paper/{HOSTILE_ID}"
    assert entry.summary == "<b>TLDR</b> hostile & fine" and entry.summary_detail.type == "text/plain"
    assert entry.updated.startswith(HOSTILE_DAY)
    assert {t.term for t in entry.tags} == {"cs.CR", "cs.CL"}
    assert parse(client, "/feeds/latest.atom").entries[0].id == entry.id  # same id on every fetch


def test_category_feed_covers_recent_days(client: TestClient) -> None:
    feed = parse(client, "/feeds/category/cs.CL.atom")
    assert len(feed.entries) > 100 and len({e.id for e in feed.entries}) == len(feed.entries)
    assert all(e.link.startswith("http://testserver/paper/") for e in feed.entries)
    assert all(e.summary for e in feed.entries)
    assert all(e.updated[:4] == "2026" for e in feed.entries)
    assert client.get("/feeds/category/hep-th.atom").status_code == 404


def test_search_feed_is_a_saved_search(client: TestClient) -> None:
    feed = parse(client, "/feeds/search.atom?q=diffusion+models")
    assert 5 <= len(feed.entries) <= 50 and "diffusion models" in feed.feed.title
    api = client.get("/api/search?q=diffusion+models&k=50").json()
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == [r["arxiv_id"] for r in api["results"]]
    assert client.get("/feeds/search.atom").status_code == 400
    assert client.get("/feeds/topic/none.atom").status_code == 404


def test_every_html_page_links_its_feed(client: TestClient) -> None:
    for url in ("/", f"/day/{WEB_DAYS[0]}", "/days", f"/paper/{HOSTILE_ID}", "/search?q=graph"):
        assert '<link rel="alternate" type="application/atom+xml"' in client.get(url).text, url


def test_rfc3339_dates() -> None:
    assert rfc3339("2026-04-27", "2026-01-01") == "2026-04-27T00:00:00Z"
    assert rfc3339("2026-04-27T10:11Z", "2026-01-01") == "2026-04-27T10:11:00Z"
    assert rfc3339("2026-04-27T10:11:12+02:00", "x") == "2026-04-27T10:11:12+02:00"
    assert rfc3339("Mon, 27 Apr", "2026-04-28") == "2026-04-28T00:00:00Z"
