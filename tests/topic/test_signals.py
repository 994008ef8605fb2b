"""Online signals for trending papers (GitHub stars, Hugging Face upvotes), each against a
real local HTTP server answering in the services' recorded formats; without --signals no
request is made at all."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.digest.trending import add_signals, trending
from paperradar.errors import FetchError
from paperradar.ingest import ingest_records
from paperradar.models import CodeLink, Listing, Origin, Paper, Record
from paperradar.net import Http
from paperradar.sources.signals import GitHubStars, HFUpvotes, Signal, github_repo
from paperradar.store import open_store

PHRASE = "quantum gizmo routing"
START = date(2026, 6, 1)
LAST = "2026-06-21"  # 14 baseline days, then 7 recent ones


def _repo_json(owner: str, name: str, stars: int) -> dict:
    """The shape of GitHub's GET /repos/{owner}/{repo} answer (abridged)."""
    return {"id": 123456, "node_id": "R_kgDOabc", "name": name, "full_name": f"{owner}/{name}",
            "private": False,
            "owner": {"login": owner, "id": 42, "type": "User"}, "html_url": f"https://github.com/{owner}/{name}",
            "description": "code", "fork": False, "stargazers_count": stars, "watchers_count": stars,
            "forks_count": 3, "open_issues_count": 1, "default_branch": "main",
            "pushed_at": "2026-06-20T10:00:00Z", "license": {"key": "mit", "name": "MIT License"}}


def _daily(items: list[tuple[str, int]]) -> list[dict]:
    """The shape of Hugging Face's GET /api/daily_papers?date= answer (abridged)."""
    return [{"paper": {"id": pid, "authors": [{"name": "A. Author"}],
                       "publishedAt": "2026-06-20T17:59:00.000Z", "title": f"Paper {pid}", "summary": "...",
                       "upvotes": votes, "discussionId": "x"},
             "publishedAt": "2026-06-21T01:00:00.000Z", "title": f"Paper {pid}", "numComments": 2,
             "submittedBy": {"user": "someone"}} for pid, votes in items]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """Ten papers a day for 21 days; in the last 7, three a day use PHRASE; the last day's
    three have GitHub code links."""
    path = tmp_path / "papers.db"
    store = open_store(str(path))
    n = 0
    for k in range(21):
        day = (START + timedelta(days=k)).isoformat()
        records = []
        for j in range(10):
            n += 1
            pid = f"2606.{n:05d}"
            planted = k >= 14 and j < 3
            text = f"We study widget networks for sorting. We use {PHRASE}." if planted else \
                "We study widget networks for sorting."
            code = CodeLink(pid, f"https://github.com/lab/repo{j}") if planted and day == LAST else None
            records.append(Record(Paper(pid, f"Widget networks {n}", ("A. Author",), text, ("cs.LG",)),
                                  Origin("test"), Listing(pid, day, "cs.LG", j), code=code))
        ingest_records(store, records, day)
    store.close()
    return path


def _http() -> Http:
    return Http(retries=0, retry_connect=False, sleep=lambda s: None)


def test_github_urls() -> None:
    assert github_repo("https://github.com/lab/repo.git") == ("lab", "repo")
    assert github_repo("https://github.com/lab/repo/tree/main/src") == ("lab", "repo")
    assert github_repo("https://gitlab.com/lab/repo") is None
    assert github_repo("https://github.com/lab") is None


def test_stars_are_read_sent_with_token_and_stored(db: Path, httpserver) -> None:
    for j, stars in enumerate((5, 300, 40)):
        httpserver.expect_request(f"/repos/lab/repo{j}", headers={"Authorization": "Bearer t0ken"}) \
            .respond_with_json(_repo_json("lab", f"repo{j}", stars))
    store = open_store(str(db))
    report = trending(store, until=LAST, days=7, baseline_days=14, top=3, cache=None)
    top = report.trends[0]
    assert top.term == PHRASE and len(top.papers) == 3
    warnings = add_signals(store, report, ["github"], github_token="t0ken", github_api=httpserver.url_for(""),
                           http=_http())
    assert warnings == []
    assert [report.signals[p]["github_stars"] for p in top.papers] == [300, 40, 5]  # ordered by stars
    links = store.code_links_for(top.papers)
    assert sorted(c.stars for c in links.values()) == [5, 40, 300]
    assert isinstance(GitHubStars({}), Signal) and isinstance(HFUpvotes([]), Signal)
    store.close()


