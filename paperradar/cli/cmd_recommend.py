"""``paperradar recommend --profile NAME``: the day's papers ranked for one reader, each with a why."""

from __future__ import annotations

import click

from paperradar.cli.common import Context, echo_json, pass_ctx, valid_date


@click.command("recommend")
@click.option("--profile", "name", required=True, metavar="NAME", help="Profile to rank for.")
@click.option("--date", callback=valid_date, metavar="YYYY-MM-DD", help="Listing day (default: the newest).")
@click.option("--since", callback=valid_date, metavar="YYYY-MM-DD",
              help="Every listing day from this one on.")
@click.option("--k", "k", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Papers at most; fewer when fewer clear the profile's threshold (never padded).")
@click.option("--unseen", is_flag=True,
              help="Leave out papers already shown to this profile (an abstract change brings one back as "
                   "an update) and record the ones shown.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {id, title, score, why, ...}.")
@pass_ctx
def command(ctx: Context, name: str, date: str | None, since: str | None, k: int, unseen: bool,
            as_json: bool) -> None:
    """Rank the papers listed on a day for profile NAME (see docs/radar.md)."""
    from paperradar.radar.recommend import recommend

    if date and since:
        raise click.UsageError("give --date or --since, not both")
    store = ctx.store(read_only=not unseen)
    result = recommend(store, name, date=date, since=since, k=k, only_unseen=unseen,
                       folder=ctx.index_folder())
    for note in result.notes:
        ctx.info(f"note: {note}")
    if as_json:
        echo_json(result.as_json())
        return
    first, last = result.window
    span = first if first == last else f"{first}..{last}"
    click.echo(f"{name}: {len(result.papers)} of {result.candidates} papers listed {span}"
               + (" (trending: the profile has nothing to rank by yet)" if result.mode == "trending" else ""))
    for n, e in enumerate(result.papers, 1):
        click.echo(f"{n:3d}. {e['id']}  {e['title']}")
        click.echo(f"     score {e['score']:.2f}  {e['why']}")
