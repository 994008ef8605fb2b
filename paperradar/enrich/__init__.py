"""Enrichment: structured summaries (extractive offline, or any OpenAI-compatible LLM)."""
