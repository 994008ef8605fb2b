"""The daily job as a library (paperradar.daily): steps, dependencies, exit codes, the OAI-PMH
catch-up of missed days, and why a run found nothing new. Small live fixtures on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.daily import EXIT_CODES, STEPS, JobOptions, run_job
from paperradar.daily.calendar import last_announcement, next_announcement, why_nothing_new
from paperradar.daily.job import LAST_FETCH_KEY, sets_for
from paperradar.store import open_store

FIXTURES = Path(__file__).parent.parent / "fixtures"
ET = ZoneInfo("America/New_York")


def _serve_rss(httpserver) -> str:
    body = (FIXTURES / "rss_cs.AI.xml").read_bytes()
    httpserver.expect_request("/rss/cs.AI").respond_with_data(body, content_type="application/rss+xml")
    return httpserver.url_for("/rss")


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["--db", str(tmp_path / "s.db"), "run", *args], env=env)


def test_exit_codes_are_distinct_and_documented() -> None:
    assert list(EXIT_CODES) == list(STEPS) and len(set(EXIT_CODES.values())) == len(STEPS)
    doc = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")
    for name, code in EXIT_CODES.items():
        assert f"| {code} | {name} " in doc


def test_calendar() -> None:
    thu_night = datetime(2025, 1, 9, 21, 0, tzinfo=ET)
    assert last_announcement(thu_night).date().isoformat() == "2025-01-09"
    assert next_announcement(thu_night).date().isoformat() == "2025-01-12"  # Sunday
    saturday = datetime(2025, 1, 11, 12, 0, tzinfo=ET)
    assert why_nothing_new(saturday, feeds_empty=True, categories=["cs.AI"]).startswith("weekend:")
    assert "Sunday 2025-01-12 20:00" in why_nothing_new(saturday, feeds_empty=False, categories=["cs.AI"])
    just_after = datetime(2025, 1, 7, 21, 0, tzinfo=ET)
    assert "not out in the feeds yet" in why_nothing_new(just_after, feeds_empty=False, categories=["cs.AI"])
    tuesday_noon = datetime(2025, 1, 7, 12, 0, tzinfo=ET)
    assert "holiday, or nothing new in the configured categories" in why_nothing_new(
        tuesday_noon, feeds_empty=True, categories=["cs.AI"])
    assert "already stored" in why_nothing_new(tuesday_noon, feeds_empty=False, categories=["cs.AI"])
    assert sets_for(["cs.CL", "cs.LG", "hep-th", "astro-ph.GA", "stat.ML"]) == [
        "cs", "physics:hep-th", "physics:astro-ph", "stat"]


def test_live_run_steps_then_nothing_new_says_why(tmp_path: Path, httpserver) -> None:
    env = {"PAPERRADAR_RSS_URL": _serve_rss(httpserver)}
    first = _run(tmp_path, "--categories", "cs.AI", "--no-dense", "--site", str(tmp_path / "site"), "--json",
                 env=env)
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert [s["step"] for s in out["steps"]] == list(STEPS) and out["exit"] == 0
    by = {s["step"]: s for s in out["steps"]}
    assert by["fetch"]["status"] == "ok" and by["summarize"]["stored"] > 0
    assert by["summarize"]["backend"] == "extractive" and by["index"]["papers"] > 0
    assert out["date"] == "2025-01-07" and (tmp_path / "site" / "day" / "2025-01-07.html").exists()
    again = _run(tmp_path, "--categories", "cs.AI", "--no-dense", "--site", str(tmp_path / "site"), env=env)
    assert again.exit_code == 0, again.output
    fetch_line = next(line for line in again.stdout.splitlines() if line.startswith("fetch:"))
    assert "nothing new:" in fetch_line
    assert any(w in fetch_line for w in ("weekend", "already stored", "not out in the feeds", "holiday"))
    assert "summarize: " in again.stdout and "0 stored" in again.stdout  # idempotent


def test_oai_catch_up_of_missed_days(tmp_path: Path, httpserver) -> None:
    rss = _serve_rss(httpserver)
    httpserver.expect_request("/oai").respond_with_data((FIXTURES / "oai_arXivRaw.xml").read_bytes(),
                                                        content_type="text/xml")
    store = open_store(str(tmp_path / "s.db"))
    store.set_meta(LAST_FETCH_KEY, "2025-01-02")  # Thursday's listing; Friday and Monday were missed
    options = JobOptions(categories=["cs.AI"], site_dir=tmp_path / "site", data_dir=tmp_path / "data",
                         dense=False, rss_url=rss, oai_url=httpserver.url_for("/oai"), http_delay=0.0,
                         progress=False, skip=("summarize", "site", "trending"))
    report = run_job(store, options)
    fetch = report.step("fetch")
    assert fetch is not None and fetch.status == "ok", fetch
    catch = fetch.data["catch_up"]
    assert catch["missed"] == ["2025-01-03", "2025-01-06"] and catch["from"] == "2025-01-02"
    assert catch["read"] == 2 and catch["new"] + catch["updated"] >= 1
    oai = [r for r, _ in httpserver.log if r.path == "/oai"]
    assert len(oai) == 1 and oai[0].args["set"] == "cs" and oai[0].args["from"] == "2025-01-02"
    assert store.get_meta(LAST_FETCH_KEY) == "2025-01-07"
    again = run_job(store, options)  # caught up: no second harvest
    assert "catch_up" not in again.step("fetch").data  # type: ignore[union-attr]
    assert len([r for r, _ in httpserver.log if r.path == "/oai"]) == 1
    store.close()


def test_a_failed_step_names_itself_and_later_steps_still_run(tmp_path: Path, httpserver) -> None:
    blocker = tmp_path / "site"
    blocker.write_text("a file where the site folder should be")
    res = _run(tmp_path, "--categories", "cs.AI", "--no-dense", "--site", str(blocker), "--json",
               env={"PAPERRADAR_RSS_URL": _serve_rss(httpserver)})
    assert res.exit_code == EXIT_CODES["site"] == 16, res.output
    out = json.loads(res.stdout)
    by = {s["step"]: s["status"] for s in out["steps"]}
    assert by["site"] == "failed" and by["deliver"] == "nothing" and by["index"] == "ok"
    assert out["failed"] == ["site"] and "Error: step site failed" in res.stderr


def test_deliver_waits_for_a_failed_summarize(tmp_path: Path, httpserver, monkeypatch) -> None:
    from paperradar.daily import job as job_module
    from paperradar.errors import LLMError

    def broken(self, step) -> None:
        raise LLMError("the LLM endpoint is down")

    monkeypatch.setattr(job_module._Job, "summarize", broken)
    store = open_store(str(tmp_path / "s.db"))
    options = JobOptions(categories=["cs.AI"], site_dir=tmp_path / "site", data_dir=tmp_path / "data",
                         dense=False, rss_url=_serve_rss(httpserver), progress=False, skip=("site",))
    report = run_job(store, options)
    status = {s.name: s.status for s in report.steps}
    assert status["summarize"] == "failed" and status["deliver"] == "skipped"
    assert status["index"] == "ok" and report.exit_code == EXIT_CODES["summarize"]
    assert report.step("deliver").line == "skipped: summarize failed"  # type: ignore[union-attr]
    store.close()


@pytest.mark.parametrize("args", [["--skip", "nope"], ["--catch-up-days", "-1"]])
def test_bad_options(tmp_path: Path, args: list[str]) -> None:
    assert _run(tmp_path, *args).exit_code == 2
