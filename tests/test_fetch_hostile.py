"""``fetch`` against servers on 127.0.0.1 that misbehave on purpose (issue 15, "Fetching").

An OAI-PMH server that loops (the same resumptionToken every page; fresh
tokens over the same records; more pages than its completeListSize), an
endless body, a trickling body. Each must stop quickly with a clear error,
leave the resumable cursor at the last good page, and give the CLI a
one-line message with exit status 1, never a traceback. Every server here
is bounded, and so is every test: a regression fails, it does not hang.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from hostile import HostileServer, endless, static, trickle_body

from paperradar.cli import cli
from paperradar.errors import DeadlineExceeded, FetchUnavailable, HarvestError, ResponseTooLarge
from paperradar.sources.harvest import (
    NO_PROGRESS_PAGES,
    OAI_STATE_KEY,
    PoliteClient,
    fetch_rss,
    fetch_today,
    harvest_oai,
    load_oai_state,
)

XML = "text/xml; charset=utf-8"


def record(n: int) -> str:
    arxiv_id = f"1501.{n:05d}"
    return (f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
            "<datestamp>2015-01-16</datestamp><setSpec>cs</setSpec></header><metadata>"
            '<arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
            f"<id>{arxiv_id}</id><created>2015-01-15</created><authors><author><keyname>Doe</keyname>"
            f"<forenames>Jane</forenames></author></authors><title>Paper {n}</title>"
            f"<categories>cs.LG</categories><abstract>  Abstract {n}.\n</abstract></arXiv>"
            "</metadata></record>")


def page(numbers: range, token: str | None, size: int | None = None) -> str:
    size_attr = f' completeListSize="{size}"' if size is not None else ""
    resumption = f"<resumptionToken{size_attr}>{token}</resumptionToken>" if token else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            "<responseDate>2016-01-18T15:33:12Z</responseDate>"
            '<request verb="ListRecords">http://export.arxiv.org/oai2</request><ListRecords>'
            + "".join(record(n) for n in numbers) + resumption + "</ListRecords></OAI-PMH>")


@pytest.fixture
def client():
    with PoliteClient(delay=0.0, retries=1, timeout=5, sleep=lambda s: None) as c:
        yield c


@pytest.fixture
def hostile():
    server = HostileServer()
    yield server
    server.close()


def test_same_resumption_token_every_page_stops_at_the_second_page(httpserver, store, client):
    httpserver.expect_request("/oai").respond_with_data(page(range(1, 4), "same", size=1000),
                                                        content_type=XML)
    started = time.monotonic()
    with pytest.raises(HarvestError, match=r"page 2: the server sent resumptionToken 'same' again "
                                           r"\(first sent with page 1\)") as caught:
        harvest_oai(store, client, base_url=httpserver.url_for("/oai"))
    assert time.monotonic() - started < 5 and len(httpserver.log) == 2
    assert "stored cursor stays after page 1" in str(caught.value)
    state = load_oai_state(store)
    assert (state["token"], state["pages"]) == ("same", 1) and store.count_papers() == 3
    # --resume starts from the last good page, sees the loop again at once and stops again
    with pytest.raises(HarvestError, match="first sent with page 1"):
        harvest_oai(store, client, resume=True)
    assert len(httpserver.log) == 3 and load_oai_state(store)["pages"] == 1


def test_fresh_tokens_over_the_same_records_stop_after_a_few_pages(httpserver, store, client):
    counter = iter(range(1, 1000))

    def handler(_request):
        from werkzeug import Response

        return Response(page(range(1, 4), f"tok-{next(counter)}"), content_type=XML)

    httpserver.expect_request("/oai").respond_with_handler(handler)
    with pytest.raises(HarvestError, match=f"{NO_PROGRESS_PAGES} pages in a row brought no record"):
        harvest_oai(store, client, base_url=httpserver.url_for("/oai"))
    assert len(httpserver.log) == 1 + NO_PROGRESS_PAGES  # the first page was new, then 3 stale ones
    assert load_oai_state(store)["pages"] == NO_PROGRESS_PAGES  # the last stale page was not stored


def test_more_records_than_complete_list_size_allows_stops(httpserver, store, client):
    counter = iter(range(1000))

    def handler(_request):
        from werkzeug import Response

        n = next(counter)
        return Response(page(range(n * 60, n * 60 + 60), f"tok-{n}", size=20), content_type=XML)

    httpserver.expect_request("/oai").respond_with_handler(handler)
    with pytest.raises(HarvestError, match="180 records received, more than the completeListSize of 20"):
        harvest_oai(store, client, base_url=httpserver.url_for("/oai"))
    assert len(httpserver.log) == 3 and store.count_papers() == 120
    assert json.loads(store.get_meta(OAI_STATE_KEY))["records"] == 120


def test_endless_body_stops_at_the_cap(hostile, store, monkeypatch):
    monkeypatch.setenv("PAPERRADAR_HTTP_MAX_BYTES", "1000000")
    hostile.routes["/rss/cs.AI"] = endless()
    started = time.monotonic()
    with PoliteClient(delay=0, sleep=lambda s: None) as c, pytest.raises(ResponseTooLarge, match="1 MB cap"):
        fetch_rss(store, c, ["cs.AI"], base_url=hostile.url("/rss/"))
    assert time.monotonic() - started < 5 and store.count_papers() == 0


def test_trickling_feed_hits_the_deadline_and_today_keeps_the_other_feeds(hostile, store, monkeypatch):
    monkeypatch.setenv("PAPERRADAR_HTTP_DEADLINE", "1")
    hostile.routes["/rss/cs.AI"] = trickle_body(2.0)
    hostile.routes["/rss/cs.CL"] = endless()
    started = time.monotonic()
    with PoliteClient(delay=0, sleep=lambda s: None) as c, \
            pytest.raises(DeadlineExceeded, match="1 s deadline"):
        c.get(hostile.url("/rss/cs.AI"))
    assert time.monotonic() - started < 2.5
    # the daily job: each hostile feed is one rejection naming it, not a crash of the whole run
    monkeypatch.setenv("PAPERRADAR_HTTP_MAX_BYTES", "100000")
    with pytest.raises(FetchUnavailable, match="deadline.*; .*cap"):  # nothing could be fetched at all
        fetch_today(store, ["cs.AI", "cs.CL"], base_url=hostile.url("/rss/"), delay=0)


def test_cli_prints_the_error_and_exits_1_without_a_traceback(hostile, tmp_path):
    hostile.routes["/oai"] = static(page(range(1, 3), "same").encode())
    hostile.routes["/big/cs.AI"] = endless()
    hostile.routes["/slow/cs.AI"] = trickle_body(2.0)
    runner = CliRunner()
    db = str(tmp_path / "s.db")
    looping = runner.invoke(cli, ["--db", db, "fetch", "oai", "--from", "2015-01-16", "--delay", "0",
                                  "--base-url", hostile.url("/oai")])
    assert looping.exit_code == 1 and "Traceback" not in looping.output
    assert "resumptionToken 'same' again" in looping.stderr
    assert "1 page(s) stored; continue with: paperradar fetch oai --resume" in looping.stderr
    env = {"PAPERRADAR_HTTP_MAX_BYTES": "200000", "PAPERRADAR_HTTP_DEADLINE": "1"}
    for path, expected in (("/big/", "cap ($PAPERRADAR_HTTP_MAX_BYTES)"),
                           ("/slow/", "1 s deadline ($PAPERRADAR_HTTP_DEADLINE)")):
        result = runner.invoke(cli, ["--db", str(tmp_path / "t.db"), "fetch", "rss", "cs.AI", "--delay", "0",
                                     "--base-url", hostile.url(path)], env=env)
        assert result.exit_code == 1, result.output
        assert expected in result.stderr and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1
