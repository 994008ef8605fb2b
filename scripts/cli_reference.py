"""Write docs/cli.md: every sub-command of ``paperradar`` with its help text and options.

Run ``python scripts/cli_reference.py`` after changing a command; the test suite
(tests/test_docs.py) fails while docs/cli.md differs from what this prints,
so the reference can never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "cli.md"


def walk(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """(name path, command) for ``command`` and every sub-command below it, depth first by name."""
    out = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            out.extend(walk(command.commands[name], (*path, name)))
    return out


def render() -> str:
    sys.path.insert(0, str(REPO))
    from paperradar.cli import cli

    lines = [
        "# Command reference",
        "",
        "Generated from the code by `python scripts/cli_reference.py`; `make test` fails when it is stale.",
        "Every command also answers `--help`.",
        "",
    ]
    for path, command in walk(cli):
        title = " ".join(("paperradar", *path))
        ctx = click.Context(command, info_name=title, max_content_width=100, terminal_width=100)
        lines += [f"## `{title}`", "", "```text", command.get_help(ctx).replace(title, title, 1), "```", ""]
    return "\n".join(lines)


def main() -> None:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
