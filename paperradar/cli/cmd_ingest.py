"""``paperradar ingest PATH...``: load local files, format autodetected."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from paperradar.cli.common import Context, echo_json, pass_ctx
from paperradar.ingest import ingest_records
from paperradar.models import IngestReport
from paperradar.sources import expand, parse_path

EXIT_REJECTED = 1


def ingest_paths(ctx: Context, paths: list[Path]) -> IngestReport:
    """Ingest files one transaction each; shared by ``ingest`` and the main job."""
    store = ctx.store()
    total = IngestReport()
    files = expand(paths)
    with tqdm(files, unit="file", disable=ctx.quiet or len(files) < 2, file=sys.stderr) as bar:
        for path in bar:
            bar.set_postfix_str(path.name)
            total.merge(ingest_records(store, parse_path(path), str(path)))
    return total


def print_report(report: IngestReport) -> None:
    click.echo(
        f"files {len(report.files)}  read {report.read}  new {report.new}  updated {report.updated}  "
        f"unchanged {report.unchanged}  duplicate {report.duplicate}  rejected {report.rejected}  "
        f"(listings added {report.listings_added}, summaries added {report.summaries_added})"
    )


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
def command(ctx: Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Ingest daily-arXiv-ai-enhanced JSONL files, OAI-PMH, Atom or RSS XML.

    PATHS may be files or directories (walked recursively). Re-ingesting a file
    changes nothing. Exit status 1 when any record was rejected (each is listed
    on stderr with file, line and field); everything else is still stored.
    """
    finish(ingest_paths(ctx, list(paths)), as_json)


def finish(report: IngestReport, as_json: bool) -> None:
    """Rejections on stderr, the counts on stdout; exit 1 if anything was rejected, so that
    cron jobs and CI notice bad input even though the good records were stored."""
    for rejection in report.rejections:
        click.echo(f"rejected: {rejection}", err=True)
    if as_json:
        echo_json(report.as_dict())
    else:
        print_report(report)
    if report.rejected:
        sys.exit(EXIT_REJECTED)
