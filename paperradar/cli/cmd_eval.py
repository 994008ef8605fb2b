"""``paperradar eval``: quality measurements. Sub-commands live in ``eval_*.py``
modules of this package (each exports a click command named ``command``) and
are registered automatically."""

from __future__ import annotations

import importlib
import pkgutil

import click

import paperradar.cli as cli_package


@click.group("eval")
def command() -> None:
    """Measure retrieval, role classification and summary quality."""


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda m: m.name):
        if info.name.startswith("eval_"):
            module = importlib.import_module(f"{cli_package.__name__}.{info.name}")
            command.add_command(module.command)


_register()
