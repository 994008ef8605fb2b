"""Saved topics (`paperradar topic add/list/remove`) and `paperradar run` rendering the due ones
into the site folder with an index of past issues, on the real-days store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.digest.topic.saved import is_due
from paperradar.store import open_store
from paperradar.store.base import SavedTopic, TopicIssue


@pytest.fixture
def db(topic_db: Path, tmp_path: Path) -> Path:
    """A private copy of the shared store and its index (run ingests into it)."""
    copy = tmp_path / "papers.db"
    shutil.copy(topic_db, copy)
    shutil.copytree(topic_db.with_name("papers.data"), tmp_path / "papers.data")
    return copy


def run(db: Path, *args: str):
    result = CliRunner().invoke(cli, ["--db", str(db), *args], env={"PAPERRADAR_CATEGORIES": ""})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_add_list_remove_and_errors(db: Path) -> None:
    assert run(db, "topic", "add", "agents", "large language model  agents").exit_code == 0
    res = run(db, "topic", "add", "diffusion", "diffusion models", "--categories", "cs.CV, cs.LG",
              "--every", "day")
    assert res.exit_code == 0
    listed = json.loads(run(db, "topic", "list", "--json").stdout)
    assert [t["name"] for t in listed] == ["agents", "diffusion"]
    assert listed[0]["query"] == "large language model agents" and listed[0]["every"] == "week"
    assert listed[1]["categories"] == ["cs.CV", "cs.LG"] and listed[1]["issues"] == 0
    bad = run(db, "topic", "add", "../etc", "x")
    assert bad.exit_code == 1 and "topic name" in bad.output
    assert run(db, "topic", "add", "empty", "  ").exit_code == 1
    missing = run(db, "topic", "remove", "nope")
    assert missing.exit_code == 1 and "agents" in missing.output
    assert run(db, "topic", "remove", "diffusion").exit_code == 0
    assert [t["name"] for t in json.loads(run(db, "topic", "list", "--json").stdout)] == ["agents"]


def test_saved_name_works_as_a_digest_query(db: Path) -> None:
    run(db, "topic", "add", "gnn", "graph neural networks", "--categories", "cs.LG")
    res = run(db, "-q", "digest", "topic", "gnn", "--until", "2026-07-01", "--days", "3", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["query"] == "graph neural networks" and data["papers"]
    assert all(any(c.startswith("cs.LG") for c in p["categories"]) for p in data["papers"])


def test_due_rule() -> None:
    store = open_store(":memory:")
    weekly = SavedTopic("w", "q", (), "week")
    daily = SavedTopic("d", "q", (), "day")
    store.add_topic(weekly)
    store.add_topic(daily)
    assert is_due(store, weekly, "2026-07-01") and is_due(store, daily, "2026-07-01")
    for t in (weekly, daily):
        store.record_topic_issue(TopicIssue(t.name, "2026-06-25", "2026-07-01", 3, "x"))
    assert not is_due(store, weekly, "2026-07-01") and not is_due(store, daily, "2026-07-01")
    assert is_due(store, daily, "2026-07-02") and not is_due(store, weekly, "2026-07-07")
    assert is_due(store, weekly, "2026-07-08")
    assert store.remove_topic("w") and store.topic_issues("w") == [] and not store.remove_topic("w")


def test_run_renders_due_topics_with_an_index_of_issues(db: Path, tmp_path: Path) -> None:
    run(db, "topic", "add", "agents", "large language model agents")
    site = tmp_path / "site"
    res = run(db, "run", "--offline", "--site", str(site), "--skip", "summarize", "--skip", "index", "--json")
    assert res.exit_code == 0, res.output
    files = {Path(f).relative_to(site).as_posix() for f in json.loads(res.stdout)["topics"]}
    issue = "topics/agents/2026-07-01"
    assert {f"{issue}.md", f"{issue}.html", f"{issue}.json", "topics/agents/index.html",
            "topics/digests.html"} <= files
    data = json.loads((site / f"{issue}.json").read_text(encoding="utf-8"))
    assert data["query"] == "large language model agents" and data["since"] == "2026-06-25"
    assert data["headline"].startswith(f"Latest {len(data['papers'])} papers on large language model agents")
    topic_index = (site / "topics/agents/index.html").read_text(encoding="utf-8")
    assert 'href="2026-07-01.html"' in topic_index and data["title"].split(":")[0] in topic_index
    assert 'href="agents/index.html"' in (site / "topics/digests.html").read_text(encoding="utf-8")
    site_topics = (site / "topics/index.html").read_text(encoding="utf-8")  # the website's topics page
    assert 'href="digests.html"' in site_topics and "agents" in site_topics
    assert data["papers"][0]["title"].split()[0] in (site / "topics/agents.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in (site / f"{issue}.html").read_text(encoding="utf-8")
    # a rerun the same day: nothing is due, nothing rendered again
    again = run(db, "run", "--offline", "--site", str(site), "--skip", "summarize", "--skip", "index",
                "--json")
    assert again.exit_code == 0
    assert not any("/agents/2026" in f for f in json.loads(again.stdout)["topics"])
    assert "not due" in again.stderr
    listed = json.loads(run(db, "topic", "list", "--json").stdout)
    assert listed[0]["issues"] == 1 and listed[0]["latest"] == "2026-07-01"
