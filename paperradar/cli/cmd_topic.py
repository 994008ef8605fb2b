"""``paperradar topic add / list / remove``: the saved topics ``paperradar run`` renders
a digest for (docs/topics.md)."""

from __future__ import annotations

import click

from paperradar.cli.common import Context, echo_json, pass_ctx


@click.group("topic")
def command() -> None:
    """Saved topics: a digest per topic every week or day, rendered by `paperradar run`."""


@command.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--categories", metavar="C1,C2,...", help="Only papers in these categories.")
@click.option("--every", type=click.Choice(("week", "day")), default="week", show_default=True,
              help="How often `paperradar run` renders a new issue.")
@pass_ctx
def add(ctx: Context, name: str, query: str, categories: str | None, every: str) -> None:
    """Save topic NAME for QUERY (replaces a topic of the same name)."""
    from paperradar.digest.daily import parse_category_list
    from paperradar.digest.topic.saved import add_topic

    topic = add_topic(ctx.store(), name, query, parse_category_list(categories), every)
    click.echo(f"saved topic {topic.name!r}: {topic.query!r} every {topic.every}")


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the topics as JSON.")
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """Saved topics with their last issue."""
    store = ctx.store()
    rows: list[dict] = []
    for t in store.list_topics():
        issues = store.topic_issues(t.name)
        rows.append({"name": t.name, "query": t.query, "categories": list(t.categories), "every": t.every,
                     "issues": len(issues), "latest": issues[0].until if issues else None})
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no saved topics (add one with `paperradar topic add NAME \"QUERY\"`)")
    for r in rows:
        cats = f" [{', '.join(r['categories'])}]" if r["categories"] else ""
        click.echo(f"{r['name']}: {r['query']!r}{cats} every {r['every']}, {r['issues']} issues"
                   + (f", latest {r['latest']}" if r["latest"] else ""))


@command.command("remove")
@click.argument("name")
@pass_ctx
def remove(ctx: Context, name: str) -> None:
    """Forget saved topic NAME and its issue history (rendered files stay)."""
    from paperradar.digest.topic.saved import remove_topic

    remove_topic(ctx.store(), name)
    click.echo(f"removed topic {name!r}")
