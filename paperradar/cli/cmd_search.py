"""``paperradar search QUERY``: hybrid keyword + semantic search over stored papers."""

from __future__ import annotations

import re

import click

from paperradar.cli.cmd_index import run_catch_up
from paperradar.cli.common import Context, pass_ctx, valid_date
from paperradar.embed import EmbeddingError
from paperradar.index.hybrid import MODES
from paperradar.index.search import SearchIndex, results_json
from paperradar.index.state import SearchIndexError, read_state, staleness

AUTO_CATCH_UP = 200  # papers: smaller gaps are indexed on the fly before searching


def _highlight(text: str, matched: list[str]) -> str:
    if not matched:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(m) for m in matched) + r")\b")
    return pattern.sub(lambda m: click.style(m.group(0), bold=True), text)


@click.command("search")
@click.argument("query")
@click.option("--k", "k", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Results at most.")
@click.option("--since", callback=valid_date, metavar="YYYY-MM-DD", help="Listed on or after this date.")
@click.option("--until", callback=valid_date, metavar="YYYY-MM-DD", help="Listed on or before this date.")
@click.option("--category", metavar="C", help="arXiv category, e.g. cs.CV (or an archive such as cs).")
@click.option("--author", metavar="NAME", help="Author name contains NAME (case-insensitive).")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@pass_ctx
def command(ctx: Context, query: str, k: int, since: str | None, until: str | None, category: str | None,
            author: str | None, mode: str, as_json: bool) -> None:
    """Search stored papers by keywords and meaning.

    Results below the relevance floor are cut, so fewer than --k may come back
    (see docs/search.md). Operators such as AND/OR, quotes or * are read as
    plain words.
    """
    store = ctx.store(read_only=True)
    try:
        folder = ctx.index_folder()
    except SearchIndexError as exc:
        raise click.ClickException(str(exc)) from exc
    note = staleness(store, folder)
    state = read_state(folder)
    if note is not None:
        indexed = int(state.get("papers", 0)) if state else 0
        if abs(store.count_papers() - indexed) <= AUTO_CATCH_UP:
            ctx.info(f"index: {note}; catching up")
            run_catch_up(ctx, state.get("embedder") if state else None,
                         dense=bool(state.get("dense", True)) if state else True)
            note = None
        else:
            ctx.info(f"warning: search index is stale ({note}); run `paperradar index`")
    try:
        index = SearchIndex.open(store, folder)
        results = index.search(query, k=k, mode=mode, since=since, until=until, category=category,
                               author=author)
    except (SearchIndexError, EmbeddingError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(results_json(query, mode, results, note))
        return
    if not results:
        click.echo("no results above the relevance floor")
        return
    for r in results:
        click.echo(f"{r.rank:3d}. {r.arxiv_id}  {r.date}  {_highlight(r.title, r.matched)}")
        click.echo(f"     [{' '.join(r.categories)}]  score {r.score:.3f}")
        if r.snippet:
            click.echo(f"     {_highlight(r.snippet, r.matched)}")
