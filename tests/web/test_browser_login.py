"""Sign-in and the feedback loop in a real browser: ``paperradar serve`` on 127.0.0.1 with
``web.auth = password`` driven by /usr/bin/chromium through Playwright, on the small delivery store
(five papers, profile ``ana``; no shared data)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deliverkit import make_store

from paperradar.deliver import signing
from paperradar.store import open_store
from paperradar.web.auth import set_password

from .test_browser import browser, serving  # noqa: F401 - browser is a module-scoped fixture

PASSWORD = "browser test password"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, bytes]]:
    root = tmp_path_factory.mktemp("login")
    db = make_store(root / "p.db")
    store = open_store(str(db))
    key = signing.secret(store)
    set_password(store, PASSWORD)
    store.close()
    with serving(db, root / "p.data", root / "serve.log", PAPERRADAR_WEB_AUTH="password") as base:
        yield base, db, key


def _ranked(page: object) -> list[str]:
    return page.locator("li.ranked-paper").evaluate_all("els => els.map(e => e.dataset.id)")  # type: ignore


def test_login_then_thumbs_down_changes_the_ranking(served: tuple[str, Path, bytes],
                                                    browser: object) -> None:  # noqa: F811
    base, _, _ = served
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(base + "/profile/ana")
    page.wait_for_url(base + "/login?next=*")
    page.fill("#password", "not the password")
    page.click("#login-submit")
    assert "Wrong password" in page.locator("#login-error").inner_text()
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(base + "/profile/ana")
    cookie = next(c for c in context.cookies() if c["name"] == "paperradar_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    before = _ranked(page)
    assert len(before) >= 2 and page.locator("p.why").count() == len(before)
    top = before[0]
    page.locator(f'li[data-id="{top}"] button.v-down').click()
    page.wait_for_load_state()
    page.reload()
    after = _ranked(page)
    assert top not in after[:1] and (top not in after or after.index(top) > 0)
    assert after[0] == before[1]
    # the settings form round-trips
    page.fill("#keywords", "graphs, markup")
    page.click("#save-settings")
    page.wait_for_url(base + "/profile/ana?saved=1")
    assert page.locator("#keywords").input_value() == "graphs, markup"
    page.click("#logout")
    page.wait_for_url(base + "/login")
    page.goto(base + "/profile/ana")
    page.wait_for_url(base + "/login?next=*")
    context.close()


def test_forged_and_expired_links_are_refused(served: tuple[str, Path, bytes],
                                              browser: object) -> None:  # noqa: F811
    base, db, key = served
    page = browser.new_page()  # type: ignore[attr-defined]  # not signed in: links need no login
    page.set_default_timeout(20_000)
    good = signing.feedback_query(key, "ana", "2606.00003", "save")
    forged = good.replace("v=save", "v=up")
    expired = signing.feedback_query(key, "ana", "2606.00003", "save", now=time.time() - 40 * 86400)
    response = page.goto(f"{base}/feedback?{forged}")
    assert response.status == 403 and "not genuine" in page.locator("main").inner_text()
    response = page.goto(f"{base}/feedback?{expired}")
    assert response.status == 403 and "expired" in page.locator("main").inner_text()
    store = open_store(str(db), read_only=True)
    assert "2606.00003" not in {f.arxiv_id for f in store.feedback_for("ana")}
    store.close()
    response = page.goto(f"{base}/feedback?{good}")
    assert response.status == 200 and page.locator("#feedback-done").is_visible()
    store = open_store(str(db), read_only=True)
    assert {f.arxiv_id: f.verdict for f in store.feedback_for("ana")}["2606.00003"] == "save"
    store.close()
    page.close()
