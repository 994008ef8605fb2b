"""Live fetching against a real HTTP server on 127.0.0.1 (pytest-httpserver) that
serves the real arXiv samples, pages cut from them, and composed feeds."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug import Request, Response

from paperradar import __version__
from paperradar.cli import cli
from paperradar.sources.harvest import (
    OAI_STATE_KEY,
    FetchError,
    FetchUnavailable,
    PoliteClient,
    fetch_api,
    fetch_rss,
    fetch_today,
    harvest_oai,
)
from paperradar.sources.http import user_agent

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "arxiv_protocol_samples"
OAI_CS = SAMPLES / "oai_pmh" / "listrecords_arXiv_set-cs_2015-01-16_invenio-oaiharvester.xml"
API_ATOM = SAMPLES / "export_api_atom" / "query_cat-cs.AI_max2_2025-09-11_trimmed.xml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
XML = "text/xml; charset=utf-8"


class Sleeps(list):
    """Injected sleep: records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps):
    with PoliteClient(delay=0.0, retries=3, timeout=5, sleep=sleeps) as c:
        yield c


# -- composed OAI pages cut from the real 46-record sample -------------------------------------------

def oai_pages(tokens: tuple[str, ...] = ("tok-1", "tok-2")) -> list[str]:
    text = OAI_CS.read_text(encoding="utf-8")
    head = text[: text.index("<ListRecords>") + len("<ListRecords>")]
    records = re.findall(r"<record>.*?</record>\n", text, flags=re.DOTALL)
    assert len(records) == 46
    chunks = [records[:16], records[16:32], records[32:]]
    pages = []
    for i, chunk in enumerate(chunks):
        token = ""
        if i < len(tokens):
            token = (f'<resumptionToken cursor="{i * 16}" completeListSize="46">{tokens[i]}'
                     "</resumptionToken>\n")
        elif i:
            token = f'<resumptionToken cursor="{i * 16}" completeListSize="46"/>\n'
        pages.append(head + "\n" + "".join(chunk) + token + "</ListRecords>\n</OAI-PMH>\n")
    return pages


FIRST = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2015-01-16"}


def serve_oai(httpserver, pages: list[str]) -> None:
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(pages[0], content_type=XML)
    httpserver.expect_request("/oai", query_string={"verb": "ListRecords", "resumptionToken": "tok-1"}) \
        .respond_with_data(pages[1], content_type=XML)
    httpserver.expect_request("/oai", query_string={"verb": "ListRecords", "resumptionToken": "tok-2"}) \
        .respond_with_data(pages[2], content_type=XML)


def test_oai_harvest_follows_resumption_tokens_and_is_idempotent(httpserver, store, client):
    serve_oai(httpserver, oai_pages())
    messages: list[str] = []
    report = harvest_oai(store, client, base_url=httpserver.url_for("/oai"), set_spec="cs",
                         from_date="2015-01-16", progress=messages.append)
    assert (report.read, report.new, report.rejected) == (46, 46, 0)
    assert len(report.files) == 3 and store.count_papers() == 46
    assert [m.split(":")[0] for m in messages] == ["page 1", "page 2", "page 3"]
    assert "of 46 so far" in messages[0]
    state = json.loads(store.get_meta(OAI_STATE_KEY))
    assert state["token"] is None and state["pages"] == 3 and state["next_from"] == "2016-01-18"
    paper = store.get_papers(["1101.4388"])["1101.4388"]
    assert paper.doi == "10.1016/j.acha.2012.03.009" and paper.authors[-1] == "Fred J. Hickernell"
    assert store.listing_dates() == []  # OAI says nothing about announcement days
    # every request carried our User-Agent
    agents = {request.headers.get("User-Agent") for request, _ in httpserver.log}
    assert agents == {user_agent()} and agents.pop().startswith(f"paperradar/{__version__} (+https://github.com/")
    again = harvest_oai(store, client, base_url=httpserver.url_for("/oai"), set_spec="cs",
                        from_date="2015-01-16")
    assert (again.read, again.new, again.updated, again.unchanged) == (46, 0, 0, 46)


