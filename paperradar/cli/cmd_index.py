"""``paperradar index``: build the search index or catch up with new papers."""

from __future__ import annotations

import sys

import click
from tqdm import tqdm

from paperradar.cli.common import Context, echo_json, pass_ctx
from paperradar.embed import EmbeddingError, make_embedder
from paperradar.index.state import SearchIndexError, catch_up


def run_catch_up(ctx: Context, embedder_spec: str | None, dense: bool = True) -> dict:
    """Shared by ``index`` and ``search`` (which catches up small gaps itself)."""
    store = ctx.store()
    try:
        folder = ctx.index_folder()
        embedder = make_embedder(embedder_spec) if dense else None
    except (SearchIndexError, EmbeddingError) as exc:
        raise click.ClickException(str(exc)) from exc
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="paper", desc="embedding", file=sys.stderr,
                       disable=ctx.quiet or total < 64)
        bar.update(done - bar.n)

    try:
        report = catch_up(store, folder, embedder, progress, spec=embedder_spec)
    except EmbeddingError as exc:
        raise click.ClickException(f"{exc} (finished chunks are kept; re-run to resume)") from exc
    finally:
        if bar is not None:
            bar.close()
    out = report.as_dict()
    out["index"] = str(folder)
    return out


@click.command("index")
@click.option("--embedder", "embedder_spec", metavar="SPEC", envvar="PAPERRADAR_EMBEDDER",
              help="onnx (default, bundled all-MiniLM-L6-v2 int8), st:MODEL (sentence-transformers) "
                   "or openai:MODEL@BASE_URL (key in $OPENAI_API_KEY). Changing it re-embeds everything.")
@click.option("--no-dense", is_flag=True, help="Keyword index only (no embeddings).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
def command(ctx: Context, embedder_spec: str | None, no_dense: bool, as_json: bool) -> None:
    """Build the search index next to the store, or bring it up to date.

    Only new or changed papers are tokenised and embedded; an interrupted run
    keeps finished chunks and resumes where it stopped.
    """
    report = run_catch_up(ctx, embedder_spec, dense=not no_dense)
    if as_json:
        echo_json(report)
        return
    rate = f", {report['embed_papers_per_s']} papers/s" if report["embed_papers_per_s"] else ""
    click.echo(f"index {report['index']}: {report['papers']} papers; tokenised {report['tokenised']}, "
               f"embedded {report['embedded']}{rate}, removed {report['removed']}"
               f"{'; model changed, re-embedded all' if report['reembedded_all'] else ''} "
               f"in {report['seconds']} s")
