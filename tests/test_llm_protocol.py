"""The LLM backend against a real HTTP server on 127.0.0.1 speaking the OpenAI chat API.

Each test scripts the server's answers (success, 429 + Retry-After, 5xx, slow
answers, malformed or incomplete JSON, the wrong language, rejected
``response_format``) and checks what the backend sends, retries, caches,
counts and finally delivers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from paperradar.enrich.base import RunStats
from paperradar.enrich.llm import LLMConfigError, build_summarizer
from paperradar.models import Paper, Summary

GOOD = {"tldr": "A method makes sparse attention faster.", "motivation": "Attention is slow on long inputs.",
        "method": "The authors prune keys with a learned score.", "result": "It runs 2.1 times faster.",
        "conclusion": "Sparse attention is practical."}
CHINESE = {k: "本文提出一种新的稀疏注意力方法，在长文本上显著提高了Transformer的推理速度。" for k in GOOD}


def paper(n: int = 1, version: int | None = 2) -> Paper:
    return Paper(f"2401.{n:05d}", f"Fast sparse attention {n}", ("A. Author",),
                 "We study attention.\nIt is slow; we make it fast.", ("cs.LG",), version=version)


def completion(content: str, prompt_tokens: int = 100, completion_tokens: int = 40) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def ok(fields: dict | str = GOOD, **usage: int) -> Callable[[dict], Response]:
    content = fields if isinstance(fields, str) else json.dumps(fields, ensure_ascii=False)
    return lambda body: Response(json.dumps(completion(content, **usage)), 200,
                                 content_type="application/json")


def status(code: int, headers: dict | None = None, message: str = "busy") -> Callable[[dict], Response]:
    return lambda body: Response(json.dumps({"error": {"message": message}}), code, headers=headers,
                                 content_type="application/json")


def slow(seconds: float, then: Callable[[dict], Response]) -> Callable[[dict], Response]:
    def answer(body: dict) -> Response:
        time.sleep(seconds)
        return then(body)
    return answer


@dataclass
class Script:
    """Answers handed out in order; the last one repeats. Records every request."""

    answers: list[Callable[[dict], Response]]
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        with self.lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(body)

    def user_text(self, i: int) -> str:
        return self.requests[i]["messages"][-1]["content"]


@pytest.fixture()
def server():
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    if srv.is_running():
        srv.stop()


def serve(server: HTTPServer, *answers: Callable[[dict], Response]) -> Script:
    script = Script(list(answers))
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(script)
    return script


class Extractive:
    """Stand-in fallback: the real extractive backend is tested on its own."""

    source = "extractive"
    model = "extractive-test"
    prompt_version = ""
    language = "English"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def summarize_many(self, papers: Sequence[Paper], on_done: Callable[[Summary], None]) -> RunStats:
        for p in papers:
            self.asked.append(p.arxiv_id)
            on_done(Summary(p.arxiv_id, "extractive", self.model, "English", "t", "m", "x", "r", "c",
                            paper_version=p.version))
        return RunStats(done=len(papers))


def build(server: HTTPServer, tmp_path, **kw):
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("cache_path", tmp_path / "cache.sqlite")
    kw.setdefault("model", "test-model")
    return build_summarizer(base_url=server.url_for("/v1"), **kw)


def run(summarizer, papers: Sequence[Paper]) -> tuple[RunStats, list[Summary]]:
    got: list[Summary] = []
    stats = summarizer.summarize_many(papers, got.append)
    return stats, got


def test_success_sends_title_abstract_schema_and_key(server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MY_LLM_KEY", "sk-secret-123")
    script = serve(server, ok(prompt_tokens=1000, completion_tokens=500))
    s = build(server, tmp_path, api_key_env="MY_LLM_KEY", price_in=2.0, price_out=8.0)
    stats, got = run(s, [paper()])
    assert (stats.done, stats.failed, stats.fallback, stats.cached) == (1, 0, 0, 0)
    assert (stats.prompt_tokens, stats.completion_tokens) == (1000, 500)
    assert stats.cost_usd == pytest.approx(1000 * 2 / 1e6 + 500 * 8 / 1e6)
    (summary,) = got
    assert summary.fields() == GOOD
    assert (summary.source, summary.model, summary.prompt_version) == ("llm", "test-model", "summary-v1")
    assert (summary.language, summary.paper_version) == ("English", 2)
    body = script.requests[0]
    assert body["model"] == "test-model"
    assert body["response_format"]["type"] == "json_schema"
    assert set(body["response_format"]["json_schema"]["schema"]["required"]) == set(GOOD)
    assert "Fast sparse attention 1" in script.user_text(0)
    assert "We study attention. It is slow; we make it fast." in script.user_text(0)
    assert "A. Author" not in json.dumps(body)
    assert script.headers[0]["Authorization"] == "Bearer sk-secret-123"


def test_no_key_no_authorization_header(server, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("PAPERRADAR_LLM_API_KEY_ENV", raising=False)
    script = serve(server, ok())
    stats, _ = run(build(server, tmp_path), [paper()])
    assert stats.done == 1
    assert "Authorization" not in script.headers[0]


def test_429_honours_retry_after(server, tmp_path) -> None:
    script = serve(server, status(429, {"Retry-After": "1"}), ok())
    started = time.monotonic()
    stats, got = run(build(server, tmp_path, backoff_base=0.001), [paper()])
    elapsed = time.monotonic() - started
    assert stats.done == 1 and got[0].source == "llm"
    assert len(script.requests) == 2
    assert elapsed >= 1.0, "Retry-After: 1 must be waited for although the backoff base is 1 ms"


def test_5xx_retried_then_success(server, tmp_path) -> None:
    script = serve(server, status(500), status(503), status(502), ok())
    stats, got = run(build(server, tmp_path), [paper()])
    assert len(script.requests) == 4
    assert stats.done == 1 and got[0].fields() == GOOD


def test_persistent_500_falls_back_to_extractive(server, tmp_path) -> None:
    script = serve(server, status(500, message="model crashed"))
    fallback = Extractive()
    stats, got = run(build(server, tmp_path, max_retries=2, fallback=fallback), [paper()])
    assert len(script.requests) == 3  # first try + 2 retries
    assert (stats.done, stats.fallback, stats.failed) == (0, 1, 0)
    assert [s.source for s in got] == ["extractive"] and got[0].model == "extractive-test"
    assert any("HTTP 500" in e and "model crashed" in e for e in stats.errors)
    assert fallback.asked == ["2401.00001"]


def test_without_fallback_a_failure_is_counted_not_stored(server, tmp_path) -> None:
    serve(server, status(503))
    stats, got = run(build(server, tmp_path, max_retries=1), [paper()])
    assert got == []
    assert (stats.done, stats.fallback, stats.failed) == (0, 0, 1)
    assert "2401.00001" in stats.errors[0] and "HTTP 503" in stats.errors[0]


def test_slow_answer_times_out_and_is_retried(server, tmp_path) -> None:
    script = serve(server, slow(1.5, ok()), ok())
    stats, got = run(build(server, tmp_path, timeout=0.4), [paper()])
    assert stats.done == 1 and got[0].source == "llm"
    assert len(script.requests) == 2


def test_always_slow_falls_back_with_time_out_error(server, tmp_path) -> None:
    serve(server, slow(1.0, ok()))
    stats, got = run(build(server, tmp_path, timeout=0.3, max_retries=1, fallback=Extractive()), [paper()])
    assert stats.fallback == 1 and got[0].source == "extractive"
    assert "time-out" in stats.errors[0]


def test_malformed_json_retried_with_reminder_then_parsed(server, tmp_path) -> None:
    script = serve(server, ok('{"tldr": "broken', prompt_tokens=10, completion_tokens=5),
                   ok("```json\n" + json.dumps(GOOD) + "\n```", prompt_tokens=20, completion_tokens=7))
    stats, got = run(build(server, tmp_path), [paper()])
    assert stats.done == 1 and got[0].fields() == GOOD
    assert "not a valid JSON object" in script.user_text(1)
    assert (stats.prompt_tokens, stats.completion_tokens) == (30, 12)  # the bad answer was paid for too


def test_malformed_json_twice_falls_back(server, tmp_path) -> None:
    script = serve(server, ok("I think this paper is about attention."))
    stats, got = run(build(server, tmp_path, fallback=Extractive()), [paper()])
    assert len(script.requests) == 2
    assert stats.fallback == 1 and got[0].source == "extractive"
    assert "no JSON object" in stats.errors[0]


def test_missing_fields_never_stored_as_placeholder(server, tmp_path) -> None:
    partial = {k: v for k, v in GOOD.items() if k not in ("result", "conclusion")}
    serve(server, ok(partial))
    stats, got = run(build(server, tmp_path), [paper()])
    assert got == [] and stats.failed == 1
    assert "missing field(s): result, conclusion" in stats.errors[0]


def test_echoed_instructions_are_not_a_summary(server, tmp_path) -> None:
    echo = dict(GOOD, motivation="The problem the paper addresses and why it matters.")
    script = serve(server, ok(echo), ok(echo))
    stats, got = run(build(server, tmp_path), [paper()])
    assert got == [] and stats.failed == 1
    assert "motivation only repeat the instructions" in stats.errors[0]
    assert "repeated the instructions" in script.user_text(1)


def test_wrong_language_retried_with_stronger_instruction(server, tmp_path) -> None:
    script = serve(server, ok(GOOD), ok(CHINESE))
    stats, got = run(build(server, tmp_path, language="Chinese"), [paper()])
    assert stats.done == 1 and got[0].fields() == CHINESE and got[0].language == "Chinese"
    assert "not in Chinese" not in script.user_text(0)
    assert "was not in Chinese" in script.user_text(1)


def test_wrong_language_twice_is_a_failure(server, tmp_path) -> None:
    serve(server, ok(GOOD))
    stats, got = run(build(server, tmp_path, language="Chinese", fallback=Extractive()), [paper()])
    assert stats.fallback == 1 and got[0].source == "extractive"
    assert "not in Chinese" in stats.errors[0]


def test_response_cache_pays_once(server, tmp_path) -> None:
    def by_language(body: dict) -> Response:
        chinese = "in Chinese" in body["messages"][-1]["content"]
        return ok(CHINESE if chinese else GOOD, prompt_tokens=100, completion_tokens=50)(body)

    script = serve(server, by_language)
    papers = [paper(1), paper(2)]
    first, _ = run(build(server, tmp_path, price_in=1.0), papers)
    assert first.done == 2 and first.cached == 0 and first.prompt_tokens == 200
    second, got = run(build(server, tmp_path, price_in=1.0), papers)
    assert len(script.requests) == 2, "cache hits must not reach the server"
    assert (second.done, second.cached, second.prompt_tokens, second.cost_usd) == (2, 2, 0, 0.0)
    assert [s.fields() for s in got] == [GOOD, GOOD] and got[0].source == "llm"
    # A new paper version, another language or another model is a miss; each then hits.
    for kw, p in (({}, paper(1, version=3)), ({"language": "Chinese"}, paper(1)),
                  ({"model": "other-model"}, paper(1))):
        sent = len(script.requests)
        miss, _ = run(build(server, tmp_path, **kw), [p])
        assert (miss.done, miss.cached, len(script.requests)) == (1, 0, sent + 1), kw
        hit, got = run(build(server, tmp_path, **kw), [p])
        assert (hit.done, hit.cached, len(script.requests)) == (1, 1, sent + 1), kw
    assert got[0].model == "other-model"


@pytest.mark.parametrize("code", [422, 500])  # 500: what llama-cpp-python 0.3 really answers
def test_unsupported_json_schema_steps_down_to_json_object(server, tmp_path, code) -> None:
    def picky(body: dict) -> Response:
        if body["response_format"]["type"] != "json_object":
            message = ("1 validation error: ('body', 'response_format', 'type'): "
                       "Input should be 'text' or 'json_object'")
            return status(code, message=message)(body)
        return ok()(body)

    script = serve(server, picky)
    stats, _ = run(build(server, tmp_path, concurrency=1), [paper(1), paper(2)])
    assert stats.done == 2
    formats = [r["response_format"]["type"] for r in script.requests]
    assert formats == ["json_schema", "json_object", "json_object"]  # remembered for the next paper
    schema = script.requests[1]["response_format"]["schema"]
    assert {p["maxLength"] for p in schema["properties"].values()} == {300}


def test_bad_key_stops_the_run_and_never_leaks_the_key(server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-print")
    script = serve(server, status(401, message="Incorrect API key provided"))
    stats, got = run(build(server, tmp_path, concurrency=1, fallback=Extractive()),
                     [paper(n) for n in range(1, 6)])
    assert len(script.requests) == 1, "a 401 is not retried and not repeated for every paper"
    assert stats.fallback == 5 and all(s.source == "extractive" for s in got)
    assert stats.errors[0].startswith("stopped asking") and "401" in stats.errors[0]
    assert "4 paper(s) not sent" in stats.errors[-1]
    assert "sk-do-not-print" not in " ".join(stats.errors)


def test_unreachable_server_stops_after_a_few_papers(tmp_path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = build_summarizer(base_url=f"http://127.0.0.1:{port}/v1", model="m", concurrency=1, max_retries=0,
                         cache_path=tmp_path / "c.sqlite")
    stats, got = run(s, [paper(n) for n in range(1, 11)])
    assert got == [] and stats.failed == 10
    assert s.client.requests_sent == 3
    assert any(e.startswith("stopped asking") for e in stats.errors)


def test_bounded_concurrency_and_on_done_in_calling_thread(server, tmp_path) -> None:
    active = peak = 0
    lock = threading.Lock()

    def counting(body: dict) -> Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.2)
        with lock:
            active -= 1
        return ok()(body)

    serve(server, counting)
    threads: list[int] = []
    started = time.monotonic()
    stats = build(server, tmp_path, concurrency=3).summarize_many(
        [paper(n) for n in range(1, 10)], lambda s: threads.append(threading.get_ident()))
    elapsed = time.monotonic() - started
    assert stats.done == 9
    assert peak == 3
    assert elapsed < 9 * 0.2, "requests must overlap"
    assert set(threads) == {threading.get_ident()}


def test_configuration_errors(monkeypatch, tmp_path) -> None:
    for name in ("PAPERRADAR_LLM_BASE_URL", "PAPERRADAR_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LLMConfigError, match="--base-url or set \\$PAPERRADAR_LLM_BASE_URL"):
        build_summarizer(model="m")
    with pytest.raises(LLMConfigError, match="--model or set \\$PAPERRADAR_LLM_MODEL"):
        build_summarizer(base_url="http://127.0.0.1:1/v1")
    with pytest.raises(LLMConfigError, match="must start with http"):
        build_summarizer(base_url="127.0.0.1:1/v1", model="m")
    monkeypatch.setenv("PAPERRADAR_LLM_PRICE_IN", "cheap")
    with pytest.raises(LLMConfigError, match="PAPERRADAR_LLM_PRICE_IN"):
        build_summarizer(base_url="http://127.0.0.1:1/v1", model="m")
    monkeypatch.setenv("PAPERRADAR_LLM_PRICE_IN", "0.5")
    monkeypatch.setenv("PAPERRADAR_LLM_FIELD_MAX_CHARS", "lots")
    with pytest.raises(LLMConfigError, match="PAPERRADAR_LLM_FIELD_MAX_CHARS"):
        build_summarizer(base_url="http://127.0.0.1:1/v1", model="m")
    monkeypatch.setenv("PAPERRADAR_LLM_FIELD_MAX_CHARS", "120")
    monkeypatch.setenv("PAPERRADAR_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("PAPERRADAR_LLM_MODEL", "env-model")
    s = build_summarizer(cache_path=tmp_path / "c.sqlite")
    assert s.model == "env-model" and s.pricing.per_million_in == 0.5 and s.field_max_chars == 120


def test_interrupt_does_not_wait_out_retries(server, tmp_path) -> None:
    script = serve(server, ok(), status(503, {"Retry-After": "30"}))
    s = build(server, tmp_path, concurrency=2)

    def interrupt(summary: Summary) -> None:
        time.sleep(0.3)  # let the other worker get its 503 and start waiting
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        s.summarize_many([paper(1), paper(2), paper(3)], interrupt)
    deadline = time.monotonic() + 5
    while any(t.name.startswith("llm") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name.startswith("llm") for t in threading.enumerate()), "workers still waiting to retry"
    assert time.monotonic() - started < 5, "Ctrl-C must not wait 30 s for a retry"
    assert len(script.requests) == 2
