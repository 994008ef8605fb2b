"""The one HTTP policy (paperradar.net) against real servers on 127.0.0.1.

Retry-After in both RFC 9110 forms and junk, retry then success, bounded
retries, refused and capped waits, the size cap (declared, streamed, gzip),
the overall deadline (trickled body, trickled headers), settings, and the
LLM and embedding clients going through the same policy. Sleeps are injected
and recorded; only the deadline tests wait for real, about a second each.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import numpy as np
import pytest
from hostile import HostileServer, declared, endless, trickle_body, trickle_headers
from werkzeug import Request, Response

from paperradar import __version__
from paperradar.embed import OpenAIEmbedder
from paperradar.enrich.llm.client import ChatClient
from paperradar.errors import (
    ConfigError,
    DeadlineExceeded,
    EmbeddingError,
    FetchError,
    FetchUnavailable,
    LLMError,
    NetworkError,
    ResponseTooLarge,
)
from paperradar.net import CANCELLED, Http, backoff_delay, parse_retry_after, user_agent
from paperradar.sources.http import user_agent as legacy_user_agent

NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)


class Sleeps(list):
    """Injected sleep: records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def hostile():
    server = HostileServer()
    yield server
    server.close()


def http(sleeps: Sleeps, **kw) -> Http:
    kw.setdefault("max_bytes", 10**6)
    kw.setdefault("deadline", 10.0)
    kw.setdefault("timeout", 5.0)
    return Http(sleep=sleeps, now=lambda: NOW, rng=lambda low, high: high, **kw)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- Retry-After, both forms and junk -------------------------------------------------------

@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 7 ", 7.0), ("0", 0.0),
    ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),      # IMF-fixdate
    ("Wed, 21 Oct 2015 07:28:10 -0000", 10.0),    # zone-less date: GMT
    ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),       # already past: no wait, never negative
])
def test_retry_after_both_rfc_9110_forms(value, seconds):
    assert parse_retry_after(value, now=NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("junk", [None, "", "  ", "soon", "-5", "3.5", "1e9", "nan", "inf", "0x10", "٣",
                                  "Wed, 32 Oct 2015 07:28:10 GMT", "Wed, 21 Oct 99999 07:28:10 GMT"])
def test_retry_after_junk_is_ignored(junk):
    assert parse_retry_after(junk, now=NOW) is None


def test_backoff_is_exponential_capped_and_jittered_in_the_upper_half():
    low = [backoff_delay(n, 1.0, 10.0, rng=lambda a, b: a) for n in range(1, 7)]
    high = [backoff_delay(n, 1.0, 10.0, rng=lambda a, b: b) for n in range(1, 7)]
    assert high == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0] and low == [h / 2 for h in high]
    assert all(0.5 <= backoff_delay(1, 1.0, 10.0) <= 1.0 for _ in range(50))


def test_user_agent_lives_in_net_and_stays_importable_from_sources(monkeypatch):
    monkeypatch.setenv("PAPERRADAR_CONTACT", "mailto:radar@example.org")
    assert user_agent() == legacy_user_agent() == (
        f"paperradar/{__version__} (+https://github.com/paperradar/paperradar; mailto:radar@example.org)")


# -- retries --------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "wait"), [
    ("3", 3.0),
    (format_datetime(NOW + timedelta(seconds=42), usegmt=True), 42.0),
    ("in a minute", 1.0),  # junk: the policy's own back-off (base 1 s, first retry)
])
def test_retry_after_seconds_date_or_junk_then_success(httpserver, sleeps, header, wait):
    httpserver.expect_ordered_request("/x").respond_with_data("busy", status=429,
                                                              headers={"Retry-After": header})
    httpserver.expect_ordered_request("/x").respond_with_data("done")
    with http(sleeps) as client:
        reply = client.get(httpserver.url_for("/x"))
    assert (reply.status_code, reply.content, reply.attempts, reply.gave_up) == (200, b"done", 2, None)
    assert sleeps == [pytest.approx(wait)] and len(httpserver.log) == 2
    assert {r.headers["User-Agent"] for r, _ in httpserver.log} == {user_agent()}


def test_transient_statuses_retried_with_backoff_then_given_up(httpserver, sleeps):
    httpserver.expect_request("/x").respond_with_data("down", status=503)
    with http(sleeps, retries=3) as client:
        reply = client.get(httpserver.url_for("/x"))
    assert reply.status_code == 503 and reply.gave_up == "gave up after 4 attempts"
    assert sleeps == [1.0, 2.0, 4.0] and len(httpserver.log) == 4


