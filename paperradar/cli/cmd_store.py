"""``paperradar store``: manage stores as a whole (copy one backend's store into another)."""

from __future__ import annotations

import sys

import click

from paperradar.cli.common import Context, echo_json, pass_ctx
from paperradar.store import open_store


@click.group("store")
def command() -> None:
    """Manage whole stores: copy between SQLite and PostgreSQL."""


@command.command("copy")
@click.option("--from", "source", required=True, metavar="PATH|URL",
              help="Store to copy from (a SQLite file or a postgresql:// URL); only read.")
@click.option("--to", "target", required=True, metavar="PATH|URL",
              help="Store to copy into: new and empty, or a copy of the same source left unfinished.")
@click.option("--chunk", default=5000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Rows per transaction (and per resume point).")
@click.option("--json", "as_json", is_flag=True, help="Print the verification report as JSON.")
@pass_ctx
def copy(ctx: Context, source: str, target: str, chunk: int, as_json: bool) -> None:
    """Copy every table from one store into another, resumably, then verify it.

    Chunks are copied in key order, each in one transaction with its resume
    point: rerun the same command after an interruption and it goes on where it
    stopped (a rerun of a finished copy copies nothing). At the end row counts
    and a SHA-256 of every table are compared; exit status 1 if any differs.
    """
    from paperradar.store.copy import copy_store

    src = open_store(source, read_only=True)
    try:
        dst = open_store(target)
        try:
            last: dict[str, int] = {}

            def progress(table: str, rows: int) -> None:
                if rows - last.get(table, 0) >= 50_000 or table not in last:
                    ctx.info(f"{table}: {rows} rows")
                    last[table] = rows

            report = copy_store(src, dst, chunk=chunk, progress=progress)
        finally:
            dst.close()
    finally:
        src.close()
    if as_json:
        echo_json(report.as_dict())
    else:
        for t in report.tables:
            state = "ok" if t.matches else f"MISMATCH (source {t.source_rows} rows {t.source_sha256[:12]})"
            click.echo(f"{t.name:14s} copied {t.copied:8d}  rows {t.target_rows:8d}  "
                       f"sha256 {t.target_sha256[:12]}  {state}")
        click.echo(f"{report.source} -> {report.target}: " + ("verified" if report.ok else "NOT verified"))
    if not report.ok:
        sys.exit(1)
