"""Docs kept honest: every command and option has help text and is in docs/cli.md, and the
README's table names every top-level command."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click
import pytest

from paperradar.cli import cli

REPO = Path(__file__).resolve().parents[1]


def _reference():  # the generator module
    spec = importlib.util.spec_from_file_location("cli_reference", REPO / "scripts" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMMANDS = _reference().walk(cli)


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) or "paperradar" for p, _ in COMMANDS])
def test_every_command_and_option_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"`paperradar {' '.join(path)}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"`paperradar {' '.join(path)}` {param.opts}: no help"


def test_cli_reference_is_current() -> None:
    expected = _reference().render()
    actual = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run `python scripts/cli_reference.py`"


def test_settings_table_is_current() -> None:
    ref = _reference()
    text = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    assert ref.render_config_doc(text) == text, "docs/config.md is stale: run scripts/cli_reference.py"


def test_every_option_appears_in_the_reference() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for path, command in COMMANDS:
        section = text.split(f"## `{' '.join(('paperradar', *path))}`", 1)
        assert len(section) == 2, f"docs/cli.md has no section for {path}"
        body = section[1].split("\n## ", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in body for opt in param.opts), f"{param.opts} of {path} not documented"


def test_readme_names_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert re.search(rf"`paperradar {re.escape(name)}\b", readme), f"README does not mention `{name}`"
