"""``paperradar worker``: long jobs as several processes (on several machines) against one PostgreSQL."""

from __future__ import annotations

import click

from paperradar.cli.common import Context, build_backend, echo_json, latest_day, pass_ctx, valid_date


@click.group("worker")
def command() -> None:
    """Run a job as one of several workers sharing a PostgreSQL store."""


@command.command("summarize")
@click.option("--date", callback=valid_date, metavar="YYYY-MM-DD", help="Papers listed on this day.")
@click.option("--since", callback=valid_date, metavar="YYYY-MM-DD",
              help="Papers listed on or after this day.")
@click.option("--all", "everything", is_flag=True, help="Every stored paper.")
@click.option("--backend", type=click.Choice(["extractive", "llm"]), default="extractive",
              show_default=True, help="As for `paperradar summarize` (LLM settings from the environment).")
@click.option("--language", default="English", show_default=True, help="Language of the summaries.")
@click.option("--batch", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Papers claimed at a time.")
@click.option("--lease", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds a claim lasts; a dead worker's papers go to the others after it.")
@click.option("--wait", type=click.FloatRange(min=0), default=600.0, show_default=True,
              help="Seconds to keep waiting for papers other workers hold before giving up.")
@click.option("--json", "as_json", is_flag=True, help="Print the worker's counts as JSON.")
@pass_ctx
def summarize(ctx: Context, date: str | None, since: str | None, everything: bool, backend: str,
              language: str, batch: int, lease: float, wait: float, as_json: bool) -> None:
    """Summarise papers that lack a current summary, sharing the work with other workers.

    Start the same command on as many processes or machines as you like (same
    --db postgresql://...): each paper is claimed by one worker at a time
    (SELECT ... FOR UPDATE SKIP LOCKED), a killed worker's claims return after
    --lease seconds, and a rerun finishes what was left. Needs PostgreSQL.
    """
    if sum(x is not None and x is not False for x in (date, since, everything or None)) > 1:
        raise click.UsageError("give at most one of --date, --since and --all")
    from paperradar.enrich.job import select_papers
    from paperradar.workers.summarize import run_worker

    store = ctx.store()
    if date is None and since is None and not everything:
        date = latest_day(ctx)
    llm = {"base_url": None, "model": None, "api_key_env": None, "timeout": None, "max_tokens": None,
           "price_in": None, "price_out": None, "prompt": None, "use_cache": None}
    summarizer = build_backend(ctx, backend, language, 4, llm)
    papers = select_papers(store, date=date, since=since, everything=everything)
    report = run_worker(store, summarizer, papers, batch=batch, lease_seconds=lease, wait_seconds=wait,
                        on_batch=lambda stored: ctx.info(f"stored {stored}"))
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"worker {report.worker}: claimed {report.claimed}  stored {report.stored}  "
                   f"lost leases {report.lost}  ({report.seconds:.1f} s)")
