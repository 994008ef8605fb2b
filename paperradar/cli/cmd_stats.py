"""``paperradar stats``: what is stored, per day and category."""

from __future__ import annotations

import click

from paperradar.cli.common import Context, echo_json, pass_ctx


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def command(ctx: Context, as_json: bool) -> None:
    """Paper counts by announcement date and category; repeated days flagged."""
    from paperradar.days import day_infos

    store = ctx.store(read_only=True)
    infos = day_infos(store)
    if as_json:
        echo_json({
            "store": store.location,
            "papers": store.count_papers(),
            "days": [
                {"date": d.date, "papers": d.papers, "categories": d.per_category,
                 "repeats": d.repeats, "already_seen": d.already_seen}
                for d in infos
            ],
        })
        return
    click.echo(f"store {store.location}: {store.count_papers()} papers, {len(infos)} days")
    for d in infos:
        cats = " ".join(f"{c}:{n}" for c, n in sorted(d.per_category.items(), key=lambda kv: -kv[1]))
        flag = f"  REPEAT of {d.repeats}" if d.repeats else (
            f"  ({d.already_seen} seen earlier)" if d.already_seen else "")
        click.echo(f"{d.date}  {d.papers:5d}  {cats}{flag}")
