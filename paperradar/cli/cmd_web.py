"""``paperradar web password``: set the admin password of ``paperradar serve`` (docs/web.md)."""

from __future__ import annotations

import sys

import click

from paperradar.cli.common import Context, pass_ctx


@click.group("web")
def command() -> None:
    """Manage the website's sign-in: the admin password (web.auth = password)."""


@command.command("password")
@click.option("--remove", is_flag=True, help="Delete the password: nobody can sign in until one is set.")
@pass_ctx
def password(ctx: Context, remove: bool) -> None:
    """Set the admin password, read from a prompt (twice) or, when piped, from stdin's first line;
    never from a flag. Stored as an argon2id hash in the store; signs every session out."""
    from paperradar.web.auth import PASSWORD_KEY, set_password

    store = ctx.store()
    if remove:
        with store.transaction():
            store.set_meta(PASSWORD_KEY, "")
        click.echo("web password removed")
        return
    if sys.stdin.isatty():
        value = click.prompt("New admin password", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    set_password(store, value)
    click.echo("web password set (argon2id); existing sessions are signed out")
