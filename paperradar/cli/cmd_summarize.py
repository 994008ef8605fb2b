"""``paperradar summarize``: store summaries for papers that lack a current one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from paperradar.cli.common import Context, build_backend, echo_json, latest_day, pass_ctx, valid_date

if TYPE_CHECKING:
    from paperradar.enrich.base import Summarizer
    from paperradar.enrich.job import JobReport


def print_report(report: JobReport, backend: Summarizer) -> None:
    s = report.stats
    line = (f"selected {report.selected}  skipped (current) {report.current}  done {s.done}  "
            f"failed {s.failed}  fallback {s.fallback}  stored {report.stored}  in {report.seconds:.1f}s")
    if report.seconds > 0 and s.done:
        line += f" ({s.done / report.seconds:.1f} papers/s)"
    click.echo(line)
    if backend.source == "llm":
        click.echo(f"tokens: prompt {s.prompt_tokens}  completion {s.completion_tokens}  "
                   f"cached answers {s.cached}  cost ${s.cost_usd:.4f}")
    for error in s.errors[:10]:
        click.echo(f"error: {error}", err=True)
    if len(s.errors) > 10:
        click.echo(f"... and {len(s.errors) - 10} more errors", err=True)


@click.command("summarize")
@click.option("--date", callback=valid_date, metavar="YYYY-MM-DD", help="Papers listed on this day.")
@click.option("--since", callback=valid_date, metavar="YYYY-MM-DD",
              help="Papers listed on or after this day.")
@click.option("--all", "everything", is_flag=True, help="Every stored paper.")
@click.option("--backend", type=click.Choice(["extractive", "llm"]), default="extractive",
              show_default=True,
              help="extractive: offline, sentences from the abstract; llm: an OpenAI-compatible server.")
@click.option("--language", default="English", show_default=True, help="Language of the summaries.")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Parallel LLM requests.")
@click.option("--base-url", default=None, help="LLM: endpoint, e.g. http://127.0.0.1:11434/v1 "
              "(default $PAPERRADAR_LLM_BASE_URL).")
@click.option("--model", default=None, help="LLM: model name (default $PAPERRADAR_LLM_MODEL).")
@click.option("--api-key-env", default=None, help="LLM: NAME of the variable holding the API key "
              "(default $PAPERRADAR_LLM_API_KEY_ENV, else OPENAI_API_KEY).")
@click.option("--prompt", default=None, help="LLM: prompt template file (default: the shipped one).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="LLM: seconds per request, retried on expiry (default $PAPERRADAR_LLM_TIMEOUT, else 120).")
@click.option("--max-tokens", type=click.IntRange(min=16), default=None,
              help="LLM: completion token limit per paper (default 1024).")
@click.option("--price-in", type=click.FloatRange(min=0), default=None,
              help="LLM: US$ per 1M prompt tokens, for the cost line (default $PAPERRADAR_LLM_PRICE_IN).")
@click.option("--price-out", type=click.FloatRange(min=0), default=None,
              help="LLM: US$ per 1M completion tokens (default $PAPERRADAR_LLM_PRICE_OUT).")
@click.option("--no-cache", is_flag=True, help="LLM: do not use the response cache.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_ctx
def command(ctx: Context, date: str | None, since: str | None, everything: bool, backend: str, language: str,
            concurrency: int, base_url: str | None, model: str | None, api_key_env: str | None,
            prompt: str | None, timeout: float | None, max_tokens: int | None, price_in: float | None,
            price_out: float | None, no_cache: bool, as_json: bool) -> None:
    """Summarise papers that lack a current summary (default: the latest listed day).

    A summary is current when it was made by the same backend, model, prompt
    version and language from the paper's current version; re-running does only
    what is missing or stale. Each summary is stored as soon as it is ready, so
    Ctrl-C loses at most the papers in flight.
    """
    if sum(x is not None and x is not False for x in (date, since, everything or None)) > 1:
        raise click.UsageError("give at most one of --date, --since and --all")
    from paperradar.enrich.job import run_summarize, select_papers

    store = ctx.store()
    if date is None and since is None and not everything:
        date = latest_day(ctx)
        ctx.info(f"summarising papers listed on {date} (the latest day; use --date, --since or --all)")
    llm = {"base_url": base_url, "model": model, "api_key_env": api_key_env, "timeout": timeout,
           "max_tokens": max_tokens, "price_in": price_in, "price_out": price_out, "prompt": prompt,
           "use_cache": False if no_cache else None}  # None = the backend's default
    summarizer = build_backend(ctx, backend, language, concurrency, llm)
    papers = select_papers(store, date=date, since=since, everything=everything)
    report = run_summarize(store, summarizer, papers, progress=not ctx.quiet)
    if as_json:
        echo_json(report.as_dict() | {"backend": summarizer.source, "model": summarizer.model,
                                      "language": summarizer.language})
    else:
        print_report(report, summarizer)
