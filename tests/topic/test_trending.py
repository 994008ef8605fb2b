"""Trending phrases on real days: planted bursts are found, shuffled dates find nothing,
overlapping phrases merge, the CLI prints counts and JSON."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.digest.trending import detect, llr, phrases, trending
from paperradar.ingest import ingest_records
from paperradar.models import Record
from paperradar.sources import parse_path
from paperradar.store import open_store

DAYS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"
PLANT = "zorblax manifold distillation"
PLANTED = 12


def _days() -> list[str]:
    names = sorted(p.name[:10] for p in DAYS_DIR.glob("????-??-??.jsonl.gz"))
    return names[-16:]


@pytest.fixture(scope="module")
def trend_db(tmp_path_factory) -> Path:
    """The last 16 real days; PLANTED papers first listed in the last week get a made-up
    phrase (in every copy of them, since papers are listed again on later days)."""
    db = tmp_path_factory.mktemp("trend") / "papers.db"
    store = open_store(str(db))
    days = _days()
    by_day = {d: [r for r in parse_path(DAYS_DIR / f"{d}.jsonl.gz") if isinstance(r, Record)] for d in days}
    seen: set[str] = set()
    chosen: set[str] = set()
    for day in days:
        fresh = [r.paper.arxiv_id for r in by_day[day] if r.paper.arxiv_id not in seen]
        if day >= days[-5]:
            chosen.update(fresh[::17][:PLANTED - len(chosen)])
        seen.update(r.paper.arxiv_id for r in by_day[day])
    for day in days:
        records = [dataclasses.replace(r, paper=dataclasses.replace(
            r.paper, abstract=f"{r.paper.abstract} We use {PLANT}.")) if r.paper.arxiv_id in chosen else r
            for r in by_day[day]]
        ingest_records(store, records, day)
    store.close()
    assert len(chosen) == PLANTED
    return db


def test_phrases_do_not_cross_stop_words_or_punctuation() -> None:
    grams = phrases("We propose 3D Gaussian Splatting, a method for real-time rendering.")
    assert {"3d gaussian splatting", "gaussian splatting", "real-time rendering"} <= grams
    assert "splatting method" not in grams and "propose" not in grams and "for real-time" not in grams


def test_llr_is_zero_without_change_and_grows_with_it() -> None:
    assert llr(10, 100, 40, 400) == pytest.approx(0.0, abs=1e-9)
    assert llr(30, 100, 40, 400) > llr(20, 100, 40, 400) > 0


def test_planted_burst_is_found_and_merged(trend_db: Path) -> None:
    store = open_store(str(trend_db))
    report = trending(store, days=7, baseline_days=14, top=10)
    store.close()
    assert report.recent_papers > 500 and report.baseline_papers > 1000
    terms = [t.term for t in report.trends]
    hit = next(t for t in report.trends if "zorblax" in t.term)
    assert terms.index(hit.term) < 10 and hit.significant
    assert hit.recent == PLANTED and hit.baseline == 0
    # the planted phrase's sub-phrases are merged into one entry, not listed apart
    assert sum("zorblax" in t for t in terms) == 1
    assert hit.term == PLANT and {"zorblax", "zorblax manifold"} <= set(hit.merged)
    assert all(t.significant for t in report.trends) and all(t.llr >= report.threshold for t in report.trends)
    assert hit.papers and set(hit.papers) <= set(report.titles)


def test_shuffled_dates_find_nothing(trend_db: Path) -> None:
    store = open_store(str(trend_db))
    papers = list(store.iter_papers())
    store.close()
    rng = random.Random(7)
    for _ in range(2):
        flags = [rng.random() < 0.3 for _ in papers]
        docs = [(p.arxiv_id, f"{p.title}. {p.abstract}", f) for p, f in zip(papers, flags, strict=True)
                if PLANT not in p.abstract]
        trends, tested, threshold, n1, n2 = detect(docs)
        assert tested > 500 and n1 > 300 and n2 > 300
        assert trends == [], [t.term for t in trends]


def test_cli_text_and_json(trend_db: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["-q", "--db", str(trend_db), "trending", "--days", "7", "--baseline-days", "14",
                              "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"since", "until", "baseline_since", "baseline_until", "recent_papers", "baseline_papers",
            "tested", "threshold", "trends", "method"} <= set(data)
    first = data["trends"][0]
    assert {"term", "recent", "baseline", "ratio", "llr", "papers", "merged", "significant"} <= set(first)
    res = runner.invoke(cli, ["-q", "--db", str(trend_db), "trending", "--days", "7", "--baseline-days", "14",
                              "--all", "--top", "5"])
    assert res.exit_code == 0 and "zorblax" in res.stdout and " vs " in res.stdout
