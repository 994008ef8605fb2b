"""The HTTP policy every outgoing request follows: one place, one implementation.

paperradar talks to three kinds of servers: arXiv (OAI-PMH, export API, RSS),
OpenAI-compatible chat endpoints and OpenAI-compatible embedding endpoints.
They fail in the same ways (overload answered with 429/503 and a
``Retry-After``, dropped connections, time-outs) and a hostile or broken one
can do worse: trickle a byte every few seconds so a read time-out never
fires, or stream an endless body into memory. Before this module each client
had its own retry loop and its own ``Retry-After`` parser, each wrong in a
different way. :class:`Http` now decides, for all of them:

* **who we are**: :func:`user_agent` (``paperradar/<version> (+project; mailto:contact)``);
* **how long to wait**: a connect time-out, a read time-out (per socket read)
  and an overall **deadline** per attempt (``$PAPERRADAR_HTTP_DEADLINE``,
  default 300 s) that covers connecting, the headers and the whole body. The
  deadline bounds every socket read, so a trickling server fails with
  :class:`DeadlineExceeded` when it passes, not when the (reset-per-byte)
  read time-out would;
* **how much to read**: bodies are streamed and counted as they arrive; past
  ``$PAPERRADAR_HTTP_MAX_BYTES`` (default 100 MB, decompressed) reading stops
  and :class:`ResponseTooLarge` names the URL and the cap. A declared
  ``Content-Length`` over the cap is refused before reading at all;
* **when to try again**: transient statuses and dropped/timed-out connections
  are retried a bounded number of times, after the server's ``Retry-After``
  (both RFC 9110 forms, junk ignored, capped) or else an exponential back-off
  with jitter, so parallel workers do not retry in lock-step. A deadline or
  size overrun is final: retrying a hostile server only repeats it.

Callers keep their own vocabulary: :class:`Http` returns a :class:`Reply` for
any HTTP status (the caller decides what a 401 or a 404 means) and raises
only :class:`~paperradar.errors.NetworkError` kinds, which the arXiv client
passes on and the LLM and embedding clients wrap in their own errors.
Sleeping, the wall clock (for ``Retry-After`` dates), the jitter's random
source and the transport are injectable, so tests never really wait; the
deadline alone runs on the real monotonic clock, because sockets wait in real
time.
"""

from __future__ import annotations

import contextvars
import json as jsonlib
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpcore
import httpx

from paperradar import __version__, config
from paperradar.errors import (
    ConfigError,
    DeadlineExceeded,
    FetchError,
    FetchUnavailable,
    NetworkError,
    ResponseTooLarge,
)

__all__ = [
    "Http", "Reply", "user_agent", "parse_retry_after", "backoff_delay", "default_max_bytes",
    "default_deadline", "host_of", "PROJECT_URL", "RETRY_STATUSES", "RETRY_AFTER_MAX", "CANCELLED",
]

PROJECT_URL = "https://github.com/paperradar/paperradar"
# 408 Request Timeout, 425 Too Early, 429 Too Many Requests and the 5xx that mean "try later".
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRY_AFTER_MAX = 600.0  # no server gets to park a run for more than ten minutes per wait
CANCELLED = "cancelled before retrying"
ENV_MAX_BYTES = config.BY_KEY["http.max_bytes"].env
ENV_DEADLINE = config.BY_KEY["http.deadline"].env
_DIGITS = re.compile(r"[0-9]+")  # RFC 9110 delay-seconds = 1*DIGIT (ASCII digits only)


def user_agent(contact: str | None = None) -> str:
    """``paperradar/<version> (+project URL; mailto:contact)``; the contact comes from
    ``$PAPERRADAR_CONTACT`` (or the config file) so arXiv can reach whoever runs a heavy harvest."""
    contact = contact if contact is not None else (config.get("contact") or "").strip()
    detail = PROJECT_URL
    if contact:
        detail += f"; mailto:{contact.removeprefix('mailto:')}"
    return f"paperradar/{__version__} (+{detail})"


def default_max_bytes() -> int:
    """The response size cap in force (``$PAPERRADAR_HTTP_MAX_BYTES`` / ``[http] max_bytes``)."""
    value = config.get("http.max_bytes")
    if value <= 0:
        raise ConfigError(f"{config.where('http.max_bytes')}: the response size cap must be positive")
    return int(value)


