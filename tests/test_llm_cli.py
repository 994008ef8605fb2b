"""``paperradar summarize --backend llm`` wired to a scripted OpenAI-style server on 127.0.0.1:
fallback to the real extractive backend, marked as such, and an LLM retry on the next run."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from paperradar.cli import cli

DAY = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days" \
    / "2026-04-27.jsonl.gz"
GOOD = {"tldr": "A new method is proposed.", "motivation": "The problem is hard.",
        "method": "The authors train a model.", "result": "It beats the baseline by 3 points.",
        "conclusion": "The approach is useful."}


def rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT arxiv_id, source, model, prompt_version, language, tldr, motivation, "
                           "method, result, conclusion FROM summaries ORDER BY arxiv_id, source").fetchall()


@pytest.mark.needs_shared
def test_fallback_is_stored_as_extractive_then_llm_retried(tmp_path, monkeypatch) -> None:
    assert DAY.exists(), f"shared data missing: {DAY}"
    with gzip.open(DAY, "rt", encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(3)]
    day = tmp_path / "2026-04-27.jsonl"
    day.write_text("".join(lines), encoding="utf-8")
    db = tmp_path / "store.db"
    monkeypatch.setenv("PAPERRADAR_LLM_CACHE", str(tmp_path / "cache.sqlite"))
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(db), "-q", "ingest", str(day)]).exit_code == 0

    healthy = {"on": False}
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        seen.append(json.loads(request.get_data()))
        if not healthy["on"]:
            return Response(json.dumps({"error": {"message": "overloaded"}}), 503,
                            content_type="application/json")
        body = {"choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": json.dumps(GOOD)}}],
                "usage": {"prompt_tokens": 300, "completion_tokens": 60}}
        return Response(json.dumps(body), 200, content_type="application/json")

    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(handler)
    server.start()
    try:
        args = ["--db", str(db), "-q", "summarize", "--all", "--backend", "llm", "--json",
                "--base-url", server.url_for("/v1"), "--model", "test-model", "--concurrency", "2"]
        monkeypatch.setenv("PAPERRADAR_LLM_TIMEOUT", "5")
        # The max_retries default is 4 with 1-2-4-8 s backoff; keep the test quick.
        monkeypatch.setattr("paperradar.enrich.llm.client.ChatClient.backoff", lambda self, a, r: 0.01)
        first = runner.invoke(cli, args)
        assert first.exit_code == 0, first.output
        report = json.loads(first.stdout)
        assert (report["done"], report["fallback"], report["failed"]) == (0, 3, 0), report
        assert any("HTTP 503" in e and "overloaded" in e for e in report["errors"])
        stored = rows(db)
        assert [r[1] for r in stored] == ["extractive"] * 3
        assert all(r[2] != "test-model" for r in stored)
        assert all(text.strip() and "generation failed" not in text.lower() for r in stored for text in r[5:])

        healthy["on"] = True
        second = runner.invoke(cli, [*args, "--max-tokens", "300", "--price-in", "1", "--price-out", "2",
                                     "--timeout", "5"])
        assert second.exit_code == 0, second.output
        again = json.loads(second.stdout)
        assert (again["done"], again["fallback"], again["prompt_tokens"]) == (3, 0, 900), again
        # 900 prompt tokens at $1/M + 180 completion tokens at $2/M
        assert abs(again["cost_usd"] - (900 * 1 + 180 * 2) / 1e6) < 1e-9, again
        assert seen[-1]["max_tokens"] == 300
        llm = [r for r in rows(db) if r[1] == "llm"]
        assert len(llm) == 3
        assert {r[2:5] for r in llm} == {("test-model", "summary-v1", "English")}
        assert {r[5] for r in llm} == {GOOD["tldr"]}

        sent = len(seen)
        third = runner.invoke(cli, args)
        assert json.loads(third.stdout)["skipped_current"] == 3 and len(seen) == sent
    finally:
        server.clear()
        server.stop()
