"""The website in a real browser: `paperradar serve` (uvicorn) on 127.0.0.1, driven by Debian's
Chromium through Playwright.

Clicks from a day to a paper, types a search, follows pagination and a feed link, checks
that hostile titles stay text (no dialog ever fires), that no request leaves 127.0.0.1,
that phone (390 px) and desktop layouts never scroll sideways (full-page screenshots as wide
as the viewport), and that everything works with JavaScript off. Playwright's pip wheel
brings its driver; the browser is /usr/bin/chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import httpx
import pytest

from .conftest import HOSTILE_DAY, HOSTILE_ID, HOSTILE_TITLE, WEB_DAYS, build_store

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(db: Path, data: Path, log_path: Path, **env_extra: str) -> Iterator[str]:
    """`paperradar serve` for ``db`` on a free 127.0.0.1 port, as a real process; yields its base
    URL once /healthz answers (60 s at most) and stops it afterwards. Shared by the browser tests."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **env_extra}
    env.pop("PAPERRADAR_WEB_BASE_URL", None)
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "paperradar", "--db", str(db), "--data-dir", str(data),
                             "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("paperradar serve did not come up: " + log_path.read_text())
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from .conftest import DAYS_DIR

    if not DAYS_DIR.is_dir():
        pytest.skip(f"{DAYS_DIR} not found: needs ../shared/data")
    db, data = build_store(tmp_path_factory.mktemp("browser"), dense=False)
    with serving(db, data, tmp_path_factory.getbasetemp() / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is required at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


class Watch:
    """Dialogs that fired and requests that left 127.0.0.1, for one page."""

    def __init__(self, page: object, base: str) -> None:
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(base) else self.foreign.append(r.url))


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_click_day_to_paper_search_paginate_and_feed(server: str, browser: object) -> None:
    page = browser.new_page()
    watch = Watch(page, server)
    page.set_default_timeout(20_000)
    page.goto(f"{server}/day/{WEB_DAYS[0]}")
    first = page.locator("article.paper a.paper-link").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(f"{server}/paper/*")
    assert " ".join(page.locator("h1").inner_text().split()) == " ".join(title.split())

    page.goto(server + "/")
    page.fill("#site-q", "diffusion models")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/search?q=diffusion+models*")
    assert page.locator("li.hit").count() == 20 and page.locator("mark").count() > 0
    page.click("#next-page")
    page.wait_for_url("**page=2*")
    assert page.locator("ol.hits").get_attribute("start") == "21"

    feed_href = page.locator("a", has_text="Atom feed of this search").get_attribute("href")
    response = page.goto(server + feed_href)
    assert response.status == 200 and "atom" in response.headers["content-type"]
    feed = feedparser.parse(response.body())
    assert not feed.bozo and feed.entries
    assert watch.dialogs == [] and watch.foreign == []
    page.close()


def test_hostile_title_stays_text_and_no_dialog_fires(server: str, browser: object) -> None:
    page = browser.new_page()
    watch = Watch(page, server)
    for url in (f"/day/{HOSTILE_DAY}", f"/paper/{HOSTILE_ID}", "/search?q=robust+parsing&mode=bm25"):
        page.goto(server + url)
        page.wait_for_timeout(300)
        assert "Robust" in page.content(), url
    page.goto(f"{server}/day/{HOSTILE_DAY}")
    shown = " ".join(page.locator("article.paper h3 a").first.inner_text().split())
    assert shown == " ".join(HOSTILE_TITLE.replace("$\\alpha^2$", "α²").split())
    assert page.locator("article.paper img, article.paper svg").count() == 0
    assert watch.dialogs == [] and watch.foreign == []
    page.close()


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 390, 844), ("desktop", 1280, 900)])
def test_layouts_never_scroll_sideways(server: str, browser: object, tmp_path: Path, name: str, width: int,
                                       height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    for url in (f"/day/{WEB_DAYS[2]}", f"/paper/{HOSTILE_ID}", "/search?q=graph+neural+networks", "/days",
                "/day/2026-05-20"):
        page.goto(server + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, url, overflow)
        shot = page.screenshot(full_page=url != f"/day/{WEB_DAYS[2]}", path=str(tmp_path / f"{name}.png"))
        shot_width, shot_height = _png_size(shot)
        assert shot_width == width and shot_height >= height // 2, (name, url, shot_width)
    context.close()


def test_works_with_javascript_off(server: str, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/day/{WEB_DAYS[0]}")
    details = page.locator("article.paper details.abstract").first
    assert details.get_attribute("open") is None
    details.locator("summary").click()
    assert details.get_attribute("open") is not None  # <details> opens without script
    page.locator(".chips a", has_text="cs.CL").first.click()
    page.wait_for_url("**category=cs.CL")
    page.fill("#pick-date", WEB_DAYS[1])
    page.click(".datepick button")
    page.wait_for_url(f"{server}/day/{WEB_DAYS[1]}")
    page.fill("#site-q", "speech")
    page.click("form.q button")
    page.wait_for_url("**/search?q=speech")
    assert page.locator("li.hit").count() > 0
    context.close()


def test_keyboard_shortcuts_enhance(server: str, browser: object) -> None:
    page = browser.new_page()
    page.goto(f"{server}/day/{WEB_DAYS[1]}")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-q"
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("l")
    page.wait_for_url(f"{server}/day/{WEB_DAYS[2]}")
    page.close()
