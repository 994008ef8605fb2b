"""The HTML digest in a real browser: hostile titles stay text and never run.

Headless Chromium loads the page from disk and dumps the DOM after scripts
would have run. Payloads in the titles would mark ``<body data-pwned=...>``
if they ever executed; the DOM must show neither that mark nor any script or
img element, and the title must be there as visible text. Chromium is required
(CI installs it with apt); without it this test fails and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from paperradar.digest import render_day
from paperradar.ingest import ingest_records
from paperradar.models import Listing, Origin, Paper, Record
from paperradar.store import open_store

SCRIPT_TITLE = "<script>document.body.setAttribute('data-pwned','script')</script>Safe <b>bold</b> title"
IMG_TITLE = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">Image title $x_i$"
SVG_ABSTRACT = "<svg onload=\"document.body.setAttribute('data-pwned','svg')\"></svg> abstract & more"
AUTHOR = "<script>document.body.setAttribute('data-pwned','author')</script>Mallory"
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium() -> str:
    found = next((c for c in CANDIDATES if os.access(c, os.X_OK)), None) or shutil.which("chromium")
    if found is None:
        pytest.fail("headless Chromium is required for this test but was not found at "
                    f"{', '.join(CANDIDATES)} or on PATH; install it with `apt-get install -y chromium`")
    return found


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.h3_text: list[str] = []
        self._in_h3 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "h3":
            self._in_h3 += 1
            self.h3_text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_h3 -= 1

    def handle_data(self, data: str) -> None:
        if self._in_h3:
            self.h3_text[-1] += data


def test_hostile_titles_render_as_text_in_chromium(tmp_path: Path) -> None:
    browser = chromium()
    store = open_store(str(tmp_path / "s.db"))
    papers = [Paper("2606.10001", SCRIPT_TITLE, (AUTHOR,), SVG_ABSTRACT, ("cs.CR",)),
              Paper("2606.10002", IMG_TITLE, ("Eve",), "Plain.", ("cs.CR",))]
    ingest_records(store, [Record(p, Origin("t"), Listing(p.arxiv_id, "2026-06-01", "cs.CR", i))
                           for i, p in enumerate(papers)], "t")
    page = tmp_path / "day.html"
    page.write_text(render_day(store, "2026-06-01", "html"), encoding="utf-8")
    store.close()

    profile = tmp_path / "profile"
    try:
        run = _dump_dom(browser, profile, page)
    except subprocess.TimeoutExpired:
        pytest.fail("Chromium did not finish within 60 s: a script from the data may be running on the page")
    assert run.returncode == 0, run.stderr[-2000:]
    dom = _Dom()
    dom.feed(run.stdout)
    tags = [t for t, _ in dom.tags]
    assert "body" in tags and "h3" in tags, run.stdout[:2000]
    assert not {"script", "img", "svg"} & set(tags)
    body = next(attrs for t, attrs in dom.tags if t == "body")
    assert "data-pwned" not in body
    titles = [" ".join(t.split()) for t in dom.h3_text]
    assert titles == ["1. " + SCRIPT_TITLE, "2. " + IMG_TITLE]


def _dump_dom(browser: str, profile: Path, page: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=2000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60,
    )
