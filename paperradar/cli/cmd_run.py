"""``paperradar run``: the main daily job.

Get today's papers (live RSS when categories are configured and arXiv is
reachable, otherwise the bundled sample), then render the newest day's digest
into a folder of static files and say what was written.
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
    echo_json,
    ingest_with_progress,
    pass_ctx,
    print_ingest_report,
    print_rejections,
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
              help="Folder for the rendered digest files.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_ctx
def command(ctx: Context, categories: str | None, offline: bool, site_dir: Path, as_json: bool) -> None:
    """Fetch or load today's papers and render the newest day's digest (Markdown + HTML + JSON)."""
    from paperradar.days import day_info, latest_listed_day
    from paperradar.digest import write_site

    store = ctx.store()
    origin, report = _get_papers(ctx, _categories(categories), offline)
    newest = latest_listed_day(store)
    written = write_site(store, newest, site_dir)
    topics = _topic_digests(ctx, site_dir, newest)
    written += topics
    info = day_info(store, newest)
    if as_json:
        echo_json({"source": origin, "store": store.location, "ingest": report.as_dict(), "date": newest,
                   "papers": info.papers, "categories": info.per_category, "repeats": info.repeats,
                   "files": [str(p) for p in written]})
    else:
        click.echo(f"source: {origin}")
        click.echo(f"store:  {store.location}")
        print_ingest_report(report)
        cats = ", ".join(f"{c} {n}" for c, n in sorted(info.per_category.items(), key=lambda kv: -kv[1]))
        note = f" (repeats {info.repeats})" if info.repeats else ""
        click.echo(f"digest for {newest}{note}: {info.papers} papers: {cats}")
        for path in written:
            click.echo(f"  wrote {path}")
    if report.rejected:
        print_rejections(report)
        sys.exit(EXIT_REJECTED)
