"""Repeated searches come from a bounded LRU of result pages, keyed on the query and filters,
and never outlive a change of the store (``data_version``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.testclient import TestClient

from paperradar.models import Summary
from paperradar.store import open_store
from paperradar.web.app import create_app

from .conftest import HOSTILE_ID, HashEmbedder


def test_search_pages_are_cached_until_the_store_changes(web_store: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    db, data = tmp_path / "copy.db", tmp_path / "copy.data"
    shutil.copy(web_store[0], db)
    shutil.copytree(web_store[1], data)
    with TestClient(create_app(str(db), data, embedder=HashEmbedder())) as c:
        first = c.get("/search?q=speech+recognition")
        assert first.status_code == 200 and first.headers["x-search-cache"] == "miss"
        again = c.get("/search?q=speech+recognition")
        assert again.headers["x-search-cache"] == "hit" and again.text == first.text
        other = c.get("/search?q=speech+recognition&mode=bm25")  # other filters: another page
        assert other.headers["x-search-cache"] == "miss"
        assert c.get("/search?q=speech+recognition", headers={"if-none-match": first.headers["etag"]}
                     ).status_code == 304
        writer = open_store(str(db))
        writer.upsert_summaries([Summary(HOSTILE_ID, "llm", "m", "English", "New", "", "", "", "",
                                         created="2026-06-01T00:00:00Z")])
        writer.close()
        assert c.get("/search?q=speech+recognition").headers["x-search-cache"] == "miss"
        assert c.get("/search").status_code == 200  # the empty form is never cached
