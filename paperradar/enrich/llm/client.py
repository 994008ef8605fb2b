"""A small client for OpenAI-compatible ``/chat/completions`` endpoints.

DeepSeek, OpenAI, Ollama, vLLM and llama.cpp's server all speak the same
request/response shape, so one client serves them all. What it adds to a
bare POST is the part that decides whether a nightly run survives a busy
server: retries with exponential backoff and full jitter on 429, 5xx,
time-outs and dropped connections, honouring ``Retry-After`` when the server
sends one. Errors that retrying cannot fix (bad key, unknown model, invalid
request) are raised at once with the server's own message.

The API key is only ever put in the ``Authorization`` header; it is never
part of an error message, log line or cache key.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from paperradar.errors import LLMError

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True, slots=True)
class ChatReply:
    content: str
    usage: Usage
    finish_reason: str | None
    model: str | None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class ChatClient:
    """Thread-safe (one shared :class:`httpx.Client`) chat-completions client."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        retry_after_max: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        # Set by the caller on Ctrl-C: waiting workers wake up and give up instead of retrying.
        self.cancelled = threading.Event()
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                                  headers=headers, transport=transport)
        self.requests_sent = 0  # for tests and the run report
        self._count_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Delay before retry ``attempt`` (1-based): the server's wish, else capped exponential
        backoff with jitter (a random point in its upper half, so parallel workers spread out)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def chat(self, messages: list[dict[str, str]], *, response_format: dict | None = None,
             max_tokens: int | None = None, temperature: float | None = None,
             extra: dict[str, Any] | None = None) -> ChatReply:
        """POST one chat completion, retrying transient failures; raises :class:`LLMError`."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": False}
        if response_format is not None:
            body["response_format"] = response_format
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if extra:
            body.update(extra)
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._count_lock:
                    self.requests_sent += 1
                response = self._http.post(self.url, json=body)
            except httpx.TimeoutException as exc:
                error = LLMError(f"time-out after {self._http.timeout.read}s talking to {self.url} "
                                 f"({type(exc).__name__})", retryable=True)
                retry_after = None
            except httpx.TransportError as exc:
                error = LLMError(f"cannot reach {self.url}: {exc or type(exc).__name__}", retryable=True)
                retry_after = None
            else:
                if response.status_code < 300:
                    return self._reply(response)
                message = _server_message(response)
                # llama-cpp-python answers an unsupported response_format with a 500 carrying
                # the validation error: that is a rejection of the request, not a passing fault.
                retryable = (response.status_code in RETRY_STATUS
                             and "response_format" not in message.lower())
                error = LLMError(f"HTTP {response.status_code} from {self.url}: {message}",
                                 status=response.status_code, retryable=retryable)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if not error.retryable or attempt > self.max_retries:
                if error.retryable:
                    raise LLMError(f"{error} (gave up after {attempt} attempts)", error.status, True)
                raise error
            if self.cancelled.wait(self.backoff(attempt, retry_after)):
                raise LLMError(f"{error} (cancelled before retrying)", error.status)

    def _reply(self, response: httpx.Response) -> ChatReply:
        try:
            data = response.json()
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError(f"{self.url} answered without a chat completion: {response.text[:200]!r}") from exc
        usage = data.get("usage") or {}
        return ChatReply(
            content=content,
            usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
            finish_reason=choice.get("finish_reason"),
            model=data.get("model"),
        )


def _server_message(response: httpx.Response) -> str:
    """The server's error text, short; OpenAI-style ``{"error": {"message": ...}}`` preferred."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data))
        if isinstance(err, dict) and "message" in err:
            return str(err["message"])[:300]
        return str(err)[:300]
    return str(data)[:300]
