"""``paperradar site build``: the website as static files (days, papers, feeds, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperradar.cli.common import Context, build_with_progress, echo_json, pass_ctx

if TYPE_CHECKING:
    pass


@click.group("site")
def command() -> None:
    """The website as static files, for GitHub Pages or opening from disk."""


@command.command("build")
@click.option("-o", "--out", "out", default="site", show_default=True, type=click.Path(path_type=Path),
              help="Folder to write the site into (created if missing).")
@click.option("--base-url", metavar="URL",
              help="Public URL the folder is served from, for absolute links in feeds "
                   "(default: web.base_url).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@pass_ctx
def build(ctx: Context, out: Path, base_url: str | None, as_json: bool) -> None:
    """Write every day, listed paper, feed and JSON answer as static files.

    Reruns rewrite only files whose content changed. Search needs the server
    (`paperradar serve`); the static pages leave it out.
    """
    report = build_with_progress(ctx, out, base_url)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(f"site {out}: {report.days} days, {report.papers} paper pages; "
               f"{len(report.written)} files written, {report.unchanged} unchanged")
    click.echo(f"open {out / 'index.html'}, or serve the store with: paperradar serve")
