"""``paperradar site build``: the website as static files (days, papers, feeds, JSON)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperradar import config
from paperradar.cli.common import Context, echo_json, pass_ctx

if TYPE_CHECKING:
    from paperradar.web.static_site import SiteReport


@click.group("site")
def command() -> None:
    """The website as static files, for GitHub Pages or opening from disk."""


def build_with_progress(ctx: Context, out: Path, base_url: str | None) -> SiteReport:
    """:func:`paperradar.web.static_site.build_site` with a progress bar over paper pages."""
    from tqdm import tqdm

    from paperradar.web.static_site import build_site

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="paper", desc="site", file=sys.stderr,
                       disable=ctx.quiet or total < 200)
        bar.update(done - bar.n)

    data_dir = None if ctx.location == ":memory:" and not ctx.data_dir_option else ctx.data_dir
    try:
        return build_site(ctx.store(), out, data_dir=data_dir,
                          base_url=base_url or config.get("web.base_url"), progress=progress)
    finally:
        if bar is not None:
            bar.close()


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