def default_deadline() -> float:
    """The per-request deadline in force, seconds (``$PAPERRADAR_HTTP_DEADLINE`` / ``[http] deadline``)."""
    value = config.get("http.deadline")
    if value <= 0:
        raise ConfigError(f"{config.where('http.deadline')}: the request deadline must be positive")
    return float(value)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable.

    RFC 9110 allows exactly two forms: delay-seconds (ASCII digits only, so
    ``-5``, ``1e9``, ``nan``, ``3.5`` and ``soon`` are junk and ignored rather than
    turned into a zero or infinite wait) and an HTTP-date (``Wed, 21 Oct 2015
    07:28:00 GMT``), which counts from ``now`` (default: the wall clock) and is
    0 when already past. Capping is the caller's business.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if _DIGITS.fullmatch(value):
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: Callable[[float, float], float] = random.uniform
                  ) -> float:
    """Wait before retry ``attempt`` (1-based) when the server named none: exponential
    (``base * 2**(attempt-1)``, at most ``cap``), at a random point in the upper half of
    that, so clients that failed together do not come back together, yet never much
    sooner than the schedule."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return rng(ceiling / 2, ceiling)


@dataclass(slots=True)
class Reply:
    """A complete response: status, headers and the whole (decompressed) body, read
    under the size cap and the deadline. ``gave_up`` is set when a transient status
    was still answered after the last retry (or the wait for one was cancelled)."""

    url: str
    status_code: int
    reason_phrase: str
    headers: httpx.Headers
    content: bytes
    attempts: int = 1
    gave_up: str | None = None

    @property
    def text(self) -> str:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.headers.get("Content-Type", ""), re.I)
        try:
            return self.content.decode(match.group(1) if match else "utf-8", "replace")
        except LookupError:
            return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not."""
        return jsonlib.loads(self.content)


