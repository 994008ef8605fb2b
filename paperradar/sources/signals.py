"""Optional online popularity signals for papers: pluggable, and never consulted unless asked.

paperradar is offline by default. A :class:`Signal` is asked for only when a command is
told to (``paperradar trending --signals github,hf``); without that no request is made
and the values are simply absent. Each signal maps arXiv ids to one integer:

* :class:`GitHubStars` (``github_stars``): for papers whose code link is a github.com
  repository, ``GET {api}/repos/{owner}/{repo}`` and its ``stargazers_count``; an optional
  token is sent as ``Authorization: Bearer ...``.
* :class:`HFUpvotes` (``hf_upvotes``): ``GET {base}/api/daily_papers?date=YYYY-MM-DD`` for
  each day asked, a JSON list of ``{"paper": {"id": ..., "upvotes": ...}, ...}``.

A missing repository or day (404), a rate limit (403/429) or an unreachable server is a
warning in :attr:`warnings` and the results so far are kept (a rate limit stops further
requests to that service). A response that is not the documented JSON raises
:class:`~paperradar.errors.FetchError` naming the URL and the field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from paperradar import config
from paperradar.errors import FetchError, FetchUnavailable, NetworkError
from paperradar.net import Http, Reply

__all__ = ["Signal", "GitHubStars", "HFUpvotes", "github_repo", "default_http", "NAMES"]

log = logging.getLogger(__name__)

# --signals names -> the key each signal's values are reported under
NAMES = {"github": "github_stars", "hf": "hf_upvotes"}
_GITHUB = re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?(?:[#?/].*)?$")


@runtime_checkable
class Signal(Protocol):
    """A source of one integer per paper. ``name``: the key it is reported under."""

    name: str
    warnings: list[str]

    def fetch(self, ids: Sequence[str]) -> dict[str, int]:
        """Values for those of ``ids`` the service knows (others absent)."""
        ...


def default_http() -> Http:
    """The client signals use: few retries, no waiting on an unreachable host, and a
    429 returned at once (a rate limit is reported, not slept through)."""
    return Http(timeout=20.0, retries=2, retry_connect=False, backoff_max=5.0,
                retry_statuses=frozenset({500, 502, 503, 504}))


def github_repo(url: str) -> tuple[str, str] | None:
    """``(owner, repo)`` of a github.com repository URL, else None."""
    match = _GITHUB.match(url.strip())
    if not match:
        return None
    owner, repo = match.groups()
    return None if owner in {"orgs", "topics", "features", "sponsors"} else (owner, repo)


def _json(reply: Reply, url: str) -> Any:
    try:
        return reply.json()
    except ValueError as exc:
        raise FetchError(f"{url}: the response is not JSON ({exc})") from None


class _Base:
    name = ""

    def __init__(self, http: Http | None) -> None:
        self._http = http
        self._own: Http | None = None
        self.warnings: list[str] = []

    def fetch(self, ids: Sequence[str]) -> dict[str, int]:
        """The signal's values for ``ids`` (those it has); a client made here is closed after."""
        try:
            return self._fetch(ids)
        finally:
            self._close()

    def _fetch(self, ids: Sequence[str]) -> dict[str, int]:
        raise NotImplementedError

    def _close(self) -> None:
        if self._own is not None:
            self._own.close()
            self._own = None

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s", message)

    def _verdict(self, reply: Reply, url: str, missing: str, have: str, hint: str = "") -> str:
        """``"ok"`` for a 200; else warn and say ``"skip"`` (404, other errors: this item only) or
        ``"stop"`` (rate limited: no further requests, keep the ``have`` values already read)."""
        if reply.status_code == 404:
            self._warn(f"{self.name}: {url}: {missing}")
            return "skip"
        if _rate_limited(reply):
            self._warn(f"{self.name}: {url}: rate limited ({reply.status_code}){hint}; stopped with {have}")
            return "stop"
        if reply.status_code != 200:
            self._warn(f"{self.name}: {url}: HTTP {reply.status_code} {reply.reason_phrase}; skipped")
            return "skip"
        return "ok"

    def _get(self, url: str, **kw: Any) -> Reply | None:
        """The reply, or None (warned) when the server cannot be reached."""
        http = self._http
        if http is None:
            http = self._own = self._own or default_http()
        try:
            return http.get(url, **kw)
        except FetchUnavailable as exc:
            self._warn(f"{self.name}: {exc}; no further requests")
            return None
        except NetworkError as exc:
            self._warn(f"{self.name}: {url}: {exc}")
            return None


