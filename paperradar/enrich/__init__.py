"""Enrichment: structured summaries (extractive offline, or any OpenAI-compatible LLM)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paperradar.enrich.base import Summarizer

BACKENDS = ("extractive", "llm")


def make_summarizer(backend: str = "extractive", language: str = "English", concurrency: int = 4,
                    cache_path: str | Path | None = None, **llm: Any) -> Summarizer:
    """The summary backend by name. ``llm`` is any OpenAI-compatible endpoint (settings from
    ``llm`` keywords, else :mod:`paperradar.config`) and falls back to extractive summaries for
    papers it cannot do; ``extractive`` is offline and copies sentences from the abstract.
    Raises :class:`~paperradar.errors.LLMConfigError` on bad LLM settings."""
    from paperradar.enrich.extractive import ExtractiveSummarizer

    if backend == "extractive":
        return ExtractiveSummarizer()
    if backend != "llm":
        raise ValueError(f"unknown summary backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    from paperradar.enrich.llm import build_summarizer

    options = {k: v for k, v in llm.items() if v is not None}
    return build_summarizer(language=language, concurrency=concurrency, fallback=ExtractiveSummarizer(),
                            cache_path=cache_path, **options)
