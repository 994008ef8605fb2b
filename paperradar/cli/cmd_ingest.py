"""``paperradar ingest PATH...``: load local files, format autodetected."""

from __future__ import annotations

from pathlib import Path

import click

from paperradar.cli.common import Context, finish_ingest, ingest_with_progress, pass_ctx


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
    finish_ingest(ingest_with_progress(ctx, list(paths)), as_json)

