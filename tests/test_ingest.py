"""Ingest of daily-arXiv-ai-enhanced files: counts, dedup, repeats, versions, idempotency."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.days import day_info
from paperradar.ingest import ingest_records
from paperradar.models import Listing, Origin, Paper, Record
from paperradar.sources import parse_path
from paperradar.store.copy import TABLES, table_rows

pytestmark = pytest.mark.both_backends  # every test here runs on SQLite and on PostgreSQL


def ingest(store, path: Path):
    return ingest_records(store, parse_path(path), str(path))


def dump(store) -> list:
    """Every row of every table except timestamps, to compare whole-store states (either backend)."""
    return [(t.name, table_rows(store, t.name, drop=("first_seen", "last_changed", "created", "replaced_at")))
            for t in TABLES]


def test_ai_day_is_stored_completely(store, days_dir):
    path = days_dir / "2026-06-30_AI_enhanced_Chinese.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [json.loads(x) for x in handle]
    report = ingest(store, path)
    assert report.read == len(lines) and report.new == len(lines) and report.rejected == 0
    assert report.summaries_added == len(lines)
    first = lines[0]
    paper = store.get_papers([first["id"]])[first["id"]]
    assert paper.title == first["title"]
    assert list(paper.authors) == first["authors"]
    assert paper.abstract == first["summary"]  # exact, line breaks kept
    assert "\n" in paper.abstract
    assert list(paper.categories) == first["categories"]
    listings = store.listings_on("2026-06-30")
    assert [x.arxiv_id for x in listings] == [r["id"] for r in lines]  # file order kept
    assert all(x.category == r["categories"][0] for x, r in zip(listings, lines, strict=True))
    summary = store.summaries_for([first["id"]])[first["id"]][0]
    assert summary.source == "imported" and summary.language == "Chinese"
    assert summary.fields() == first["AI"]
    with_code = [r for r in lines if r.get("code_url")]
    links = store.code_links_for([r["id"] for r in with_code])
    assert {k: v.url for k, v in links.items()} == {r["id"]: r["code_url"] for r in with_code}


def test_reingest_changes_nothing(store, days_dir, tmp_path):
    files = [days_dir / f"2026-06-{d}{s}.jsonl.gz" for d in ("19", "20", "22", "23")
             for s in ("", "_AI_enhanced_Chinese")]
    for f in files:
        ingest(store, f)
    before = dump(store)
    for f in files:
        r = ingest(store, f)
        assert (r.new, r.updated, r.listings_added, r.summaries_added, r.rejected) == (0, 0, 0, 0, 0), f
        assert r.unchanged + r.duplicate == r.read
    assert dump(store) == before


def test_exact_duplicate_lines_are_counted_not_stored(store, days_dir):
    path = days_dir / "2026-06-30.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        raw = handle.read().splitlines()
    report = ingest(store, path)
    assert report.duplicate == len(raw) - len(set(raw)) > 0
    assert report.new == len({json.loads(x)["id"] for x in raw}) == store.count_papers()


def test_weekend_repeat_adds_no_papers_and_is_flagged(store, days_dir):
    ingest(store, days_dir / "2026-06-26_AI_enhanced_Chinese.jsonl.gz")
    n = store.count_papers()
    sat = ingest(store, days_dir / "2026-06-27_AI_enhanced_Chinese.jsonl.gz")
    assert sat.new == 0 and store.count_papers() == n
    assert sat.listings_added == n  # the day is still there, as listings
    info = day_info(store, "2026-06-27")
    assert info.repeats == "2026-06-26" and info.already_seen == n
    assert day_info(store, "2026-06-26").repeats is None


def test_raw_then_ai_file_of_same_day_adds_summaries_only(store, days_dir):
    raw = ingest(store, days_dir / "2026-06-29.jsonl.gz")
    ai = ingest(store, days_dir / "2026-06-29_AI_enhanced_Chinese.jsonl.gz")
    assert raw.new > 0 and ai.new == 0 and ai.updated == 0
    assert ai.summaries_added == ai.read


def _paper(version: int | None, abstract: str, doi: str | None = None) -> Paper:
    return Paper("2606.00001", "A title", ("Ann Author",), abstract, ("cs.CL",), version=version, doi=doi)


def test_newer_version_updates_and_keeps_history(store):
    o = Origin("test")
    ingest_records(store, [Record(_paper(1, "first", doi="10.1/x"), o)], "u1")
    r = ingest_records(store, [Record(_paper(2, "second"), o)], "u2")
    assert r.updated == 1
    stored = store.get_papers(["2606.00001"])["2606.00001"]
    assert (stored.version, stored.abstract, stored.doi) == (2, "second", "10.1/x")  # DOI not erased
    history = store.history("2606.00001")
    assert [(h.version, h.paper.abstract) for h in history] == [(1, "first")]
    # an older version arriving late is stale: nothing changes
    r = ingest_records(store, [Record(_paper(1, "first"), o)], "u3")
    assert (r.updated, r.unchanged) == (0, 1)
    assert store.get_papers(["2606.00001"])["2606.00001"].abstract == "second"


def test_older_day_does_not_overwrite_newer_metadata(store):
    o = Origin("test")

    def rec(day: str, abstract: str) -> Record:
        return Record(_paper(None, abstract), o, listing=Listing("2606.00001", day, "cs.CL", 0))

    ingest_records(store, [rec("2026-06-01", "old text")], "d1")
    assert ingest_records(store, [rec("2026-06-02", "new text")], "d2").updated == 1
    again = ingest_records(store, [rec("2026-06-01", "old text")], "d1")
    assert (again.updated, again.listings_added) == (0, 0)
    assert store.get_papers(["2606.00001"])["2606.00001"].abstract == "new text"


def test_cli_ingest_and_stats(new_location, days_dir):
    db = new_location("cli.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", str(db), "ingest", "--json",
                              str(days_dir / "2026-06-26_AI_enhanced_Chinese.jsonl.gz"),
                              str(days_dir / "2026-06-27_AI_enhanced_Chinese.jsonl.gz")])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["new"] == 261 and report["rejected"] == 0
    assert report["unchanged"] + report["updated"] == 261  # Saturday repeats Friday (one record was edited)
    res = runner.invoke(cli, ["--db", str(db), "stats", "--json"])
    stats = json.loads(res.stdout)
    assert stats["papers"] == 261
    assert [(d["date"], d["repeats"]) for d in stats["days"]] == [("2026-06-26", None),
                                                                  ("2026-06-27", "2026-06-26")]
    res = runner.invoke(cli, ["--db", str(db), "stats"])
    assert "REPEAT of 2026-06-26" in res.stdout


def test_day_info_agrees_with_full_pass(store, days_dir):
    for day in ("2026-06-18", "2026-06-19", "2026-06-20", "2026-06-21", "2026-06-22", "2026-06-23"):
        ingest(store, days_dir / f"{day}_AI_enhanced_Chinese.jsonl.gz")
    from paperradar.days import day_infos

    full = day_infos(store)
    assert [d.repeats for d in full] == [None, None, "2026-06-19", "2026-06-19", "2026-06-19", None]
    assert [day_info(store, d.date) for d in full] == full
