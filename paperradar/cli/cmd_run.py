"""``paperradar run``: the main daily job.

Get today's papers (live RSS when categories are configured and arXiv is
reachable, otherwise the bundled sample), then write the static website (every
day in the store, the papers, feeds and JSON; see :mod:`paperradar.web.static_site`),
say what was written, deliver every profile (paperradar.deliver: at most once per day) and
print the command that serves it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperradar import config
from paperradar.cli.common import (
    EXIT_REJECTED,
    Context,
    build_with_progress,
    echo_json,
    ingest_with_progress,
    pass_ctx,
    print_ingest_report,
    print_rejections,
    serve_command_line,
)

if TYPE_CHECKING:
    from paperradar.models import IngestReport

ENV_CATEGORIES = config.BY_KEY["categories"].env


def _categories(option: str | None) -> list[str]:
    if option is None:
        return list(config.get("categories"))
    return [c.strip() for c in option.replace(" ", ",").split(",") if c.strip()]


def _get_papers(ctx: Context, categories: list[str], offline: bool) -> tuple[str, IngestReport]:
    """Fetch live when possible; fall back to the bundled sample and say why."""
    if categories and not offline:
        from paperradar.sources.harvest import FetchUnavailable, fetch_today

        try:
            report = fetch_today(ctx.store(), categories)
            return f"arXiv announcement feeds for {', '.join(categories)}", report
        except FetchUnavailable as exc:
            ctx.info(f"cannot reach arXiv ({exc}); using the bundled sample instead")
    elif not categories:
        ctx.info(f"no categories configured (use --categories or ${ENV_CATEGORIES}); "
                 "using the bundled sample of three real days")
    else:
        ctx.info("--offline given; using the bundled sample")
    from paperradar.sample import sample_files

    return "bundled sample", ingest_with_progress(ctx, sample_files())


def _topic_digests(ctx: Context, site_dir: Path, newest: str) -> list[Path]:
    """Saved topics that are due, rendered into ``site_dir/topics`` (docs/topics.md)."""
    if not ctx.store().list_topics():
        return []
    from paperradar.digest.topic.saved import write_due_topics

    done = write_due_topics(ctx.store(), ctx.index_folder(), site_dir, newest)
    for why in done.skipped:
        ctx.info(f"topic {why}")
    return done.written


@click.command("run")
@click.option("--categories", metavar="C1,C2",
              help=f"arXiv categories to fetch (default: ${ENV_CATEGORIES}).")
@click.option("--offline", is_flag=True, help="Do not try the network; use the bundled sample.")
@click.option("--site", "site_dir", default="site", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the static website (days, papers, feeds, JSON).")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_ctx
def command(ctx: Context, categories: str | None, offline: bool, site_dir: Path, as_json: bool) -> None:
    """Fetch or load today's papers and write the website: every stored day, its papers, feeds, JSON."""
    from paperradar.days import day_info, latest_listed_day

    store = ctx.store()
    origin, report = _get_papers(ctx, _categories(categories), offline)
    newest = latest_listed_day(store)
    topic_files = _topic_digests(ctx, site_dir, newest)  # first, so the site's topic pages list them
    site = build_with_progress(ctx, site_dir, None)
    info = day_info(store, newest)
    serve = serve_command_line(ctx)
    if as_json:
        echo_json({"source": origin, "store": store.location, "ingest": report.as_dict(), "date": newest,
                   "papers": info.papers, "categories": info.per_category, "repeats": info.repeats,
                   "site": site.as_dict(), "index": str(site_dir / "index.html"),
                   "files": [str(p) for p in site.written if p.parent == site_dir or p.parent.name == "day"],
                   "topics": [str(p) for p in topic_files],
                   "serve": serve})
    else:
        click.echo(f"source: {origin}")
        click.echo(f"store:  {store.location}")
        print_ingest_report(report)
        cats = ", ".join(f"{c} {n}" for c, n in sorted(info.per_category.items(), key=lambda kv: -kv[1]))
        note = f" (repeats {info.repeats})" if info.repeats else ""
        click.echo(f"digest for {newest}{note}: {info.papers} papers: {cats}")
        click.echo(f"site {site_dir}: {site.days} days, {site.papers} paper pages "
                   f"({len(site.written)} files written, {site.unchanged} unchanged)")
        if topic_files:
            click.echo(f"topic digests: {len(topic_files)} files under {site_dir / 'topics'}")
        click.echo(f"  open {site_dir / 'index.html'}")
        click.echo(f"serve it: {serve}")
    failed = _deliver_step(ctx, newest, as_json)
    if report.rejected:
        print_rejections(report)
        sys.exit(EXIT_REJECTED)
    if failed:
        click.echo(f"Error: step deliver failed for {', '.join(failed)} (recorded; the next run retries)",
                   err=True)
        sys.exit(1)


def _deliver_step(ctx: Context, date: str, quiet_lines: bool) -> list[str]:
    """Deliver every profile's ``date`` once (paperradar.deliver.record decides); the failed names."""
    from paperradar.deliver import deliver_profile
    from paperradar.deliver.smtp import SmtpSettings

    store = ctx.store()
    names = [p.name for p in store.list_profiles()]
    if not names:
        if not quiet_lines:
            click.echo("deliver: no profiles (paperradar profile add NAME --email ADDR)")
        return []
    smtp = SmtpSettings.from_config()
    outcomes = [deliver_profile(store, n, date, smtp=smtp) for n in names]
    if not quiet_lines:
        for o in outcomes:
            click.echo(o.line())
    return [o.profile for o in outcomes if not o.ok]
