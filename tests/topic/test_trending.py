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


def test_phrase_cache_gives_the_same_report_and_is_reused(trend_db: Path, tmp_path: Path) -> None:
    import sqlite3

    store = open_store(str(trend_db))
    cache = tmp_path / "phrases.sqlite"
    args = {"days": 7, "baseline_days": 9, "top": 15, "significant_only": False}
    plain = trending(store, cache=None, **args).as_dict()
    cold = trending(store, cache=cache, **args).as_dict()
    with sqlite3.connect(cache) as con:
        rows, vocab = (con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("docs", "vocab"))
    warm = trending(store, cache=cache, **args).as_dict()
    assert plain == cold == warm and plain["trends"]
    with sqlite3.connect(cache) as con:
        assert con.execute("SELECT COUNT(*) FROM vocab").fetchone()[0] == vocab
        # a changed text is made again, under the same id
        pid = plain["trends"][0]["papers"][0]
        con.execute("UPDATE docs SET digest='stale', ids=x'' WHERE arxiv_id=?", (pid,))
    assert trending(store, cache=cache, **args).as_dict() == plain
    with sqlite3.connect(cache) as con:
        assert con.execute("SELECT COUNT(*) FROM docs").fetchone()[0] == rows
        assert con.execute("SELECT digest FROM docs WHERE arxiv_id=?", (pid,)).fetchone()[0] != "stale"
    store.close()


def test_daily_digest_shows_trending_but_dae_md_does_not(trend_db: Path) -> None:
    from paperradar.digest import build_day, render_day
    from paperradar.digest.dae_md import render_dae_md

    store = open_store(str(trend_db))
    day = store.listing_dates()[-1]
    md = render_day(store, day, "md")
    top = md.split("## Contents")[0]
    assert "## Trending this week" in top and PLANT in top
    data = json.loads(render_day(store, day, "json"))
    assert PLANT in [t["term"] for t in data["trending"]]
    assert all(t["recent"] >= 5 and t["papers"] for t in data["trending"])
    html = render_day(store, day, "html")
    assert "Trending this week" in html and PLANT in html
    dae = render_day(store, day, "dae-md")
    assert "Trending" not in dae and PLANT not in dae.split("\n", 3)[0]
    assert dae == render_dae_md(build_day(store, day))
    store.close()
