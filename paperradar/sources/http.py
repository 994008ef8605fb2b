"""A polite HTTP client for arXiv's machine interfaces.

arXiv asks API users for at most one request every three seconds over a
single connection, and answers overload with 503 (OAI-PMH) or 429 plus a
``Retry-After`` header. :class:`PoliteClient` enforces the spacing, honours
``Retry-After`` (seconds or an HTTP date) a bounded number of times, and turns
every transport failure into one of two exceptions with a one-line message:
:class:`FetchUnavailable` (arXiv cannot be reached) or :class:`FetchError`
(it answered, but not usefully). Sleeping and the clock are injectable so
tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from paperradar import __version__, config
from paperradar.errors import FetchError, FetchUnavailable

ENV_CONTACT = config.BY_KEY["contact"].env
PROJECT_URL = "https://github.com/paperradar/paperradar"
DEFAULT_DELAY = 3.0  # arXiv: "no more than one request every three seconds"
RETRY_STATUSES = (429, 500, 502, 503, 504)


def user_agent(contact: str | None = None) -> str:
    """``paperradar/<version> (+project URL; mailto:contact)``; the contact comes from
    ``$PAPERRADAR_CONTACT`` (or the config file) so arXiv can reach whoever runs a heavy harvest."""
    contact = contact if contact is not None else (config.get("contact") or "").strip()
    detail = PROJECT_URL
    if contact:
        detail += f"; mailto:{contact.removeprefix('mailto:')}"
    return f"paperradar/{__version__} (+{detail})"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: '120' or 'Wed, 21 Oct 2015 07:28:00 GMT'; None if absent/unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteClient:
    """One connection, spaced requests, bounded retries. Use as a context manager."""

    def __init__(self, *, delay: float = DEFAULT_DELAY, retries: int = 4, max_wait: float = 600.0,
                 timeout: float = 60.0, connect_timeout: float = 10.0, contact: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.delay = delay
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self._last: float | None = None
        self._client = httpx.Client(
            headers={"User-Agent": user_agent(contact), "Accept-Encoding": "gzip"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=True,
            transport=transport,
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _space(self) -> None:
        if self._last is not None:
            wait = self.delay - (self.clock() - self._last)
            if wait > 0:
                self.sleep(wait)

    def get(self, url: str, params: dict[str, str] | None = None) -> bytes:
        """GET ``url`` and return the (decompressed) body, or raise FetchError/FetchUnavailable."""
        attempt = 0
        while True:
            self._space()
            try:
                response = self._client.get(url, params=params)
                body = response.content
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing answered: retrying would only delay the "offline" verdict.
                raise FetchUnavailable(f"cannot connect to {_host(url)}: {_reason(exc)}") from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout, httpx.DecodingError,
                    httpx.WriteError, httpx.PoolTimeout) as exc:
                problem = f"incomplete response from {_host(url)} ({type(exc).__name__}: {_reason(exc)})"
                self._last = self.clock()
                if attempt >= self.retries:
                    raise FetchError(f"{problem}; gave up after {attempt + 1} attempts") from None
                attempt += 1
                self.sleep(self._backoff(attempt))
                continue
            except httpx.HTTPError as exc:
                raise FetchError(f"request to {url} failed: {_reason(exc)}") from None
            finally:
                self.requests += 1
            self._last = self.clock()
            if response.status_code in RETRY_STATUSES:
                if attempt >= self.retries:
                    raise FetchError(f"{_host(url)} answered HTTP {response.status_code} "
                                     f"{response.reason_phrase}; gave up after {attempt + 1} attempts")
                attempt += 1
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                wait = self._backoff(attempt) if wait is None else wait
                if wait > self.max_wait:
                    raise FetchError(f"{_host(url)} asks to retry after {wait:.0f} s, longer than the "
                                     f"{self.max_wait:.0f} s this client waits; try again later")
                self.sleep(wait)
                continue
            if response.status_code >= 400:
                detail = _short(body)
                raise FetchError(f"{url} answered HTTP {response.status_code} {response.reason_phrase}"
                                 + (f": {detail}" if detail else ""))
            return body

    def _backoff(self, attempt: int) -> float:
        return min(self.max_wait, max(self.delay, 0.1) * 2 ** (attempt - 1))


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except Exception:  # noqa: BLE001 - a bad URL still deserves a message, not a traceback
        return url


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _short(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip()
    if text.lstrip().startswith("<"):
        return ""  # an HTML/XML error page says nothing a one-line message can use
    return " ".join(text.split())[:limit]