def _rate_limited(reply: Reply) -> bool:
    return reply.status_code == 429 or (reply.status_code == 403 and (
        reply.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in reply.text.lower()))


class GitHubStars(_Base):
    """Stars of the github.com code links of papers. ``links``: arXiv id -> code URL."""

    name = "github_stars"

    def __init__(self, links: Mapping[str, str], *, api: str | None = None, token: str | None = None,
                 http: Http | None = None) -> None:
        super().__init__(http)
        self.links = dict(links)
        self.api = (api or config.get("signals.github_api")).rstrip("/")
        self.token = token or None
        self.repos: dict[str, str] = {}  # arXiv id -> repository URL asked about

    def _fetch(self, ids: Sequence[str]) -> dict[str, int]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        out: dict[str, int] = {}
        seen: dict[tuple[str, str], int | None] = {}
        for pid in dict.fromkeys(ids):
            repo = github_repo(self.links.get(pid, ""))
            if repo is None:
                continue
            if repo in seen:
                known = seen[repo]
                if known is not None:
                    out[pid] = known
                continue
            url = f"{self.api}/repos/{repo[0]}/{repo[1]}"
            reply = self._get(url, headers=headers)
            if reply is None:
                break
            seen[repo] = None
            verdict = self._verdict(reply, url, f"no such repository (404); {pid} has no star count",
                                    f"{len(out)} star count(s)",
                                    "" if self.token else " (set a token: --github-token-env VAR)")
            if verdict == "stop":
                break
            if verdict == "skip":
                continue
            data = _json(reply, url)
            stars = data.get("stargazers_count") if isinstance(data, dict) else None
            if not isinstance(stars, int) or isinstance(stars, bool) or stars < 0:
                raise FetchError(f"{url}: no integer 'stargazers_count' in the response")
            seen[repo] = out[pid] = stars
            self.repos[pid] = self.links[pid]
        return out


class HFUpvotes(_Base):
    """Hugging Face daily-papers upvotes of papers featured on ``dates`` (YYYY-MM-DD)."""

    name = "hf_upvotes"

    def __init__(self, dates: Iterable[str], *, base: str | None = None, http: Http | None = None) -> None:
        super().__init__(http)
        self.dates = sorted(set(dates))
        self.base = (base or config.get("signals.hf_url")).rstrip("/")

    def _fetch(self, ids: Sequence[str]) -> dict[str, int]:
        wanted = set(ids)
        out: dict[str, int] = {}
        for day in self.dates:
            url = f"{self.base}/api/daily_papers?date={day}"
            reply = self._get(f"{self.base}/api/daily_papers", params={"date": day})
            if reply is None:
                break
            verdict = self._verdict(reply, url, "no daily papers (404); skipped",
                                    f"{len(out)} upvote count(s)")
            if verdict == "stop":
                break
            if verdict == "skip":
                continue
            data = _json(reply, url)
            if not isinstance(data, list):
                raise FetchError(f"{url}: expected a JSON list of daily papers, got {type(data).__name__}")
            for k, item in enumerate(data):
                paper = item.get("paper") if isinstance(item, dict) else None
                pid = paper.get("id") if isinstance(paper, dict) else None
                votes = paper.get("upvotes") if isinstance(paper, dict) else None
                if not isinstance(pid, str) or not isinstance(votes, int) or isinstance(votes, bool):
                    raise FetchError(f"{url}: item {k}: no string 'paper.id' and integer 'paper.upvotes'")
                if pid in wanted:
                    out[pid] = max(votes, out.get(pid, 0))
        return out
