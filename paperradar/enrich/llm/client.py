"""A small client for OpenAI-compatible ``/chat/completions`` endpoints.

DeepSeek, OpenAI, Ollama, vLLM and llama.cpp's server all speak the same
request/response shape, so one client serves them all. The part that decides
whether a nightly run survives a busy server is the shared HTTP policy
(:mod:`paperradar.net`): retries with exponential backoff and jitter on 429,
5xx, time-outs and dropped connections, honouring ``Retry-After`` (here
shortened to ``retry_after_max`` rather than refused, so a worker pool keeps
going), an overall deadline and a size cap. This module adds what is
specific to chat completions: which failures are worth retrying (not a 500
that rejects the ``response_format``), a wait that Ctrl-C cancels, and
:class:`LLMError` with the server's own message. Errors that retrying cannot
fix (bad key, unknown model, invalid request) are raised at once.

The API key is only ever put in the ``Authorization`` header; it is never
part of an error message, log line or cache key.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx

from paperradar.errors import LLMError, NetworkError, ResponseTooLarge
from paperradar.net import Http, Reply, default_deadline

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
        self.requests_sent = 0  # for tests and the run report
        self._count_lock = threading.Lock()
        self._http = Http(timeout=timeout, connect_timeout=min(timeout, 10.0), retries=max_retries,
                          backoff_base=backoff_base, backoff_max=backoff_max, retry_after_max=retry_after_max,
                          cap_retry_after=True, retry_statuses=RETRY_STATUS, retry_connect=True,
                          # a slow model may legitimately take the whole read time-out to answer
                          deadline=max(default_deadline(), timeout), headers=headers,
                          follow_redirects=False, sleep=self.cancelled.wait, transport=transport,
                          before_attempt=self._count,
                          wait_before_retry=lambda attempt, asked: self.backoff(attempt, asked))

    def _count(self) -> None:
        with self._count_lock:
            self.requests_sent += 1

    def close(self) -> None:
        self._http.close()

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Delay before retry ``attempt`` (1-based): the server's wish (at most
        ``retry_after_max``), else the policy's capped exponential backoff with jitter."""
        return self._http.backoff(attempt, retry_after)

    @staticmethod
    def _retryable(reply: Reply) -> bool:
        # llama-cpp-python answers an unsupported response_format with a 500 carrying
        # the validation error: that is a rejection of the request, not a passing fault.
        return reply.status_code in RETRY_STATUS and "response_format" not in _server_message(reply).lower()

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
        try:
            reply = self._http.post(self.url, json=body, retryable=self._retryable)
        except NetworkError as exc:
            # unreachable, timed out, cut off: transient kinds; an oversized answer is not
            raise LLMError(f"{self.url}: {exc}", retryable=not isinstance(exc, ResponseTooLarge)) from None
        if reply.status_code < 300:
            return self._reply(reply)
        error = f"HTTP {reply.status_code} from {self.url}: {_server_message(reply)}"
        if reply.gave_up:
            raise LLMError(f"{error} ({reply.gave_up})", reply.status_code, True)
        raise LLMError(error, status=reply.status_code, retryable=self._retryable(reply))

    def _reply(self, response: Reply) -> ChatReply:
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


def _server_message(response: Reply) -> str:
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
