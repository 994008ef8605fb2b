"""The web app in process (Starlette's test client): routes, escaping, headers, errors, caching.

One store per module: three real days of ../shared/data plus a day holding a hostile paper,
indexed with a tiny hashing embedder so similar papers and hybrid search run for real.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from paperradar.cli import cli
from paperradar.digest import render_day
from paperradar.models import Summary
from paperradar.store import open_store
from paperradar.web.app import create_app

from .conftest import (
    HOSTILE_CODE,
    HOSTILE_DAY,
    HOSTILE_ID,
    HOSTILE_TITLE,
    WEB_DAYS,
    HashEmbedder,
)


@pytest.fixture(scope="module")
def client(web_store: tuple[Path, Path]) -> TestClient:
    db, data = web_store
    with TestClient(create_app(str(db), data, embedder=HashEmbedder()), raise_server_exceptions=False) as c:
        yield c


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_day_page_groups_papers_with_tldr_chips_and_day_navigation(client: TestClient) -> None:
    r = client.get(f"/day/{WEB_DAYS[1]}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="en">' in html and '<main id="main"' in html
    assert html.count('<article class="paper"') == 456  # unique papers of 2026-04-28
    assert '<section id="cat-cs.CV"' in html and "TL;DR" in html and 'lang="zh"' in html
    assert f'href="/day/{WEB_DAYS[0]}"' in html and f'href="/day/{WEB_DAYS[2]}"' in html
    assert 'href="/day/2026-04-28?category=cs.CL"' in html  # a filter chip
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert "<details><summary" in html and '<details class="abstract">' in html
    cl = client.get(f"/day/{WEB_DAYS[1]}?category=cs.CL").text
    chip = re.search(r'aria-current="page">cs.CL<span class="n">(\d+)</span>', cl)
    assert chip and cl.count('<article class="paper"') == int(chip.group(1)) > 50
    assert client.get(f"/day/{WEB_DAYS[1]}?category=hep-th").status_code == 404


def test_home_is_the_latest_day_and_days_lists_every_day(client: TestClient) -> None:
    assert f"arXiv · {HOSTILE_DAY}" in client.get("/").text
    days = client.get("/days").text
    for d in (*WEB_DAYS, HOSTILE_DAY):
        assert f'href="/day/{d}"' in days


def test_missing_day_is_a_404_naming_the_nearest_dates(client: TestClient) -> None:
    r = client.get("/day/2026-05-20")
    assert r.status_code == 404 and "No papers on that day" in r.text
    assert 'href="/day/2026-04-30"' in r.text and 'href="/day/2026-04-29"' in r.text
    assert client.get("/day/not-a-date").status_code == 404
    assert client.get("/day?date=2026-04-27", follow_redirects=False).headers["location"] == "/day/2026-04-27"


def test_configured_language_wins_over_imported_and_lang_switches(client: TestClient) -> None:
    html = client.get(f"/day/{HOSTILE_DAY}").text
    assert "hostile &amp; fine" in html and "中文摘要" not in html  # English extractive beats newer Chinese
    assert 'href="/day/2026-04-30?lang=Chinese"' in html
    zh = client.get(f"/day/{HOSTILE_DAY}?lang=Chinese").text
    assert "中文摘要" in zh and 'lang="zh"' in zh


def test_hostile_fields_are_escaped_and_unsafe_links_dropped(client: TestClient) -> None:
    for url in (f"/day/{HOSTILE_DAY}", f"/paper/{HOSTILE_ID}", "/search?q=robust+parsing+markup"):
        html = client.get(url).text
        found = tags(html)
        assert not [t for t, _ in found if t in ("img", "svg", "iframe")], url
        scripts = [a for t, a in found if t == "script"]
        assert scripts == [{"src": "/static/app.js", "defer": None}], url
        assert "javascript:" not in html and "&lt;script&gt;" in html, url
        assert not any(k.startswith("on") for _, a in found for k in a), url
    paper = client.get(f"/paper/{HOSTILE_ID}").text
    assert "&lt;svg onload=alert(&#39;author&#39;)&gt;Mallory" in paper
    assert "α²" in paper  # $\alpha^2$ made readable
    assert HOSTILE_CODE not in paper


def test_paper_page_has_fields_links_and_similar_papers(client: TestClient) -> None:
    r = client.get("/paper/2604.22070")
    assert r.status_code == 200
    html = r.text
    assert "Topology Optimization" in html and "Jackson L. Jewett" in html
    assert 'href="https://arxiv.org/abs/2604.22070"' in html
    assert 'href="https://arxiv.org/pdf/2604.22070"' in html
    assert "Similar papers" in html and html.count('<ol class="similar">') == 1
    similar = re.findall(r'<ol class="similar">(.*?)</ol>', html, re.S)[0]
    assert similar.count("<li>") == 6 and "/paper/2604.22070\"" not in similar
    assert "cs.CE" in html
    missing = client.get("/paper/2699.00001")
    assert missing.status_code == 404 and "No such paper" in missing.text


def test_search_highlights_paginates_and_says_when_nothing_is_above_the_floor(client: TestClient) -> None:
    r = client.get("/search?q=diffusion+models")
    assert r.status_code == 200
    assert "<mark>Diffusion</mark>" in r.text or "<mark>diffusion</mark>" in r.text
    assert 'id="next-page" href="/search?q=diffusion+models&amp;page=2"' in r.text
    page2 = client.get("/search?q=diffusion+models&page=2").text
    assert '<ol class="hits" start="21">' in page2 and 'rel="prev"' in page2
    empty = client.get("/search?q=qwxzzyq").text
    assert "Nothing above the relevance floor" in empty and '<ol class="hits"' not in empty
    filtered = client.get("/search?q=language+models&category=cs.CV&mode=bm25").text
    assert 'value="cs.CV"' in filtered and '<option value="bm25" selected>' in filtered


@pytest.mark.parametrize("url", ["/search?q=" + "x" * 301, "/search?q=a&mode=magic", "/search?q=a&page=99",
                                 "/search?q=a&since=yesterday", "/api/search?q=a&k=0"])
def test_bad_parameters_are_a_400_that_says_which(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 400
    assert re.search(r"\b(q|mode|page|since|k)\b", r.text)


def test_api_day_is_the_json_digest_and_days_the_stats_schema(client: TestClient,
                                                              web_store: tuple[Path, Path]) -> None:
    store = open_store(str(web_store[0]), read_only=True)
    expected = json.loads(render_day(store, WEB_DAYS[0], "json"))
    store.close()
    assert client.get(f"/api/day/{WEB_DAYS[0]}").json() == expected
    days = client.get("/api/days").json()
    assert set(days) == {"store", "papers", "days"} and days["store"] == "web.db"
    assert [d["date"] for d in days["days"]] == [*WEB_DAYS, HOSTILE_DAY]
    assert set(days["days"][0]) == {"date", "papers", "categories", "repeats", "already_seen"}
    missing = client.get("/api/day/2026-05-20")
    assert missing.status_code == 404 and missing.json()["nearest_dates"]


def test_api_search_and_paper(client: TestClient) -> None:
    s = client.get("/api/search?q=diffusion&k=5").json()
    assert set(s) == {"query", "mode", "count", "note", "results"} and s["count"] == 5
    assert set(s["results"][0]) == {"rank", "arxiv_id", "date", "title", "categories", "score", "snippet",
                                    "matched", "bm25", "cosine"}
    p = client.get(f"/api/paper/{HOSTILE_ID}").json()
    assert p["title"] == HOSTILE_TITLE and p["summary"]["language"] == "English"
    assert {s["language"] for s in p["summaries"]} == {"English", "Chinese"} and len(p["similar"]) == 6
    assert client.get("/api/paper/2699.00001").status_code == 404
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.") and set(spec["paths"]) == {
        "/api/days", "/api/day/{date}", "/api/paper/{arxiv_id}", "/api/search"}


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for url in ("/", "/nope", "/api/days", "/feeds/latest.atom", "/static/web.css", "/healthz"):
        h = client.get(url).headers
        assert h["content-security-policy"].startswith("default-src 'self'"), url
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer", url


def test_pages_load_nothing_from_other_hosts(client: TestClient) -> None:
    """The privacy property: scripts, styles, images, frames and forms are all on this host."""
    for url in ("/", f"/day/{WEB_DAYS[0]}", "/days", "/paper/2604.22070", "/search?q=graph", "/topics",
                "/trending", "/nope"):
        for tag, attrs in tags(client.get(url).text):
            for name in ("src", "action", "data", "poster", "srcset") + (("href",) if tag == "link" else ()):
                value = attrs.get(name)
                if value:
                    assert not urlsplit(value).netloc and not value.startswith("//"), (url, tag, value)
    css = client.get("/static/web.css").text + client.get("/static/digest.css").text
    assert "url(" not in css and "@import" not in css and "@font-face" not in css


def test_errors_are_friendly_pages_without_traces(client: TestClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from paperradar.web import views

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views, "day_page", boom)
    r = client.get("/day/2026-04-29?category=cs.GT")
    assert r.status_code == 500 and "Something went wrong" in r.text
    assert "Traceback" not in r.text and "secret internal detail" not in r.text
    nf = client.get("/no/such/page")
    assert nf.status_code == 404 and "Page not found" in nf.text
    assert nf.headers["content-type"].startswith("text/html")
    assert client.post("/search").status_code == 405


def test_topics_and_trending_say_what_they_wait_for(client: TestClient) -> None:
    assert "No saved topics yet" in client.get("/topics").text
    assert "Trending needs at least 7 days" in client.get("/trending").text
    assert client.get("/topics/nothing").status_code == 404


def test_cached_pages_revalidate_and_follow_store_changes(web_store: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(web_store[0], db)
    with TestClient(create_app(str(db), None)) as c:
        first = c.get(f"/day/{HOSTILE_DAY}")
        again = c.get(f"/day/{HOSTILE_DAY}", headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304
        assert c.get(f"/day/{WEB_DAYS[1]}", headers={"accept-encoding": "gzip"}).headers.get(
            "content-encoding") == "gzip"
        writer = open_store(str(db))
        writer.upsert_summaries([Summary(HOSTILE_ID, "llm", "m", "English", "A brand new TL;DR", "", "", "",
                                         "", created="2026-06-01T00:00:00Z")])
        writer.close()
        assert "A brand new TL;DR" in c.get(f"/day/{HOSTILE_DAY}").text
        assert "no search index" in c.get("/search?q=robust").text
        assert c.get("/healthz").json()["days"] == 4


def test_serve_refuses_a_missing_store_and_warns_off_loopback(tmp_path: Path, web_store: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    missing = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "serve"])
    assert missing.exit_code == 1 and "no store at" in missing.output
    calls: list[dict] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    res = CliRunner().invoke(cli, ["--db", str(web_store[0]), "serve", "--host", "0.0.0.0", "--port", "8123"])
    assert res.exit_code == 0, res.output
    assert "warning: binding to 0.0.0.0" in res.stderr and calls[0]["port"] == 8123
