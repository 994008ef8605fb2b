"""``paperradar feedback NAME ID up|down|save``: a verdict the next ranking learns from."""

from __future__ import annotations

import click

from paperradar.cli.common import Context, pass_ctx


@click.command("feedback")
@click.argument("name")
@click.argument("paper_id", metavar="ID")
@click.argument("verdict", type=click.Choice(["up", "down", "save"]))
@pass_ctx
def command(ctx: Context, name: str, paper_id: str, verdict: str) -> None:
    """Tell profile NAME that paper ID was good (up), bad (down) or worth keeping (save)."""
    from paperradar.radar.feedback import give_feedback

    entry = give_feedback(ctx.store(), name, paper_id, verdict)
    click.echo(f"{entry.profile}: {entry.arxiv_id} {entry.verdict}")
