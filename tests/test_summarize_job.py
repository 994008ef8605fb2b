"""The summarize job: selection, idempotency, staleness, interruption, CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.enrich.base import RunStats
from paperradar.enrich.extractive import ExtractiveSummarizer
from paperradar.enrich.job import is_current, run_summarize, select_papers
from paperradar.ingest import ingest_records
from paperradar.models import Paper, Summary
from paperradar.sources import parse_path
from paperradar.store import open_store

DAY = "2026-06-25"

pytestmark = pytest.mark.both_backends  # tests on a store run on SQLite and on PostgreSQL


@pytest.fixture
def loaded(store, days_dir):
    path = days_dir / f"{DAY}.jsonl.gz"
    ingest_records(store, parse_path(path), str(path))
    return store


class Recording(ExtractiveSummarizer):
    """The real extractive backend, counting what it is asked to do; can stop after N papers."""

    def __init__(self, model: str = "paperradar-roles-1", language: str = "English",
                 stop_after: int | None = None) -> None:
        super().__init__()
        self.model = model
        self.language = language
        self.stop_after = stop_after
        self.asked: list[str] = []

    def summarize_many(self, papers: Sequence[Paper], on_done: Callable[[Summary], None]) -> RunStats:
        stats = RunStats()
        for summary in self.summarize_papers(papers):
            if self.stop_after is not None and stats.done >= self.stop_after:
                raise KeyboardInterrupt
            self.asked.append(summary.arxiv_id)
            on_done(summary)
            stats.done += 1
        return stats


def test_select_by_date_since_and_all(loaded) -> None:
    on_day = select_papers(loaded, date=DAY)
    assert len(on_day) == 26 and len({p.arxiv_id for p in on_day}) == 26
    assert [p.arxiv_id for p in select_papers(loaded, since=DAY)] == [p.arxiv_id for p in on_day]
    assert select_papers(loaded, since="2026-06-26") == []
    assert len(select_papers(loaded, everything=True)) == loaded.count_papers()
    with pytest.raises(ValueError):
        select_papers(loaded)


def test_second_run_does_nothing(loaded) -> None:
    papers = select_papers(loaded, date=DAY)
    first = Recording()
    report = run_summarize(loaded, first, papers, progress=False)
    assert (report.stats.done, report.stored, report.current) == (26, 26, 0)
    stored = loaded.summaries_for([p.arxiv_id for p in papers])
    assert all(len(v) == 1 and v[0].created for v in stored.values()) and len(stored) == 26
    second = Recording()
    again = run_summarize(loaded, second, papers, progress=False)
    assert second.asked == [] and again.current == 26 and again.stored == 0


def test_changed_model_language_or_version_is_redone(loaded) -> None:
    papers = select_papers(loaded, date=DAY)
    run_summarize(loaded, Recording(), papers, progress=False)
    other_model = Recording(model="paperradar-roles-2")
    run_summarize(loaded, other_model, papers, progress=False)
    assert len(other_model.asked) == 26
    other_language = Recording(language="German")
    run_summarize(loaded, other_language, papers, progress=False)
    assert len(other_language.asked) == 26
    # a new paper version makes the old summary stale
    newer = [Paper(**{**{f: getattr(p, f) for f in p.__slots__}, "version": 2}) for p in papers[:3]]
    old = loaded.summaries_for([newer[0].arxiv_id])[newer[0].arxiv_id][0]
    assert not is_current(old, Recording(), newer[0])
    redo = Recording()
    run_summarize(loaded, redo, newer + papers[3:], progress=False)
    assert sorted(redo.asked) == sorted(p.arxiv_id for p in newer)


def test_interrupted_run_keeps_finished_papers_and_resumes(loaded) -> None:
    papers = select_papers(loaded, date=DAY)
    with pytest.raises(KeyboardInterrupt):
        run_summarize(loaded, Recording(stop_after=7), papers, progress=False)
    kept = loaded.summaries_for([p.arxiv_id for p in papers])
    assert len(kept) == 7
    rest = Recording()
    report = run_summarize(loaded, rest, papers, progress=False)
    assert report.current == 7 and len(rest.asked) == 19
    assert not set(rest.asked) & set(kept)


def test_interruption_survives_a_new_connection(new_location, days_dir) -> None:
    db = new_location("s.db")
    store = open_store(str(db))
    path = days_dir / f"{DAY}.jsonl.gz"
    ingest_records(store, parse_path(path), str(path))
    with pytest.raises(KeyboardInterrupt):
        run_summarize(store, Recording(stop_after=5), select_papers(store, date=DAY), progress=False)
    store.close()
    reopened = open_store(str(db))
    try:
        ids = [p.arxiv_id for p in select_papers(reopened, date=DAY)]
        assert len(reopened.summaries_for(ids)) == 5
    finally:
        reopened.close()


def test_cli_summarize_twice(new_location, days_dir) -> None:
    db = new_location("cli.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(db), "ingest", str(days_dir / f"{DAY}.jsonl.gz")]).exit_code == 0
    first = runner.invoke(cli, ["--db", str(db), "-q", "summarize", "--date", DAY, "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert (data["done"], data["stored"], data["skipped_current"]) == (26, 26, 0)
    assert data["backend"] == "extractive"
    second = runner.invoke(cli, ["--db", str(db), "-q", "summarize", "--json"])  # default: latest day
    assert json.loads(second.output)["skipped_current"] == 26
    text = runner.invoke(cli, ["--db", str(db), "summarize", "--all", "--language", "German"])
    assert text.exit_code == 0
    assert "abstract's language (English)" in text.output and "skipped (current) 26" in text.output


def test_cli_rejects_conflicting_selection_and_bad_llm_settings(tmp_path: Path, monkeypatch) -> None:
    runner = CliRunner()
    db = str(tmp_path / "x.db")
    res = runner.invoke(cli, ["--db", db, "summarize", "--date", DAY, "--all"])
    assert res.exit_code == 2 and "at most one" in res.output
    res = runner.invoke(cli, ["--db", db, "summarize", "--date", "2026-13-01"])
    assert res.exit_code == 2
    monkeypatch.delenv("PAPERRADAR_LLM_BASE_URL", raising=False)
    res = runner.invoke(cli, ["--db", db, "summarize", "--all", "--backend", "llm"])
    assert res.exit_code == 1 and "base-url" in res.output and "Traceback" not in res.output