def test_rate_limit_and_404_warn_and_keep_partial_results(httpserver) -> None:
    httpserver.expect_request("/repos/a/gone").respond_with_json({"message": "Not Found"}, status=404)
    httpserver.expect_request("/repos/a/one").respond_with_json(_repo_json("a", "one", 7))
    httpserver.expect_request("/repos/a/two").respond_with_json(
        {"message": "API rate limit exceeded for 127.0.0.1."}, status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1781000000"})
    links = {"1": "https://github.com/a/gone", "2": "https://github.com/a/one", "3": "https://github.com/a/two",
             "4": "https://github.com/a/three", "5": "https://example.org/not-github"}
    signal = GitHubStars(links, api=httpserver.url_for("/"), http=_http())
    assert signal.fetch(["1", "2", "3", "4", "5"]) == {"2": 7}
    assert "404" in signal.warnings[0] and "/repos/a/gone" in signal.warnings[0]
    assert "rate limited (403)" in signal.warnings[1] and "--github-token-env" in signal.warnings[1]
    assert [r.path for r, _ in httpserver.log] == ["/repos/a/gone", "/repos/a/one", "/repos/a/two"]


def test_upvotes_are_mapped_for_the_window_days(httpserver) -> None:
    httpserver.expect_request("/api/daily_papers", query_string="date=2026-06-20") \
        .respond_with_json(_daily([("2606.00001", 17), ("2606.99999", 3)]))
    httpserver.expect_request("/api/daily_papers", query_string="date=2026-06-21") \
        .respond_with_json(_daily([("2606.00002", 4), ("2606.00001", 20)]))
    signal = HFUpvotes(["2026-06-20", "2026-06-21"], base=httpserver.url_for("/"), http=_http())
    assert signal.fetch(["2606.00001", "2606.00002", "2606.00003"]) == {"2606.00001": 20, "2606.00002": 4}
    assert signal.warnings == []


def test_hf_rate_limit_warns_and_stops(httpserver) -> None:
    httpserver.expect_request("/api/daily_papers", query_string="date=2026-06-20") \
        .respond_with_json(_daily([("2606.00001", 17)]))
    httpserver.expect_request("/api/daily_papers", query_string="date=2026-06-21") \
        .respond_with_data("Too Many Requests", status=429)
    signal = HFUpvotes(["2026-06-20", "2026-06-21", "2026-06-22"], base=httpserver.url_for("/"), http=_http())
    assert signal.fetch(["2606.00001"]) == {"2606.00001": 17}
    assert "rate limited (429)" in signal.warnings[0] and len(httpserver.log) == 2


@pytest.mark.parametrize("body, field", [("<html>oops</html>", "not JSON"),
                                         ('{"name": "x"}', "stargazers_count"),
                                         ('{"stargazers_count": "many"}', "stargazers_count")])
def test_malformed_github_json_is_a_clear_error(httpserver, body: str, field: str) -> None:
    httpserver.expect_request("/repos/a/b").respond_with_data(body, content_type="application/json")
    with pytest.raises(FetchError, match=field) as caught:
        GitHubStars({"1": "https://github.com/a/b"}, api=httpserver.url_for("/"), http=_http()).fetch(["1"])
    assert "/repos/a/b" in str(caught.value)


@pytest.mark.parametrize("body, field", [('{"error": "x"}', "JSON list"),
                                         ('[{"paper": {"id": 5}}]', "paper.id"),
                                         ("[{", "not JSON")])
def test_malformed_hf_json_is_a_clear_error(httpserver, body: str, field: str) -> None:
    httpserver.expect_request("/api/daily_papers").respond_with_data(body, content_type="application/json")
    with pytest.raises(FetchError, match=field) as caught:
        HFUpvotes(["2026-06-21"], base=httpserver.url_for("/"), http=_http()).fetch(["1"])
    assert "daily_papers?date=2026-06-21" in str(caught.value)


def _invoke(db: Path, *extra: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["-q", "--db", str(db), "trending", "--until", LAST, "--days", "7",
                                   "--baseline-days", "14", "--top", "3", "--json", *extra])
    return res.exit_code, res.stdout, res.stderr


def test_without_signals_no_request_is_made(db: Path, httpserver, monkeypatch) -> None:
    monkeypatch.setenv("PAPERRADAR_GITHUB_API", httpserver.url_for("/"))
    monkeypatch.setenv("PAPERRADAR_HF_URL", httpserver.url_for("/"))

    def guard(*args: object, **kw: object) -> None:
        raise AssertionError("a request was made without --signals")

    monkeypatch.setattr(Http, "request", guard)
    code, out, err = _invoke(db)
    assert code == 0, err
    data = json.loads(out)
    assert "signals" not in data and data["trends"][0]["term"] == PHRASE
    assert len(httpserver.log) == 0


def test_cli_signals_in_json_with_token_env(db: Path, httpserver, monkeypatch) -> None:
    monkeypatch.setenv("PAPERRADAR_GITHUB_API", httpserver.url_for("/"))
    monkeypatch.setenv("PAPERRADAR_HF_URL", httpserver.url_for("/"))
    monkeypatch.setenv("MY_GH_TOKEN", "s3cret")
    for j, stars in enumerate((5, 300, 40)):
        httpserver.expect_request(f"/repos/lab/repo{j}", headers={"Authorization": "Bearer s3cret"}) \
            .respond_with_json(_repo_json("lab", f"repo{j}", stars))
    httpserver.expect_request("/api/daily_papers", query_string="date=2026-06-21") \
        .respond_with_json(_daily([("2606.00201", 9)]))
    httpserver.expect_request("/api/daily_papers").respond_with_json([])  # the other days: nothing featured
    code, out, err = _invoke(db, "--signals", "hf,github", "--github-token-env", "MY_GH_TOKEN")
    assert code == 0, err
    data = json.loads(out)
    papers = data["trends"][0]["papers"]
    assert papers[0] == "2606.00201"  # hf first (named first), then stars
    assert data["signals"]["2606.00201"] == {"hf_upvotes": 9, "github_stars": 5}
    assert [data["signals"][p]["github_stars"] for p in papers[1:]] == [300, 40]
    code, out, err = _invoke(db, "--signals", "stars")
    assert code != 0 and "unknown signal stars" in err
