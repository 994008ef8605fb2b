"""The contract between the ``summarize`` job and the summary backends.

The job decides *which* papers need work and stores each result as soon as it
arrives (so an interrupted run loses only papers in flight); a backend only
turns papers into :class:`~paperradar.models.Summary` objects. A stored
summary is current when its (source, model, prompt_version, language,
paper_version) match what the chosen backend would produce now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from paperradar.models import Paper, Summary, SummarySource


@dataclass(slots=True)
class RunStats:
    """What one backend run did; printed at the end of ``paperradar summarize``."""

    done: int = 0
    failed: int = 0
    fallback: int = 0  # LLM failed for good; the extractive summary was stored instead
    cached: int = 0  # answered from the response cache, nothing paid
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    errors: list[str] = field(default_factory=list)


class Summarizer(Protocol):
    source: SummarySource
    model: str
    prompt_version: str
    language: str

    def summarize_many(
        self, papers: Sequence[Paper], on_done: Callable[[Summary], None]
    ) -> RunStats:
        """Summarise ``papers``, calling ``on_done`` once per finished summary
        (from the calling thread), in any order."""
        ...
