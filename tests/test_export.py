"""export --format dae-jsonl: the daily-arXiv-ai-enhanced layout, round-tripped through ingest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.models import SUMMARY_FIELDS
from paperradar.store import open_store

DAY = "2026-06-25"
KEYS = ["id", "categories", "pdf", "abs", "authors", "title", "comment", "summary"]


pytestmark = pytest.mark.both_backends  # every test here runs on SQLite and on PostgreSQL


def _invoke(db: str, *args: str):
    res = CliRunner().invoke(cli, ["--db", str(db), "-q", *args])
    assert res.exit_code == 0, res.output
    return res


def test_export_then_ingest_round_trip(tmp_path: Path, new_location, days_dir: Path) -> None:
    db = new_location("a.db")
    _invoke(db, "ingest", str(days_dir / f"{DAY}.jsonl.gz"))
    _invoke(db, "summarize", "--date", DAY)
    out = tmp_path / f"{DAY}_AI_enhanced_English.jsonl"
    _invoke(db, "export", "--date", DAY, "--format", "dae-jsonl", "-o", str(out))

    lines = out.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 26
    for r in records:
        assert list(r)[:8] == KEYS and list(r)[-1] == "AI"
        assert set(r["AI"]) == set(SUMMARY_FIELDS)
        assert r["abs"] == f"https://arxiv.org/abs/{r['id']}"
    # same order of keys and same papers as the crawler's own AI file for that day
    with gzip.open(days_dir / f"{DAY}_AI_enhanced_Chinese.jsonl.gz", "rt", encoding="utf-8") as handle:
        theirs = [json.loads(line) for line in handle]
    assert [k for k in theirs[0] if k != "AI"][:8] == KEYS
    assert {r["id"] for r in records} == {t["id"] for t in theirs}

    source = open_store(str(db))
    fresh_db = new_location("b.db")
    _invoke(fresh_db, "ingest", str(out))
    fresh = open_store(str(fresh_db))
    try:
        ids = [r["id"] for r in records]
        assert fresh.get_papers(ids) == source.get_papers(ids)
        ours = source.summaries_for(ids, language="English")
        back = fresh.summaries_for(ids, language="English")
        for arxiv_id in ids:
            assert back[arxiv_id][0].fields() == ours[arxiv_id][0].fields()
            assert back[arxiv_id][0].source == "imported"
        assert [x.arxiv_id for x in fresh.listings_on(DAY)] == [x.arxiv_id for x in source.listings_on(DAY)]
    finally:
        source.close()
        fresh.close()


def test_export_leaves_out_papers_without_summary(new_location, days_dir: Path) -> None:
    db = new_location("a.db")
    _invoke(db, "ingest", str(days_dir / f"{DAY}.jsonl.gz"))
    res = CliRunner().invoke(cli, ["--db", str(db), "export", "--date", DAY, "-o", "-"])
    assert res.exit_code == 0
    assert "26 paper(s)" in res.output and "no English summary" in res.output


def test_export_unknown_day(new_location) -> None:
    db = new_location("e.db")
    open_store(db).close()  # an empty store (a missing one is "no store at")
    res = CliRunner().invoke(cli, ["--db", db, "export", "--date", "2020-01-01"])
    assert res.exit_code == 1 and "no listings stored for 2020-01-01" in res.output
