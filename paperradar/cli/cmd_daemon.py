"""``paperradar daemon``: run the daily job on arXiv's schedule (:mod:`paperradar.daily.daemon`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperradar.cli.common import Context, job_options, make_job_options, pass_ctx

if TYPE_CHECKING:
    import logging

    from paperradar.daily import Step


@click.command("daemon")
@click.option("--at", "at", default="20:30", show_default=True, metavar="HH:MM",
              help="Time of day of each run (HH:MM or HH:MM:SS), in --timezone.")
@click.option("--timezone", default="America/New_York", show_default=True,
              help="Time zone of --at (IANA name).")
@click.option("--days", default="sun,mon,tue,wed,thu", show_default=True,
              help="Days of the runs: arXiv announces Sunday to Thursday evenings (US Eastern); "
                   "e.g. mon-fri, or daily.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also append the log to this file (it always goes to stderr).")
@click.option("--max-runs", type=click.IntRange(min=1), default=None,
              help="Stop after this many runs (default: run until SIGTERM).")
@click.option("--interval", type=click.FloatRange(min=0.5), default=None, metavar="SECONDS",
              help="Run every SECONDS instead of on the calendar (smoke tests).")
@job_options
@pass_ctx
def command(ctx: Context, at: str, timezone: str, days: str, log_file: Path | None, max_runs: int | None,
            interval: float | None, categories: str | None, offline: bool, site_dir: Path, dense: bool | None,
            catch_up_days: int, skip: tuple[str, ...]) -> None:
    """Run `paperradar run` on arXiv's schedule: Sunday to Thursday at 20:30 US Eastern by default.

    Each run is logged (start, one line per step, end with its exit status) to stderr and
    --log-file; a failed run is logged and the daemon waits for the next one. SIGTERM stops it
    cleanly (a run in progress finishes first). See docs/deploy.md.
    """
    from paperradar.daily.daemon import make_logger, parse_at, parse_days, parse_timezone, run_daemon
    from paperradar.errors import PaperradarError

    try:  # check the schedule before starting
        parse_at(at), parse_timezone(timezone), parse_days(days)
    except PaperradarError as exc:
        raise click.BadParameter(str(exc)) from exc
    log = make_logger(log_file)
    location = ctx.location

    def one_run(log: logging.Logger) -> int:
        from paperradar.daily import run_job, step_line
        from paperradar.store import open_store

        store = open_store(location)  # a fresh connection each run: the daemon runs for years
        try:
            options = make_job_options(ctx, categories, offline, site_dir, dense, catch_up_days, skip)
            options.progress = False

            def on_step(step: Step) -> None:
                log.log(40 if step.status == "failed" else 20, step_line(step))
                for line in step.details:
                    log.info("  %s", line)

            report = run_job(store, options, on_step=on_step, info=log.info)
        finally:
            store.close()
        return report.exit_code

    run_daemon(one_run, at=at, timezone=timezone, days=days, log=log, max_runs=max_runs, interval=interval)
