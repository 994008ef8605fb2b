"""``paperradar run``: the whole daily job (:mod:`paperradar.daily.job`), one line per step.

Steps: fetch (today's announcement feeds for the configured categories, an OAI-PMH
catch-up of missed days; the bundled sample when no category is configured or arXiv
cannot be reached), summarize, index, trending, topics, site, deliver. Exit status 0
when every step is ok or had nothing to do, else the code of the first failed step
(fetch 11, summarize 12, index 13, trending 14, topics 15, site 16, deliver 17; docs/deploy.md).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperradar.cli.common import (
    Context,
    echo_json,
    job_options,
    make_job_options,
    pass_ctx,
    serve_command_line,
)

if TYPE_CHECKING:
    from paperradar.daily import Step


@click.command("run")
@job_options
@click.option("--json", "as_json", is_flag=True, help="Print the job's report (every step) as JSON.")
@pass_ctx
def command(ctx: Context, categories: str | None, offline: bool, site_dir: Path, dense: bool | None,
            catch_up_days: int, skip: tuple[str, ...], as_json: bool) -> None:
    """The daily job: fetch, summarize, index, trending, topic digests, website, delivery.

    Each step is idempotent and resumable; a failed step does not stop the steps that do not
    need it, and the exit status names the first one that failed (11 fetch, 12 summarize,
    13 index, 14 trending, 15 topics, 16 site, 17 deliver).
    """
    from paperradar.daily import run_job, step_line
    from paperradar.days import day_info

    store = ctx.store()
    options = make_job_options(ctx, categories, offline, site_dir, dense, catch_up_days, skip)

    def on_step(step: Step) -> None:
        if not as_json:
            click.echo(step_line(step))
        for line in step.details:
            to_stderr = line.startswith(("rejected:", "error:"))
            if to_stderr or not as_json:
                click.echo(f"  {line}", err=to_stderr)

    report = run_job(store, options, on_step=on_step, info=ctx.info)
    info = day_info(store, report.date) if report.date else None
    serve = serve_command_line(ctx)
    if as_json:
        fetch, site, topics = (report.step(n) for n in ("fetch", "site", "topics"))
        echo_json(report.as_dict() | {
            "ingest": fetch.data.get("ingest") if fetch else None,
            "papers": info.papers if info else 0, "categories": info.per_category if info else {},
            "repeats": info.repeats if info else None,
            "site": {k: v for k, v in site.data.items() if k not in ("files", "index")} if site else None,
            "index": site.data.get("index") if site else None,
            "files": site.data.get("files", []) if site else [],
            "topics": topics.data.get("written", []) if topics else [], "serve": serve})
    else:
        if info is not None:
            cats = ", ".join(f"{c} {n}" for c, n in sorted(info.per_category.items(), key=lambda kv: -kv[1]))
            note = f" (repeats {info.repeats})" if info.repeats else ""
            click.echo(f"digest for {report.date}{note}: {info.papers} papers: {cats}")
        click.echo(f"  open {site_dir / 'index.html'}")
        click.echo(f"serve it: {serve}")
    for step in report.steps:
        if step.status == "failed":
            click.echo(f"Error: step {step.name} failed: {step.line}", err=True)
    if report.exit_code:
        sys.exit(report.exit_code)