def test_oai_interrupted_harvest_resumes_from_stored_token(httpserver, store, client):
    pages = oai_pages()
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(pages[0], content_type=XML)
    resume_1 = {"verb": "ListRecords", "resumptionToken": "tok-1"}
    httpserver.expect_oneshot_request("/oai", query_string=resume_1) \
        .respond_with_data(pages[1][: len(pages[1]) // 2], content_type=XML)  # cut mid-page
    with pytest.raises(FetchError, match=r"page 2: not well-formed XML: document ends early .* at line \d+"):
        harvest_oai(store, client, base_url=httpserver.url_for("/oai"), set_spec="cs", from_date="2015-01-16")
    assert store.count_papers() == 16  # page 1 committed, the damaged page 2 not at all
    assert json.loads(store.get_meta(OAI_STATE_KEY))["token"] == "tok-1"
    httpserver.clear()
    serve_oai(httpserver, pages)
    report = harvest_oai(store, client, base_url="http://unused.invalid/", resume=True)
    assert (report.read, report.new) == (30, 30) and store.count_papers() == 46
    assert [r.query_string for r, _ in httpserver.log] == [b"verb=ListRecords&resumptionToken=tok-1",
                                                          b"verb=ListRecords&resumptionToken=tok-2"]
    # a finished harvest resumes incrementally from the day it started
    httpserver.clear()
    empty = ('<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
             '<responseDate>2016-01-19T00:00:00Z</responseDate><request verb="ListRecords">x</request>'
             '<error code="noRecordsMatch">No records</error></OAI-PMH>')
    httpserver.expect_request("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "arXiv",
                                                    "set": "cs", "from": "2016-01-18"}) \
        .respond_with_data(empty, content_type=XML)
    report = harvest_oai(store, client, resume=True)
    assert report.read == 0 and report.rejected == 0


def test_oai_error_and_nothing_to_resume(httpserver, store, client):
    bad = ('<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
           '<error code="badArgument">Illegal set</error></OAI-PMH>')
    httpserver.expect_request("/oai").respond_with_data(bad, content_type=XML)
    with pytest.raises(FetchError, match="OAI-PMH error badArgument: Illegal set"):
        harvest_oai(store, client, base_url=httpserver.url_for("/oai"), set_spec="nope")
    assert store.count_papers() == 0
    with pytest.raises(FetchError, match="nothing to resume"):
        harvest_oai(store, client, resume=True)


# -- HTTP behaviour -----------------------------------------------------------------------------------

def test_503_with_retry_after_then_success(httpserver, store, client, sleeps):
    page = oai_pages(tokens=())[0]
    httpserver.expect_ordered_request("/oai").respond_with_data(
        "busy", status=503, headers={"Retry-After": "1"})
    httpserver.expect_ordered_request("/oai").respond_with_data(page, content_type=XML)
    report = harvest_oai(store, client, base_url=httpserver.url_for("/oai"))
    assert report.new == 16 and sleeps == [1.0] and len(httpserver.log) == 2


def test_429_with_http_date_and_bounded_retries(httpserver, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    httpserver.expect_request("/api").respond_with_data("slow down", status=429,
                                                        headers={"Retry-After": when})
    with PoliteClient(delay=0, retries=2, sleep=sleeps) as c, \
            pytest.raises(FetchError, match=r"HTTP 429 .*gave up after 3 attempts"):
        c.get(httpserver.url_for("/api"))
    assert len(sleeps) == 2 and all(25 <= s <= 30 for s in sleeps) and len(httpserver.log) == 3


def test_retry_after_longer_than_max_wait_is_a_clear_error(httpserver, sleeps):
    httpserver.expect_request("/x").respond_with_data("", status=503, headers={"Retry-After": "86400"})
    with PoliteClient(delay=0, max_wait=60, sleep=sleeps) as c, \
            pytest.raises(FetchError, match="longer than"):
        c.get(httpserver.url_for("/x"))
    assert sleeps == []


def test_truncated_body_is_retried_then_reported(httpserver, sleeps):
    body = OAI_CS.read_bytes()

    def truncated(_: Request) -> Response:
        response = Response(body[:2000], content_type=XML)
        response.headers["Content-Length"] = str(len(body))
        response.headers["Connection"] = "close"
        return response

    httpserver.expect_request("/oai").respond_with_handler(truncated)
    with PoliteClient(delay=0, retries=2, sleep=sleeps) as c, \
            pytest.raises(FetchError, match=r"incomplete response from localhost .*gave up after 3 attempts"):
        c.get(httpserver.url_for("/oai"))
    assert len(httpserver.log) == 3


def test_politeness_delay_between_requests(httpserver, sleeps):
    httpserver.expect_request("/x").respond_with_data("ok")
    now = [100.0]
    with PoliteClient(delay=3.0, sleep=sleeps, clock=lambda: now[0]) as c:
        c.get(httpserver.url_for("/x"))
        now[0] += 1.0
        c.get(httpserver.url_for("/x"))
        now[0] += 5.0
        c.get(httpserver.url_for("/x"))
    assert sleeps == [2.0]  # only the second request came too early


def test_user_agent_contact_from_environment(monkeypatch):
    monkeypatch.setenv("PAPERRADAR_CONTACT", "radar@example.org")
    assert user_agent() == f"paperradar/{__version__} (+https://github.com/paperradar/paperradar; " \
                           "mailto:radar@example.org)"


@pytest.mark.parametrize("name", ["malformed", "billion-laughs", "xxe"])
def test_hostile_or_malformed_pages_are_errors_not_crashes(httpserver, store, client, name):
    bodies = {
        "malformed": "<rss><channel><title>cs.AI</title></chanel></rss>",
        "billion-laughs": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                          '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><title>&b;</title>'
                          "</channel></rss>",
        "xxe": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               "<rss><channel><title>&x;</title></channel></rss>",
    }
    httpserver.expect_request("/rss/cs.AI").respond_with_data(bodies[name], content_type=XML)
    expected = ("mismatched tag at line 1, column" if name == "malformed"
                else "refused: document type declaration")
    with pytest.raises(FetchError, match=expected) as caught:
        fetch_rss(store, client, ["cs.AI"], base_url=httpserver.url_for("/rss/"))
    assert httpserver.url_for("/rss/cs.AI") in str(caught.value) and "root:" not in str(caught.value)
    assert store.count_papers() == 0


# -- export API ---------------------------------------------------------------------------------------

def api_page(start: int, ids: list[str], total: int) -> str:
    """A page shaped like the real sample, with its entries renumbered."""
    text = API_ATOM.read_text(encoding="utf-8")
    head, rest = text.split("<entry>", 1)
    entry = "<entry>" + rest.split("</entry>", 1)[0] + "</entry>"
    head = head.replace(">141182<", f">{total}<").replace(">0</opensearch:startIndex>",
                                                         f">{start}</opensearch:startIndex>")
    entries = "".join(entry.replace("2509.08827", arxiv_id) for arxiv_id in ids)
    return head + entries + "\n</feed>\n"


def test_export_api_pages_by_total_results(httpserver, store, sleeps):
    ids = ["2509.00001", "2509.00002", "2509.00003", "2509.00004", "2509.00005"]
    for start in (0, 2, 4):
        httpserver.expect_request("/api/query", query_string={
            "search_query": "cat:cs.AI", "start": str(start), "max_results": "2"}).respond_with_data(
            api_page(start, ids[start:start + 2], total=5), content_type=XML)
    now = [0.0]

    def clock() -> float:
        now[0] += 0.5  # each request "takes" half a second
        return now[0]

    with PoliteClient(delay=3.0, sleep=sleeps, clock=clock) as c:
        report = fetch_api(store, c, query="cat:cs.AI", base_url=httpserver.url_for("/api/query"),
                           page_size=2)
    assert (report.read, report.new, len(report.files)) == (5, 5, 3)
    assert sleeps == [2.5, 2.5]  # the 3 s politeness delay between pages, minus time already passed
    paper = store.get_papers(["2509.00005"])["2509.00005"]
    assert paper.version == 1 and paper.primary_category == "cs.CL"


def test_export_api_max_results_and_api_error(httpserver, store, client):
    httpserver.expect_request("/api/query", query_string={
        "search_query": "cat:cs.AI", "start": "0", "max_results": "2"}).respond_with_data(
        API_ATOM.read_text(encoding="utf-8"), content_type=XML)
    report = fetch_api(store, client, query="cat:cs.AI", base_url=httpserver.url_for("/api/query"),
                       max_results=2, page_size=50)
    assert report.new == 2 and len(httpserver.log) == 1  # 141182 available, 2 wanted
    error = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
             "<id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>"
             "<summary>incorrect id format for 1234</summary></entry></feed>")
    httpserver.expect_request("/api/bad").respond_with_data(error, content_type=XML)
    with pytest.raises(FetchError, match="rejected the query 'id:1234': incorrect id format for 1234"):
        fetch_api(store, client, query="id:1234", base_url=httpserver.url_for("/api/bad"))


# -- announcement feeds --------------------------------------------------------------------------------

def serve_rss(httpserver) -> str:
    for cat in ("cs.AI", "cs.CL"):
        httpserver.expect_request(f"/rss/{cat}").respond_with_data(
            (FIXTURES / f"rss_{cat}.xml").read_bytes(), content_type="application/rss+xml")
    return httpserver.url_for("/rss/")


def test_rss_cross_listed_paper_is_one_paper_with_two_listings(httpserver, store, client):
    base = serve_rss(httpserver)
    report = fetch_rss(store, client, ["cs.AI", "cs.CL"], base_url=base)
    assert (report.read, report.new, report.unchanged, report.listings_added) == (6, 5, 1, 6)
    assert store.count_papers() == 5
    listings = {(x.arxiv_id, x.category): x for x in store.listings_on("2025-01-07")}
    assert listings[("2501.02001", "cs.AI")].announce_type == "new"
    assert listings[("2501.02001", "cs.CL")].announce_type == "cross-list"
    assert {x.announce_type for x in listings.values()} == {"new", "cross-list", "replacement"}
    assert [(x.arxiv_id, x.position) for x in store.listings_on("2025-01-07") if x.category == "cs.AI"] == [
        ("2501.02001", 0), ("2501.01877", 1), ("2412.15011", 2), ("2410.08888", 3)]
    again = fetch_rss(store, client, ["cs.AI", "cs.CL"], base_url=base)
    assert (again.new, again.updated, again.listings_added, again.unchanged) == (0, 0, 0, 6)


def test_fetch_today_and_offline(httpserver, store, monkeypatch):
    base = serve_rss(httpserver)
    report = fetch_today(store, ["cs.CL"], base_url=base, delay=0)
    assert report.new == 2 and report.listings_added == 2
    monkeypatch.setenv("PAPERRADAR_RSS_URL", base)
    assert fetch_today(store, ["cs.AI"], delay=0).listings_added == 4  # base URL from the environment
    # one category failing after another succeeded: kept as a rejection, the rest is stored
    httpserver.expect_request("/rss/cs.XX").respond_with_data("gone", status=404)
    mixed = fetch_today(store, ["cs.AI", "cs.XX"], base_url=base, delay=0)
    assert mixed.rejected == 1 and "HTTP 404" in mixed.rejections[0].message
    started = time.monotonic()
    with pytest.raises(FetchUnavailable, match="cannot connect to 127.0.0.1"):
        fetch_today(store, ["cs.AI"], base_url=f"http://127.0.0.1:{free_port()}/rss/", delay=0)
    assert time.monotonic() - started < 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the CLI ---------------------------------------------------------------------------------------------

def test_cli_fetch_rss_json_and_text(httpserver, tmp_path):
    base = serve_rss(httpserver)
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db, "fetch", "rss", "cs.AI", "cs.CL", "--base-url", base,
                                 "--delay", "0", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["new"], data["listings_added"]) == (5, 6)
    assert "cs.AI: 4 items" in result.stderr  # progress on stderr
    again = runner.invoke(cli, ["--db", db, "fetch", "rss", "cs.AI", "--base-url", base, "--delay", "0"])
    assert again.exit_code == 0
    assert again.stdout.startswith("files 1  read 4  new 0  updated 0  unchanged 4")


