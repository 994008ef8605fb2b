"""``paperradar search QUERY``: hybrid keyword + semantic search over stored papers."""

from __future__ import annotations

import re

import click

from paperradar.cli.common import Context, pass_ctx, valid_date
from paperradar.errors import EmbeddingError, SearchIndexError
from paperradar.index import MODES

AUTO_CATCH_UP = 200  # papers: gaps (or repairs) up to this size are indexed on the fly before searching


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
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True,
              help="bm25: keywords only; dense: embeddings only; hybrid: both, fused.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@pass_ctx
def command(ctx: Context, query: str, k: int, since: str | None, until: str | None, category: str | None,
            author: str | None, mode: str, as_json: bool) -> None:
    """Search stored papers by keywords and meaning.

    Results below the relevance floor are cut, so fewer than --k may come back
    (see docs/search.md). Operators such as AND/OR, quotes or * are read as
    plain words. When the dense index is unusable, results are keyword-only
    and say so (on stderr; "mode": "bm25" and "degraded" in --json).
    """
    from paperradar.index.search import SearchIndex, results_json
    from paperradar.index.state import progress_bar

    store = ctx.store(read_only=True)
    folder = ctx.index_folder()
    try:
        with progress_bar(enabled=not ctx.quiet) as progress:
            index = SearchIndex.open(store, folder, catch_up_below=AUTO_CATCH_UP + 1, progress=progress)
        if index.caught_up is not None:
            ctx.info(f"index: caught up ({index.caught_up.tokenised} tokenised, "
                     f"{index.caught_up.embedded} embedded)")
        results = index.search(query, k=k, mode=mode, since=since, until=until, category=category,
                               author=author)
    except (SearchIndexError, EmbeddingError) as exc:
        raise click.ClickException(str(exc)) from exc
    if index.note is not None:
        ctx.info(f"warning: search index is stale ({index.note}); run `paperradar index`")
    if index.degraded is not None and mode != "bm25":
        click.echo(f"warning: {index.degraded}", err=True)
    used = index.mode_for(mode)
    if as_json:
        click.echo(results_json(query, used, results, index.note, requested=mode,
                                degraded=index.degraded if used != mode else None))
        return
    if not results:
        click.echo("no results above the relevance floor")
        return
    for r in results:
        click.echo(f"{r.rank:3d}. {r.arxiv_id}  {r.date}  {_highlight(r.title, r.matched)}")
        click.echo(f"     [{' '.join(r.categories)}]  score {r.score:.3f}")
        if r.snippet:
            click.echo(f"     {_highlight(r.snippet, r.matched)}")