# -- the deadline, enforced at every socket operation ---------------------------------------

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("paperradar_net_deadline",
                                                                         default=None)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of this thread's deadline (if one is set)."""
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise expired("the request deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and TLS handshake waits at most until
    the deadline: a per-read time-out alone restarts with each byte that arrives."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout),
                                                       local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(
            path, _bounded(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's own transport, with its connection pool's network backend wrapped so the
    deadline bounds every socket wait. httpx offers no public hook for the backend;
    should its internals change, the deadline is still checked between body chunks."""
    transport = httpx.HTTPTransport(limits=limits)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return transport


# -- the client -----------------------------------------------------------------------------

class Http:
    """One httpx connection pool plus the policy above. Thread-safe (the LLM client
    shares one between workers). Use as a context manager or call :meth:`close`.

    ``retries`` is the number of retries after the first attempt. ``retry_connect``:
    whether a connection that cannot be made is retried (False for arXiv, where it
    means "offline" and waiting only delays that verdict). A ``Retry-After`` longer
    than ``retry_after_max`` is refused with a clear error, or with ``cap_retry_after``
    shortened to it. ``sleep`` may return True to say the wait was cancelled (e.g.
    :meth:`threading.Event.wait`); the last outcome is then final. ``before_attempt``
    and ``after_attempt`` run around every attempt (politeness spacing, counters).
    ``wait_before_retry(attempt, retry_after)`` replaces :meth:`backoff` (the LLM
    client keeps it overridable). ``max_bytes`` and ``deadline`` default to the settings.
    """

    def __init__(self, *, timeout: float = 60.0, connect_timeout: float = 10.0, retries: int = 4,
                 backoff_base: float = 1.0, backoff_max: float = 60.0,
                 retry_after_max: float = RETRY_AFTER_MAX, cap_retry_after: bool = False,
                 retry_statuses: frozenset[int] = RETRY_STATUSES, retry_connect: bool = True,
                 max_bytes: int | None = None, deadline: float | None = None,
                 headers: Mapping[str, str] | None = None, contact: str | None = None,
                 limits: httpx.Limits | None = None, follow_redirects: bool = True,
                 sleep: Callable[[float], bool | None] = time.sleep,
                 now: Callable[[], datetime] | None = None,
                 rng: Callable[[float, float], float] = random.uniform,
                 transport: httpx.BaseTransport | None = None,
                 before_attempt: Callable[[], None] | None = None,
                 after_attempt: Callable[[], None] | None = None,
                 wait_before_retry: Callable[[int, float | None], float] | None = None) -> None:
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.cap_retry_after = cap_retry_after
        self.retry_statuses = retry_statuses
        self.retry_connect = retry_connect
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.deadline = default_deadline() if deadline is None else deadline
        self.sleep = sleep
        self.now = now or (lambda: datetime.now(UTC))
        self.rng = rng
        self.before_attempt = before_attempt
        self.after_attempt = after_attempt
        self.wait_before_retry = wait_before_retry or self.backoff
        limits = limits or httpx.Limits()
        self.client = httpx.Client(
            headers={"User-Agent": user_agent(contact), **(headers or {})},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=limits,
            follow_redirects=follow_redirects,
            transport=transport if transport is not None else _transport(limits),
        )

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before retry ``attempt`` (1-based): the server's ``Retry-After`` (already
        capped), else :func:`backoff_delay` on this client's base and cap."""
        if retry_after is not None:
            return retry_after
        return backoff_delay(attempt, self.backoff_base, self.backoff_max, self.rng)

    def get(self, url: str, **kw: Any) -> Reply:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Reply:
        return self.request("POST", url, **kw)

    def request(self, method: str, url: str, *, params: Mapping[str, str] | None = None, json: Any = None,
                headers: Mapping[str, str] | None = None,
                retryable: Callable[[Reply], bool] | None = None) -> Reply:
        """Send, retrying what the policy calls transient; return the final :class:`Reply`.

        ``retryable(reply)`` overrides "status in ``retry_statuses``" (the LLM client
        does not retry a 500 that rejects its ``response_format``). Raises
        :class:`FetchUnavailable` (cannot connect), :class:`FetchError` (broken or
        timed-out exchanges after the retries, a refused ``Retry-After``, a request
        that cannot be sent), :class:`ResponseTooLarge` or :class:`DeadlineExceeded`.
        """
        attempt = 0
        while True:
            attempt += 1
            if self.before_attempt is not None:
                self.before_attempt()
            try:
                reply, problem = self._once(method, url, params, json, headers)
            finally:
                if self.after_attempt is not None:
                    self.after_attempt()
            asked: float | None = None
            if reply is not None:
                reply.attempts = attempt
                if not (retryable(reply) if retryable else reply.status_code in self.retry_statuses):
                    return reply
                asked = parse_retry_after(reply.headers.get("Retry-After"), self.now())
            if attempt > self.retries:
                return _final(reply, problem, f"gave up after {attempt} attempt{'s' if attempt > 1 else ''}")
            if asked is not None and asked > self.retry_after_max:
                if not self.cap_retry_after:
                    raise FetchError(f"{host_of(url)} asks to retry after {asked:.0f} s, longer than the "
                                     f"{self.retry_after_max:.0f} s this client waits; try again later")
                asked = self.retry_after_max
            if self.sleep(self.wait_before_retry(attempt, asked)) is True:
                return _final(reply, problem, CANCELLED)

    def _once(self, method: str, url: str, params: Mapping[str, str] | None, json: Any,
              headers: Mapping[str, str] | None) -> tuple[Reply | None, NetworkError | None]:
        """One attempt: a complete reply, or a transient problem worth retrying; final
        problems (too large, past the deadline, unsendable) are raised."""
        host = host_of(url)
        end = time.monotonic() + self.deadline
        received = 0
        token = _DEADLINE.set(end)
        try:
            with self.client.stream(method, url, params=params, json=json, headers=headers) as response:
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise ResponseTooLarge(f"{url}: the server announces {_size(int(declared))}, more than "
                                           f"the {_size(self.max_bytes)} cap (${ENV_MAX_BYTES}); not read")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    received = len(body)
                    if received > self.max_bytes:
                        raise ResponseTooLarge(f"{url}: response larger than the {_size(self.max_bytes)} cap "
                                               f"(${ENV_MAX_BYTES}); stopped reading at {_size(received)}")
                    if time.monotonic() > end:
                        raise self._late(url, received)
                return Reply(str(response.url), response.status_code, response.reason_phrase,
                             response.headers, bytes(body)), None
        except httpx.TimeoutException as exc:
            if time.monotonic() >= end - 0.01:
                raise self._late(url, received) from None
            if isinstance(exc, httpx.ConnectTimeout):
                return None, self._unreachable(host, exc)
            return None, FetchError(f"time-out: {host} sent nothing for {self.timeout:g} s "
                                    f"({type(exc).__name__})")
        except httpx.ConnectError as exc:
            return None, self._unreachable(host, exc)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.DecodingError) as exc:
            return None, FetchError(f"incomplete response from {host} ({type(exc).__name__}: {_reason(exc)})")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"request to {url} failed: {_reason(exc)}") from None
        finally:
            _DEADLINE.reset(token)

    def _unreachable(self, host: str, exc: Exception) -> FetchUnavailable:
        error = FetchUnavailable(f"cannot connect to {host}: {_reason(exc)}")
        if not self.retry_connect:
            # Nothing answered: retrying would only delay the "offline" verdict.
            raise error from None
        return error

    def _late(self, url: str, received: int) -> DeadlineExceeded:
        got = f"; {_size(received)} of the body had arrived" if received else ""
        return DeadlineExceeded(f"{url}: no complete response within the {self.deadline:g} s deadline "
                                f"(${ENV_DEADLINE}){got}")


def _final(reply: Reply | None, problem: NetworkError | None, why: str) -> Reply:
    """The last outcome once retrying stops: a reply is returned marked ``gave_up``, a
    problem is raised with the reason appended."""
    if reply is not None:
        reply.gave_up = why
        return reply
    assert problem is not None
    raise type(problem)(f"{problem}; {why}")


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def host_of(url: str) -> str:
    """The host part of ``url`` for messages (the URL itself when it has none)."""
    try:
        return httpx.URL(url).host or url
    except Exception:  # a bad URL still deserves a message, not a traceback
        return url


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