def test_cli_fetch_exit_codes(httpserver, tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "s.db")
    offline = runner.invoke(cli, ["--db", db, "fetch", "oai", "--from", "2025-01-06", "--delay", "0",
                                  "--base-url", f"http://127.0.0.1:{free_port()}/oai"])
    assert offline.exit_code == 2
    assert offline.stderr.strip().startswith("error: network unavailable: cannot connect to 127.0.0.1")
    assert len(offline.stderr.strip().splitlines()) == 1 and "Traceback" not in offline.output
    text = (FIXTURES / "rss_cs.CL.xml").read_text(encoding="utf-8").replace(
        "<title>Low-Resource Machine Translation with Pivot Dictionaries</title>", "")
    httpserver.expect_request("/rss/cs.CL").respond_with_data(text, content_type=XML)
    rejected = runner.invoke(cli, ["--db", db, "fetch", "rss", "cs.CL", "--delay", "0",
                                   "--base-url", httpserver.url_for("/rss/")])
    assert rejected.exit_code == 1
    assert "record 1: field 'title': missing" in rejected.stderr and "new 1" in rejected.stdout
    bad_cat = runner.invoke(cli, ["--db", db, "fetch", "rss", "cs.AI;rm", "--delay", "0"])
    assert bad_cat.exit_code == 1 and "not an arXiv category: cs.AI;rm" in bad_cat.stderr
    page = oai_pages(tokens=())[0]
    httpserver.expect_request("/oai").respond_with_data(page, content_type=XML)
    ok = runner.invoke(cli, ["--db", db, "fetch", "oai", "--set", "cs", "--prefix", "arXiv", "--delay", "0",
                             "--base-url", httpserver.url_for("/oai")])
    assert ok.exit_code == 0 and "new 16" in ok.stdout
    conflict = runner.invoke(cli, ["--db", db, "fetch", "oai", "--resume", "--set", "cs"])
    assert conflict.exit_code == 2 and "do not combine" in conflict.stderr


def test_cli_fetch_oai_interrupted_then_resumed(httpserver, tmp_path):
    pages = oai_pages()
    runner = CliRunner()
    db = str(tmp_path / "s.db")
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(pages[0], content_type=XML)
    httpserver.expect_oneshot_request("/oai", query_string={"verb": "ListRecords",
                                                            "resumptionToken": "tok-1"}) \
        .respond_with_data("<OAI-PMH", content_type=XML)
    args = ["--db", db, "fetch", "oai", "--set", "cs", "--from", "2015-01-16", "--delay", "0",
            "--base-url", httpserver.url_for("/oai")]
    broken = runner.invoke(cli, args)
    assert broken.exit_code == 1 and "Traceback" not in broken.output
    assert "1 page(s) stored; continue with: paperradar fetch oai --resume" in broken.stderr
    httpserver.clear()
    serve_oai(httpserver, pages)
    resumed = runner.invoke(cli, ["--db", db, "fetch", "oai", "--resume", "--delay", "0", "--json"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["new"] == 30 and "resuming the harvest" in resumed.stderr
