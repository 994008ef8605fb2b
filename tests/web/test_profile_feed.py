"""``/feeds/profile/<name>.atom?token=``: the profile's delivered papers behind its secret token, and
the same feed in the static site under a file name that carries the token."""

from __future__ import annotations

from pathlib import Path

import feedparser
from deliverkit import DAY, HOSTILE, make_store
from starlette.testclient import TestClient

from paperradar.deliver import deliver_profile, signing
from paperradar.store import open_store
from paperradar.web.app import create_app
from paperradar.web.static_site import build_site


def _delivered(tmp_path: Path) -> tuple[Path, str]:
    db = make_store(tmp_path / "p.db", email=None)  # no address: recorded for the feed only
    store = open_store(str(db))
    assert deliver_profile(store, "ana", DAY).papers == 5
    token = signing.feed_token(signing.secret(store), "ana")
    store.close()
    return db, token


def test_feed_needs_the_right_token(tmp_path: Path) -> None:
    db, token = _delivered(tmp_path)
    with TestClient(create_app(str(db), tmp_path / "p.data")) as client:
        ok = client.get(f"/feeds/profile/ana.atom?token={token}")
        assert ok.status_code == 200 and ok.headers["content-type"].startswith("application/atom+xml")
        assert ok.headers["cache-control"] == "private, no-store"
        feed = feedparser.parse(ok.text)
        assert len(feed.entries) == 5 and feed.entries[0].title == " ".join(HOSTILE.split())
        assert "<script>" not in ok.text
        for bad in ("", "?token=", f"?token={token[:-1]}x", f"?token={token}0"):
            assert client.get(f"/feeds/profile/ana.atom{bad}").status_code == 404
        assert client.get(f"/feeds/profile/bo.atom?token={token}").status_code == 404


def test_static_site_has_the_same_feed(tmp_path: Path) -> None:
    db, token = _delivered(tmp_path)
    store = open_store(str(db))
    build_site(store, tmp_path / "site")
    path = tmp_path / "site" / "feeds" / "profile" / f"ana.{token}.atom"
    assert path.is_file()
    assert len(feedparser.parse(path.read_text()).entries) == 5
