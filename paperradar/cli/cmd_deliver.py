"""``paperradar deliver``: e-mail a profile's papers of one day, once (see docs/deliver.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from paperradar.cli.common import Context, echo_json, pass_ctx


@click.command("deliver")
@click.option("--profile", "profiles", multiple=True, metavar="NAME",
              help="Profile to deliver (repeatable). Default: every profile.")
@click.option("--date", metavar="YYYY-MM-DD", help="Listing day. Default: the newest listed day.")
@click.option("--dry-run", "dry_run", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write the .eml files into DIR instead of sending; records nothing.")
@click.option("--smtp-host", metavar="HOST", help="SMTP server (default: smtp.host).")
@click.option("--smtp-port", type=int, metavar="PORT",
              help="SMTP port (default: smtp.port, else by smtp.security).")
@click.option("--resend", is_flag=True,
              help="Send again even if recorded as sent or interrupted while sending (after checking).")
@click.option("--feed-token", is_flag=True,
              help="Print each profile's secret Atom feed path (feeds/profile/NAME.atom?token=...); "
                   "send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON.")
@pass_ctx
def command(ctx: Context, profiles: tuple[str, ...], date: str | None, dry_run: Path | None,
            smtp_host: str | None, smtp_port: int | None, resend: bool, feed_token: bool,
            as_json: bool) -> None:
    """E-mail each profile its ranked papers of the day: never twice, never silently nothing.
    Exit 1 when a delivery failed (it is recorded and retried by the next run)."""
    from paperradar.deliver import deliver_profile
    from paperradar.deliver.smtp import SmtpSettings

    store = ctx.store()
    names = list(profiles) or [p.name for p in store.list_profiles()]
    if not names:
        raise click.ClickException("no profiles yet; make one with "
                                   "`paperradar profile add NAME --email ADDR`")
    if feed_token:
        from paperradar.deliver import signing

        key = signing.secret(store)
        for n in names:
            click.echo(f"{n}: feeds/profile/{n}.atom?token={signing.feed_token(key, n)}")
        return
    smtp = None if dry_run else SmtpSettings.from_config(smtp_host, smtp_port)
    outcomes = [deliver_profile(store, n, date, smtp=smtp, dry_run=dry_run, resend=resend) for n in names]
    if as_json:
        echo_json([o.as_dict() for o in outcomes])
    else:
        for o in outcomes:
            click.echo(o.line())
            for f in o.files:
                click.echo(f"  wrote {f}")
    if not all(o.ok for o in outcomes):
        sys.exit(1)
