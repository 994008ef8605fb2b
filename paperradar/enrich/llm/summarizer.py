"""The LLM summary backend: papers in, validated five-field summaries out.

Per paper: look in the response cache; otherwise ask the server (structured
output where it is supported, see :data:`FORMAT_CHAIN`), parse and validate
the reply, check its language, and retry once with a sharper instruction when
the answer was unusable. A paper whose LLM answer fails for good gets the
fallback backend's (extractive) summary, delivered unchanged, so the store
never holds placeholder text and the next run tries the LLM again.

Requests run on a bounded thread pool (at most ``concurrency`` in flight);
``on_done`` is always called from the thread that called :meth:`LLMSummarizer.summarize_many`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from paperradar.clock import now_iso
from paperradar.enrich.base import RunStats, Summarizer
from paperradar.enrich.llm.cache import ResponseCache
from paperradar.enrich.llm.client import ChatClient, LLMError, Usage
from paperradar.enrich.llm.cost import Pricing, charge
from paperradar.enrich.llm.language import language_problem
from paperradar.enrich.llm.parse import LLMResponseError, parse_summary
from paperradar.enrich.llm.prompt import PromptTemplate, summary_schema
from paperradar.models import Paper, Summary, SummarySource

# Structured-output requests from the most to the least specific. "auto" starts
# at the top and steps down when a server rejects the parameter (400/422 naming
# the format or schema): OpenAI, vLLM, Ollama and llama.cpp's llama-server take
# ``json_schema``; llama-cpp-python's server takes ``json_object`` with a
# ``schema`` (turned into a grammar); DeepSeek takes plain ``json_object``.
FORMAT_CHAIN = ("json_schema", "json_object_schema", "json_object", "none")
# After this many papers in a row failed without any HTTP answer (refused, time-out)
# the endpoint is taken to be down and the rest of the run goes to the fallback.
UNREACHABLE_AFTER = 3


# Per-field length bound in the grammar of llama-cpp-python's json_object+schema mode.
# (Hosted APIs get no bound: strict json_schema modes reject length keywords.)
GRAMMAR_MAX_CHARS = 300


def response_format(mode: str, field_max_chars: int = GRAMMAR_MAX_CHARS) -> dict | None:
    if mode == "json_schema":
        schema = summary_schema()
        for prop in schema["properties"].values():
            prop.pop("minLength", None)
        return {"type": "json_schema",
                "json_schema": {"name": "paper_summary", "strict": True, "schema": schema}}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": summary_schema(field_max_chars)}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _format_rejected(error: LLMError) -> bool:
    text = str(error).lower()
    if error.status == 500:  # llama-cpp-python's way of saying 422
        return "response_format" in text
    return error.status in (400, 422) and ("format" in text or "schema" in text)


@dataclass(slots=True)
class Outcome:
    paper: Paper
    fields: dict[str, str] | None
    usage: Usage
    error: LLMError | LLMResponseError | None = None


class LLMSummarizer:
    """:class:`~paperradar.enrich.base.Summarizer` backed by an OpenAI-compatible endpoint."""

    source: SummarySource = "llm"

    def __init__(self, client: ChatClient, prompt: PromptTemplate, language: str = "English",
                 concurrency: int = 4, fallback: Summarizer | None = None,
                 cache: ResponseCache | None = None, pricing: Pricing | None = None,
                 max_tokens: int | None = 1024, temperature: float | None = 0.2,
                 structured: str = "auto", field_max_chars: int = GRAMMAR_MAX_CHARS) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if structured != "auto" and structured not in FORMAT_CHAIN:
            raise ValueError(f"structured must be 'auto' or one of {', '.join(FORMAT_CHAIN)}")
        self.client = client
        self.prompt = prompt
        self.model = client.model
        self.prompt_version = prompt.version
        self.language = language
        self.concurrency = concurrency
        self.fallback = fallback
        self.cache = cache
        self.pricing = pricing or Pricing()
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.structured = structured
        self.field_max_chars = field_max_chars
        self._format_index = FORMAT_CHAIN.index("json_schema" if structured == "auto" else structured)
        self._lock = threading.Lock()

    # -- one paper (worker thread) ---------------------------------------------
    def _ask(self, messages: list[dict[str, str]]) -> tuple[str, Usage, str | None]:
        """One chat call, stepping down the format chain while the server rejects the format."""
        while True:
            with self._lock:
                index = self._format_index
            try:
                fmt = response_format(FORMAT_CHAIN[index], self.field_max_chars)
                reply = self.client.chat(messages, response_format=fmt, max_tokens=self.max_tokens,
                                         temperature=self.temperature)
                return reply.content, reply.usage, reply.finish_reason
            except LLMError as exc:
                if self.structured != "auto" or index + 1 >= len(FORMAT_CHAIN) or not _format_rejected(exc):
                    raise
                with self._lock:
                    self._format_index = max(self._format_index, index + 1)

    def summarize_one(self, paper: Paper) -> Outcome:
        """Ask, parse, validate; one retry with a reminder when the answer is unusable."""
        usage = Usage()
        insist_language = insist_json = insist_content = False
        error: LLMError | LLMResponseError | None = None
        for _ in range(2):
            messages = self.prompt.messages(paper, self.language, insist_language, insist_json,
                                            insist_content)
            try:
                content, used, finish = self._ask(messages)
            except LLMError as exc:
                return Outcome(paper, None, usage, exc)
            usage = usage + used
            try:
                fields = parse_summary(content)
            except LLMResponseError as exc:
                cut = " (answer cut off at max_tokens)" if finish == "length" else ""
                error = LLMResponseError(f"unusable answer: {exc}{cut}")
                insist_json = True
                continue
            echoed = self.prompt.echoed(fields)
            if echoed:
                error = LLMResponseError("field(s) " + ", ".join(echoed) + " only repeat the instructions")
                insist_content = True
                continue
            problem = language_problem(fields, self.language)
            if problem is None:
                return Outcome(paper, fields, usage)
            error = LLMResponseError(problem)
            insist_language = True
        return Outcome(paper, None, usage, error)

    # -- many papers (calling thread) ------------------------------------------
    def summarize_many(self, papers: Sequence[Paper], on_done: Callable[[Summary], None]) -> RunStats:
        """Summarise ``papers``; counts: done (LLM summaries, cache hits included), cached,
        fallback (extractive delivered instead), failed (nothing delivered)."""
        stats = RunStats()
        todo: list[Paper] = []
        for paper in papers:
            hit = self._cached(paper)
            if hit is None:
                todo.append(paper)
            else:
                stats.done += 1
                stats.cached += 1
                on_done(self._summary(paper, hit))
        if not todo:
            return stats
        give_up: str | None = None
        unreachable = 0
        queue = iter(todo)
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(todo)), thread_name_prefix="llm")
        running: dict[Future[Outcome], Paper] = {}

        def refill() -> None:
            # A sliding window rather than submitting everything: nothing is queued that
            # a fatal error or Ctrl-C would then have to cancel.
            while give_up is None and len(running) < self.concurrency:
                nxt = next(queue, None)
                if nxt is None:
                    return
                running[pool.submit(self.summarize_one, nxt)] = nxt

        self.client.cancelled.clear()
        try:
            refill()
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    paper = running.pop(future)
                    outcome = future.result()
                    charge(stats, outcome.usage, self.pricing)
                    if outcome.fields is not None:
                        unreachable = 0
                        if self.cache is not None:
                            self.cache.put(paper.arxiv_id, paper.version, self.model, self.prompt_version,
                                           self.language, outcome.fields, outcome.usage)
                        stats.done += 1
                        on_done(self._summary(paper, outcome.fields))
                        continue
                    error = outcome.error
                    stats.errors.append(f"{paper.arxiv_id}: {error}")
                    if give_up is None and isinstance(error, LLMError):
                        unreachable = unreachable + 1 if (error.retryable and error.status is None) else 0
                        if error.fatal:
                            give_up = f"stopped asking {self.client.base_url}: {error}"
                        elif unreachable >= UNREACHABLE_AFTER:
                            give_up = (f"stopped asking {self.client.base_url}: {unreachable} papers in a "
                                       f"row got no answer ({error})")
                        if give_up is not None:
                            stats.errors.insert(0, give_up)
                    self._fall_back(paper, stats, on_done)
                refill()
        except BaseException:
            # Ctrl-C (or a failing on_done): wake workers sleeping before a retry so they
            # give up, and do not wait for requests still in flight.
            self.client.cancelled.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if give_up is not None:
            unsent = list(queue)  # never sent: straight to the fallback
            if unsent:
                stats.errors.append(f"{len(unsent)} paper(s) not sent after the endpoint was given up")
            for paper in unsent:
                self._fall_back(paper, stats, on_done)
        return stats

    def _fall_back(self, paper: Paper, stats: RunStats, on_done: Callable[[Summary], None]) -> None:
        got: list[Summary] = []
        if self.fallback is not None:
            try:
                sub = self.fallback.summarize_many([paper], got.append)
            except Exception as exc:  # a broken fallback must not lose the run
                stats.errors.append(f"{paper.arxiv_id}: fallback {type(exc).__name__}: {exc}")
            else:
                stats.errors.extend(sub.errors)
        if got:
            stats.fallback += 1
            for summary in got:
                on_done(summary)
        else:
            stats.failed += 1

    def _cached(self, paper: Paper) -> dict[str, str] | None:
        if self.cache is None:
            return None
        hit = self.cache.get(paper.arxiv_id, paper.version, self.model, self.prompt_version, self.language)
        return None if hit is None else hit[0]

    def _summary(self, paper: Paper, fields: dict[str, str]) -> Summary:
        return Summary(
            arxiv_id=paper.arxiv_id, source="llm", model=self.model, language=self.language,
            paper_version=paper.version, prompt_version=self.prompt_version,
            created=now_iso(), **fields,
        )

    def close(self) -> None:
        self.client.close()
        if self.cache is not None:
            self.cache.close()
