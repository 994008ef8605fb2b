"""The main job: live feed when configured and reachable, else the bundled sample."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from click.testing import CliRunner

from paperradar.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


def invoke(tmp_path: Path, *args: str, env: dict | None = None):
    # summarising the 427 sample papers is tested once, in tests/daily/test_deploy.py
    return CliRunner().invoke(cli, ["--db", str(tmp_path / "s.db"), "run", "--site",
                                    str(tmp_path / "site"), "--skip", "summarize", *args], env=env)


def test_run_without_categories_uses_the_sample(tmp_path):
    res = invoke(tmp_path, "--json", env={"PAPERRADAR_CATEGORIES": ""})
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["source"] == "bundled sample" and out["date"] == "2026-06-29"
    assert out["papers"] == 166 and sum(out["categories"].values()) == 166
    assert "no categories configured" in res.stderr
    site = tmp_path / "site"
    html = (site / "day" / "2026-06-29.html").read_text(encoding="utf-8")
    assert "2026-06-29" in html and html.count("arxiv.org/abs/") >= 166
    index = (site / "index.html").read_text(encoding="utf-8")
    assert all(f'href="./day/{d}.html"' in index for d in ("2026-06-26", "2026-06-27", "2026-06-29"))
    assert (site / "day" / "2026-06-29.md").exists() and (site / "api" / "day" / "2026-06-29.json").exists()
    assert out["serve"].endswith("serve") and "--db" in out["serve"]
    assert [s["step"] for s in out["steps"]] == ["fetch", "summarize", "index", "trending", "topics", "site",
                                                 "deliver"] and out["exit"] == 0
    again = invoke(tmp_path, "--json", env={"PAPERRADAR_CATEGORIES": ""})
    assert json.loads(again.stdout)["ingest"]["new"] == 0  # re-running is idempotent
    fetch = json.loads(again.stdout)["steps"][0]
    assert fetch["status"] == "nothing" and "the bundled sample is already in the store" in fetch["line"]


def test_run_offline_with_categories_falls_back_and_says_so(tmp_path):
    with socket.socket() as s:  # a port nobody listens on: connection refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = invoke(tmp_path, "--categories", "cs.CL",
                 env={"PAPERRADAR_RSS_URL": f"http://127.0.0.1:{port}/rss"})
    assert res.exit_code == 0, res.output
    assert "cannot reach arXiv" in res.stderr and "bundled sample" in res.stderr
    assert "digest for 2026-06-29" in res.stdout
    assert "serve it: paperradar --db" in res.stdout


def test_run_fetches_live_feed_when_reachable(tmp_path, httpserver):
    body = (FIXTURES / "rss_cs.AI.xml").read_bytes()
    httpserver.expect_request("/rss/cs.AI").respond_with_data(body, content_type="application/rss+xml")
    res = invoke(tmp_path, "--categories", "cs.AI", "--json",
                 env={"PAPERRADAR_RSS_URL": httpserver.url_for("/rss")})
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["source"].startswith("arXiv announcement feeds for cs.AI")
    assert out["ingest"]["new"] > 0 and out["date"] == "2025-01-07"
    assert (tmp_path / "site" / "day" / "2025-01-07.html").exists()
