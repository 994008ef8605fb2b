"""The ``paperradar`` command line: one sub-command per job.

Sub-commands live in ``cmd_*.py`` modules in this package; each exports a
click command (or group) named ``command`` and is picked up automatically,
so adding a job never means editing a central list.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from paperradar.cli.common import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="PAPERRADAR_DB", metavar="PATH",
              help="Store location: a SQLite file path. Default: $PAPERRADAR_DB, else "
                   "~/.local/share/paperradar/paperradar.db.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or chatter on stderr.")
@click.version_option(package_name="paperradar")
@click.pass_context
def cli(ctx: click.Context, db: str | None, quiet: bool) -> None:
    """paperradar: a self-hosted research-paper radar for arXiv, offline by default."""
    ctx.obj = Context(db=db, quiet=quiet)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            cli.add_command(module.command)


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="paperradar")
    except KeyboardInterrupt:
        click.echo("interrupted; everything committed so far is kept, re-run to resume", err=True)
        sys.exit(130)