def test_non_transient_status_is_returned_at_once(httpserver, sleeps):
    httpserver.expect_request("/x").respond_with_data("no such thing", status=404)
    with http(sleeps) as client:
        reply = client.get(httpserver.url_for("/x"))
    assert (reply.status_code, reply.text, reply.gave_up, sleeps) == (404, "no such thing", None, [])


def test_retry_after_beyond_the_cap_is_refused_or_shortened(httpserver, sleeps):
    httpserver.expect_request("/x").respond_with_data("", status=503, headers={"Retry-After": "86400"})
    with http(sleeps, retry_after_max=60) as client, \
            pytest.raises(FetchError, match="retry after 86400 s, longer"):
        client.get(httpserver.url_for("/x"))
    assert sleeps == []
    with http(sleeps, retry_after_max=60, cap_retry_after=True, retries=1) as client:
        assert client.get(httpserver.url_for("/x")).gave_up == "gave up after 2 attempts"
    assert sleeps == [60]


def test_a_cancelled_wait_makes_the_last_answer_final(httpserver):
    httpserver.expect_request("/x").respond_with_data("", status=503, headers={"Retry-After": "30"})
    waits: list[float] = []

    def cancelled(seconds: float) -> bool:
        waits.append(seconds)
        return True  # what threading.Event.wait says when the event is set

    with Http(sleep=cancelled, max_bytes=1000, deadline=5) as client:
        reply = client.get(httpserver.url_for("/x"))
    assert reply.gave_up == CANCELLED and waits == [30.0] and len(httpserver.log) == 1


def test_dropped_connection_retried_then_success(httpserver, sleeps):
    def cut(_: Request) -> Response:
        response = Response(b"<partial", content_type="text/xml")
        response.headers["Content-Length"] = "5000"
        response.headers["Connection"] = "close"
        return response

    httpserver.expect_ordered_request("/x").respond_with_handler(cut)
    httpserver.expect_ordered_request("/x").respond_with_data("<whole/>")
    attempts: list[str] = []
    with http(sleeps, before_attempt=lambda: attempts.append("before"),
              after_attempt=lambda: attempts.append("after")) as client:
        reply = client.get(httpserver.url_for("/x"))
    assert reply.content == b"<whole/>" and reply.attempts == 2 and sleeps == [1.0]
    assert attempts == ["before", "after", "before", "after"]


def test_connection_refused_fails_fast_or_is_retried(sleeps):
    url = f"http://127.0.0.1:{free_port()}/x"
    with http(sleeps, retry_connect=False) as client, pytest.raises(FetchUnavailable, match="cannot connect"):
        client.get(url)
    assert sleeps == []
    with http(sleeps, retries=2) as client, \
            pytest.raises(FetchUnavailable, match=r"cannot connect to 127\.0\.0\.1.*after 3 attempts"):
        client.get(url)
    assert sleeps == [1.0, 2.0]


# -- size cap -------------------------------------------------------------------------------

