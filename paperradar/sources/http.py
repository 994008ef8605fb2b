"""A polite HTTP client for arXiv's machine interfaces.

arXiv asks API users for at most one request every three seconds over a
single connection, and answers overload with 503 (OAI-PMH) or 429 plus a
``Retry-After`` header. :class:`PoliteClient` adds that spacing to the one
HTTP policy every request follows (:mod:`paperradar.net`: User-Agent,
time-outs, deadline, size cap, bounded retries honouring ``Retry-After``),
refuses to wait longer than ``max_wait`` and never retries a connection that
cannot be made. Failures are one-line :class:`FetchUnavailable` (arXiv
cannot be reached), :class:`FetchError` (it answered, but not usefully) or
the policy's :class:`ResponseTooLarge` / :class:`DeadlineExceeded`.
Sleeping and the clock are injectable so tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from paperradar import config
from paperradar.errors import FetchError, FetchUnavailable
from paperradar.net import PROJECT_URL, Http, host_of, user_agent

__all__ = ["PoliteClient", "FetchError", "FetchUnavailable", "user_agent", "PROJECT_URL", "DEFAULT_DELAY",
           "RETRY_STATUSES", "ENV_CONTACT"]

ENV_CONTACT = config.BY_KEY["contact"].env
DEFAULT_DELAY = 3.0  # arXiv: "no more than one request every three seconds"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class PoliteClient:
    """One connection, spaced requests, bounded retries. Use as a context manager.

    ``max_bytes`` and ``deadline`` default to ``$PAPERRADAR_HTTP_MAX_BYTES`` and
    ``$PAPERRADAR_HTTP_DEADLINE`` (see :mod:`paperradar.net`)."""

    def __init__(self, *, delay: float = DEFAULT_DELAY, retries: int = 4, max_wait: float = 600.0,
                 timeout: float = 60.0, connect_timeout: float = 10.0, contact: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 transport: httpx.BaseTransport | None = None, max_bytes: int | None = None,
                 deadline: float | None = None) -> None:
        self.delay = delay
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self._last: float | None = None
        self._http = Http(
            timeout=timeout, connect_timeout=connect_timeout, retries=retries,
            # back off from the politeness delay, doubling, never beyond what we would wait anyway
            backoff_base=max(delay, 0.1), backoff_max=max_wait, retry_after_max=max_wait,
            retry_statuses=RETRY_STATUSES, retry_connect=False, contact=contact,
            headers={"Accept-Encoding": "gzip"},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            max_bytes=max_bytes, deadline=deadline, transport=transport,
            sleep=lambda seconds: self.sleep(seconds), before_attempt=self._space, after_attempt=self._done,
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _space(self) -> None:
        if self._last is not None:
            wait = self.delay - (self.clock() - self._last)
            if wait > 0:
                self.sleep(wait)

    def _done(self) -> None:
        self.requests += 1
        self._last = self.clock()

    def get(self, url: str, params: dict[str, str] | None = None) -> bytes:
        """GET ``url`` and return the (decompressed) body, or raise FetchError/FetchUnavailable
        (or the policy's ResponseTooLarge/DeadlineExceeded)."""
        reply = self._http.get(url, params=params)
        if reply.gave_up:
            raise FetchError(f"{host_of(url)} answered HTTP {reply.status_code} {reply.reason_phrase}; "
                             f"{reply.gave_up}")
        if reply.status_code >= 400:
            detail = _short(reply.content)
            raise FetchError(f"{url} answered HTTP {reply.status_code} {reply.reason_phrase}"
                             + (f": {detail}" if detail else ""))
        return reply.content


def _short(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip()
    if text.lstrip().startswith("<"):
        return ""  # an HTML/XML error page says nothing a one-line message can use
    return " ".join(text.split())[:limit]
