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

from paperradar import __version__, config
from paperradar.cli.common import Context
from paperradar.errors import ConfigError, PaperradarError


class PaperradarGroup(click.Group):
    """The top-level group: any :class:`~paperradar.errors.PaperradarError` a command lets
    through becomes ``Error: <message>`` and exit status 1, never a traceback, so commands
    stay thin (parse options, make one library call, print)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PaperradarError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=PaperradarGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_file", metavar="FILE", envvar=config.ENV_CONFIG,
              help="Settings file (TOML). Default: $PAPERRADAR_CONFIG, else "
                   "~/.config/paperradar/paperradar.toml when it exists. Flags win over the "
                   "environment, which wins over the file.")
@click.option("--db", metavar="PATH|URL",
              help="Store location: a SQLite file path or a postgresql://user@host/dbname URL. "
                   "Default: $PAPERRADAR_DB, else `db` in the "
                   "config file, else ~/.local/share/paperradar/paperradar.db.")
@click.option("--data-dir", metavar="DIR",
              help="Folder for the search index and caches. Default: $PAPERRADAR_DATA_DIR, else "
                   "beside the SQLite file (papers.db -> papers.data/).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or chatter on stderr.")
@click.version_option(__version__, prog_name="paperradar")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, db: str | None, data_dir: str | None,
        quiet: bool) -> None:
    """paperradar: a self-hosted research-paper radar for arXiv, offline by default."""
    try:
        config.use_config_file(config_file)
        db = db or config.get("db")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = Context(db=db, quiet=quiet, data_dir_option=data_dir)
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