def test_endless_body_stops_at_the_cap_with_bounded_memory(hostile, sleeps):
    hostile.routes["/endless"] = endless()
    url = hostile.url("/endless")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with http(sleeps, max_bytes=2 * 10**6) as client, pytest.raises(ResponseTooLarge) as caught:
            client.get(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert url in message and "2 MB cap" in message and "PAPERRADAR_HTTP_MAX_BYTES" in message
    assert peak < 16 * 10**6, f"peak {peak} bytes while capped at 2 MB"
    assert sleeps == [] and len(hostile.hits) == 1  # too large is final: not retried


def test_declared_length_over_the_cap_is_not_read(hostile, sleeps):
    hostile.routes["/big"] = declared(50 * 10**9)
    with http(sleeps, max_bytes=10**6) as client, \
            pytest.raises(ResponseTooLarge, match="announces 50 GB.*not read"):
        client.get(hostile.url("/big"))


def test_cap_counts_decompressed_bytes(httpserver, sleeps):
    bomb = gzip.compress(b"\0" * (5 * 10**6))  # 5 MB of zeros in about 5 kB
    httpserver.expect_request("/gz").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with http(sleeps, max_bytes=10**6) as client, pytest.raises(ResponseTooLarge, match="1 MB cap"):
        client.get(httpserver.url_for("/gz"))


# -- deadline -------------------------------------------------------------------------------

@pytest.mark.parametrize("route", [trickle_body(3.0), trickle_headers(0.2)], ids=["body", "headers"])
def test_trickling_server_hits_the_deadline(hostile, sleeps, route):
    """A byte every 3 s (body) or every 0.2 s (headers) never trips a 5 s read time-out;
    the 1 s deadline stops both, without waiting for the next byte."""
    hostile.routes["/slow"] = route
    started = time.monotonic()
    with http(sleeps, deadline=1.0) as client, pytest.raises(DeadlineExceeded) as caught:
        client.get(hostile.url("/slow"))
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.8, elapsed  # the next body byte would come at 3 s
    assert "1 s deadline" in str(caught.value) and "PAPERRADAR_HTTP_DEADLINE" in str(caught.value)
    assert sleeps == [] and len(hostile.hits) == 1  # past the deadline is final: not retried


def test_settings_give_the_defaults_and_are_checked(monkeypatch, sleeps):
    monkeypatch.setenv("PAPERRADAR_HTTP_MAX_BYTES", "12345")
    monkeypatch.setenv("PAPERRADAR_HTTP_DEADLINE", "2.5")
    with Http() as client:
        assert (client.max_bytes, client.deadline) == (12345, 2.5)
    monkeypatch.setenv("PAPERRADAR_HTTP_DEADLINE", "0")
    with pytest.raises(ConfigError, match="PAPERRADAR_HTTP_DEADLINE"):
        Http()
    monkeypatch.setenv("PAPERRADAR_HTTP_MAX_BYTES", "lots")
    with pytest.raises(ConfigError, match="PAPERRADAR_HTTP_MAX_BYTES"):
        Http()


# -- the LLM and embedding clients go through the same policy ------------------------------

def chat_ok() -> Response:
    body = {"choices": [{"message": {"content": "hello"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1}, "model": "m"}
    return Response(json.dumps(body), content_type="application/json")


def test_llm_client_429_with_retry_after_date_then_200(httpserver):
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=5), usegmt=True)  # "retry now"
    httpserver.expect_ordered_request("/v1/chat/completions", method="POST").respond_with_data(
        '{"error": {"message": "slow down"}}', status=429, headers={"Retry-After": past})
    httpserver.expect_ordered_request("/v1/chat/completions", method="POST").respond_with_response(chat_ok())
    client = ChatClient(httpserver.url_for("/v1"), "m", backoff_base=30.0)  # a back-off would take 15+ s
    started = time.monotonic()
    reply = client.chat([{"role": "user", "content": "hi"}])
    client.close()
    assert reply.content == "hello" and client.requests_sent == 2 and time.monotonic() - started < 3
    assert {r.headers["User-Agent"] for r, _ in httpserver.log} == {user_agent()}


def test_llm_client_oversized_answer_is_a_final_llm_error(hostile, monkeypatch):
    monkeypatch.setenv("PAPERRADAR_HTTP_MAX_BYTES", "100000")
    hostile.routes["/v1/chat/completions"] = endless("application/json")
    client = ChatClient(hostile.url("/v1"), "m", backoff_base=0.01)
    with pytest.raises(LLMError, match="cap") as caught:
        client.chat([{"role": "user", "content": "hi"}])
    client.close()
    assert not caught.value.retryable and len(hostile.hits) == 1


def test_embedder_429_with_retry_after_then_200(httpserver, sleeps):
    vectors = {"data": [{"index": 0, "embedding": [3.0, 4.0]}]}
    httpserver.expect_ordered_request("/v1/embeddings", method="POST").respond_with_data(
        "busy", status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/v1/embeddings", method="POST").respond_with_json(vectors)
    emb = OpenAIEmbedder(httpserver.url_for("/v1"), "e", dim=2, sleep=sleeps)
    assert np.allclose(emb.embed(["x"]), [[0.6, 0.8]]) and sleeps == [7.0]
    assert httpserver.log[0][0].headers["User-Agent"] == user_agent()


def test_embedder_failures_are_embedding_errors(hostile, sleeps, monkeypatch):
    monkeypatch.setenv("PAPERRADAR_HTTP_MAX_BYTES", "100000")
    hostile.routes["/v1/embeddings"] = endless("application/json")
    with pytest.raises(EmbeddingError, match="failed: .*cap"):
        OpenAIEmbedder(hostile.url("/v1"), "e", dim=2, sleep=sleeps).embed(["x"])
    hostile.routes["/v1/embeddings"] = trickle_body(2.0)
    monkeypatch.setenv("PAPERRADAR_HTTP_DEADLINE", "0.5")
    with pytest.raises(EmbeddingError, match="deadline"):
        OpenAIEmbedder(hostile.url("/v1"), "e", dim=2, sleep=sleeps).embed(["x"])
    assert issubclass(ResponseTooLarge, NetworkError) and issubclass(DeadlineExceeded, NetworkError)
