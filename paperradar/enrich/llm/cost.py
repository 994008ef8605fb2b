"""Token and cost accounting for one run.

Prices are per million tokens, as providers publish them, and default to 0
(a local server costs nothing per token). Every request's ``usage`` counts,
including answers that were then rejected (wrong language, bad JSON): those
tokens were paid for too. Cache hits cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperradar import config
from paperradar.enrich.base import RunStats
from paperradar.enrich.llm.client import Usage
from paperradar.errors import ConfigError

ENV_PRICE_IN = config.BY_KEY["llm.price_in"].env
ENV_PRICE_OUT = config.BY_KEY["llm.price_out"].env


@dataclass(frozen=True, slots=True)
class Pricing:
    """US dollars per 1M prompt (input) and completion (output) tokens."""

    per_million_in: float = 0.0
    per_million_out: float = 0.0

    def __post_init__(self) -> None:
        if self.per_million_in < 0 or self.per_million_out < 0:
            raise ValueError("token prices cannot be negative")

    @classmethod
    def from_env(cls, price_in: float | None = None, price_out: float | None = None) -> Pricing:
        """Explicit values win; else ``$PAPERRADAR_LLM_PRICE_IN``/``_OUT`` or the config file; else 0."""
        return cls(_price(price_in, "llm.price_in"), _price(price_out, "llm.price_out"))

    def cost(self, usage: Usage) -> float:
        return (usage.prompt_tokens * self.per_million_in
                + usage.completion_tokens * self.per_million_out) / 1_000_000


def _price(value: float | None, key: str) -> float:
    if value is not None:
        return float(value)
    try:
        return float(config.get(key))
    except ConfigError as exc:
        raise ConfigError(f"{exc} (US dollars per 1M tokens)") from exc


def charge(stats: RunStats, usage: Usage, pricing: Pricing) -> None:
    """Add one request's tokens and cost to the run's totals."""
    stats.prompt_tokens += usage.prompt_tokens
    stats.completion_tokens += usage.completion_tokens
    stats.cost_usd += pricing.cost(usage)
