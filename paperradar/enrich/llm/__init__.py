"""LLM summaries from any OpenAI-compatible chat-completions endpoint.

:func:`build_summarizer` is the one entry point the ``summarize`` job needs;
it resolves settings from arguments first, then :mod:`paperradar.config`
(environment variables, then the config file's ``[llm]`` table):

- ``PAPERRADAR_LLM_BASE_URL`` (or daily-arXiv-ai-enhanced's ``OPENAI_BASE_URL``), e.g.
  ``https://api.deepseek.com/v1``, ``http://127.0.0.1:11434/v1``
- ``PAPERRADAR_LLM_MODEL`` (or ``MODEL_NAME``): the model name the server knows
- ``PAPERRADAR_LLM_API_KEY_ENV``: the *name* of the variable holding the key
  (default ``OPENAI_API_KEY``); the key itself is never stored or printed
- ``PAPERRADAR_LLM_PRICE_IN`` / ``PAPERRADAR_LLM_PRICE_OUT``: US$ per 1M tokens
- ``PAPERRADAR_LLM_TIMEOUT``: seconds per request (default 120)
- ``PAPERRADAR_LLM_FIELD_MAX_CHARS``: per-field bound where a grammar enforces it (default 300)
- ``PAPERRADAR_LLM_CACHE``: response cache file (the CLI defaults to the data folder)

See docs/llm.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from paperradar import config
from paperradar.enrich.base import Summarizer
from paperradar.enrich.llm.cache import ResponseCache, default_cache_path
from paperradar.enrich.llm.client import ChatClient, LLMError, Usage
from paperradar.enrich.llm.cost import Pricing
from paperradar.enrich.llm.parse import LLMResponseError, parse_summary
from paperradar.enrich.llm.prompt import DEFAULT_PROMPT, PromptError, load_prompt
from paperradar.enrich.llm.summarizer import FORMAT_CHAIN, LLMSummarizer
from paperradar.errors import ConfigError, LLMConfigError

ENV_BASE_URL = config.BY_KEY["llm.base_url"].env
ENV_MODEL = config.BY_KEY["llm.model"].env
DEFAULT_API_KEY_ENV = config.BY_KEY["llm.api_key_env"].default


def build_summarizer(
    language: str = "English",
    concurrency: int = 4,
    base_url: str | None = None,
    model: str | None = None,
    api_key_env: str | None = None,
    fallback: Summarizer | None = None,
    cache_path: str | Path | None = None,
    use_cache: bool = True,
    timeout: float | None = None,
    max_retries: int = 4,
    price_in: float | None = None,
    price_out: float | None = None,
    max_tokens: int | None = 1024,
    temperature: float | None = 0.2,
    structured: str = "auto",
    field_max_chars: int | None = None,
    prompt: str = DEFAULT_PROMPT,
    **client_kw: Any,
) -> LLMSummarizer:
    """Build the LLM backend; raises :class:`LLMConfigError` with a clear message on bad settings.

    ``api_key_env=None`` means ``$PAPERRADAR_LLM_API_KEY_ENV``, else ``OPENAI_API_KEY``; a
    missing key is fine for local servers (Ollama, llama.cpp, vLLM) and simply not sent.
    The cache lives at ``cache_path``, else ``$PAPERRADAR_LLM_CACHE`` (or ``llm.cache`` in the
    config file); with neither (or ``use_cache=False``) nothing is cached.
    ``client_kw`` goes to :class:`ChatClient` (e.g. ``backoff_base``,
    ``transport``, ``sleep``), mainly for tests.
    """
    try:
        base_url = base_url or config.get("llm.base_url")
        model = model or config.get("llm.model")
        timeout = timeout if timeout is not None else config.get("llm.timeout")
        if field_max_chars is None:
            field_max_chars = config.get("llm.field_max_chars")
        key_env = api_key_env or config.get("llm.api_key_env")
    except ConfigError as exc:
        raise LLMConfigError(str(exc)) from exc
    if not base_url:
        raise LLMConfigError(f"no LLM endpoint: pass --base-url or set ${ENV_BASE_URL} "
                             "(e.g. http://127.0.0.1:11434/v1 for Ollama)")
    if not base_url.startswith(("http://", "https://")):
        raise LLMConfigError(f"LLM base URL {base_url!r} must start with http:// or https://")
    if not model:
        raise LLMConfigError(f"no LLM model: pass --model or set ${ENV_MODEL}")
    if not language or not language.strip():
        raise LLMConfigError("the output language cannot be empty")
    if concurrency < 1:
        raise LLMConfigError("concurrency must be at least 1")
    if timeout <= 0:
        raise LLMConfigError("timeout must be positive")
    if structured != "auto" and structured not in FORMAT_CHAIN:
        raise LLMConfigError(f"structured output mode must be 'auto' or one of {', '.join(FORMAT_CHAIN)}")
    if field_max_chars < 20:
        raise LLMConfigError("the per-field length bound must be at least 20 characters")
    try:
        pricing = Pricing.from_env(price_in, price_out)
        template = load_prompt(prompt)
    except (ValueError, OSError) as exc:
        raise LLMConfigError(str(exc)) from exc
    cache = None
    if use_cache:
        path = cache_path or default_cache_path()
        if path is not None:
            cache = ResponseCache(path)
    client = ChatClient(base_url, model, api_key=os.environ.get(key_env) or None, timeout=timeout,
                        max_retries=max_retries, **client_kw)
    return LLMSummarizer(client, template, language=language.strip(), concurrency=concurrency,
                         fallback=fallback, cache=cache, pricing=pricing, max_tokens=max_tokens,
                         temperature=temperature, structured=structured, field_max_chars=field_max_chars)


__all__ = [
    "build_summarizer", "LLMSummarizer", "LLMConfigError", "LLMError", "LLMResponseError", "PromptError",
    "ChatClient", "ResponseCache", "Pricing", "Usage", "parse_summary", "load_prompt",
    "default_cache_path", "FORMAT_CHAIN",
]
