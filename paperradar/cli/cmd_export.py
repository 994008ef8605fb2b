"""``paperradar export --date D --format dae-jsonl [-o FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from paperradar.cli.common import Context, pass_ctx, valid_date

FORMATS = ("dae-jsonl",)  # paperradar.export.FORMATS; a test checks they agree


@click.command("export")
@click.option("--date", "date", required=True, callback=valid_date, metavar="YYYY-MM-DD",
              help="The listing day to export.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="dae-jsonl", show_default=True,
              help="dae-jsonl: the daily-arXiv-ai-enhanced AI-enhanced JSONL layout.")
@click.option("--language", default="English", show_default=True,
              help="Export summaries written in this language.")
@click.option("--source", type=click.Choice(["llm", "extractive", "imported"]), default=None,
              help="Only summaries from this backend (default: llm, else extractive, else imported).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Output file ('-' for stdout). Default: <date>_AI_enhanced_<Language>.jsonl here, "
                   "the name the daily-arXiv-ai-enhanced front-end and `paperradar ingest` expect.")
@pass_ctx
def command(ctx: Context, date: str, fmt: str, language: str, source: str | None, output: str | None) -> None:
    """Write one day's papers and summaries in another tool's layout.

    Papers of that day without a summary in LANGUAGE are left out and counted
    on stderr (run `paperradar summarize --date D` first).
    """
    from paperradar.errors import StoreError
    from paperradar.export import ExportReport, dae_lines, default_file_name, write_dae_jsonl

    store = ctx.store(read_only=True)
    target = output or default_file_name(date, language)
    if target == "-":
        if date not in store.listing_dates():
            raise StoreError(f"no listings stored for {date}; see `paperradar stats` for stored days")
        report = ExportReport()
        for line in dae_lines(store, date, language, source, report):
            sys.stdout.write(line)
    else:
        try:
            report = write_dae_jsonl(store, date, Path(target), language, source)
        except OSError as exc:
            raise click.ClickException(f"cannot write {target}: {exc.strerror or exc}") from exc
    if report.without_summary:
        ctx.info(f"{len(report.without_summary)} paper(s) of {date} have no {language} summary and were "
                 f"left out (run `paperradar summarize --date {date}`)")
    ctx.info(f"wrote {report.written} paper(s) to {'stdout' if target == '-' else target}")
