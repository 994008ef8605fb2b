"""``paperradar index``: build the search index, catch up with new papers, check or repair it."""

from __future__ import annotations

import sys

import click

from paperradar.cli.common import Context, echo_json, pass_ctx
from paperradar.errors import EmbeddingError, SearchIndexError


@click.command("index")
@click.option("--embedder", "embedder_spec", metavar="SPEC",
              help="onnx (default, bundled all-MiniLM-L6-v2 int8), st:MODEL (sentence-transformers) "
                   "or openai:MODEL@BASE_URL (key in $OPENAI_API_KEY); default $PAPERRADAR_EMBEDDER or the "
                   "config file, else onnx. Changing it re-embeds everything.")
@click.option("--no-dense", is_flag=True, help="Keyword index only (no embeddings).")
@click.option("--passages/--no-passages", default=None,
              help="Also embed each abstract's sentences, so that dense search scores a paper by its "
                   "best sentence too (SciFact dense nDCG@10 0.646 -> 0.695); embedding takes about "
                   "twice as long. Default: as the index was built (off for a new one).")
@click.option("--check", "check_only", is_flag=True,
              help="Only check the index (every file, row count and checksum); exit 1 if it is damaged "
                   "or missing. Changes nothing.")
@click.option("--rebuild", is_flag=True, help="Delete the index and build it from scratch.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
def command(ctx: Context, embedder_spec: str | None, no_dense: bool, passages: bool | None, check_only: bool,
            rebuild: bool, as_json: bool) -> None:
    """Build the search index in the data folder, or bring it up to date.

    Only new or changed papers are tokenised and embedded; an interrupted run
    keeps finished chunks and resumes where it stopped. Damaged index files are
    repaired (damaged vector rows dropped and re-embedded, a damaged keyword
    index rebuilt from the store).
    """
    if check_only and rebuild:
        raise click.UsageError("--check and --rebuild exclude each other")
    if passages and no_dense:
        raise click.UsageError("--passages needs the dense index: drop --no-dense")
    from paperradar.index.state import check, progress_bar, update_index

    store = ctx.store()
    folder = ctx.index_folder()
    if check_only:
        health = check(folder, deep=True, full=True)  # every line and vector, no checkpoint trusted
        if as_json:
            echo_json(health.as_dict())
        elif health.ok:
            papers = len(health.docs or [])
            kind = "keyword + dense" if health.dense_wanted else "keyword only"
            click.echo(f"index {folder}: healthy; {papers} papers ({kind})")
        else:
            click.echo(f"index {folder}: damaged", err=True)
            for problem in health.problems:
                click.echo(f"  {problem}", err=True)
            click.echo("run `paperradar index` to repair it", err=True)
        sys.exit(0 if health.ok else 1)
    try:
        with progress_bar(enabled=not ctx.quiet) as progress:
            report = update_index(store, folder, embedder_spec, dense=not no_dense, progress=progress,
                                  rebuild=rebuild, passages=passages)
    except (SearchIndexError, EmbeddingError) as exc:
        raise click.ClickException(str(exc)) from exc
    out = report.as_dict()
    if as_json:
        echo_json(out)
        return
    for line in report.repaired:
        click.echo(f"repaired: {line}", err=True)
    rate = f", {out['embed_papers_per_s']} papers/s" if out["embed_papers_per_s"] else ""
    click.echo(f"index {out['index']}: {out['papers']} papers; tokenised {out['tokenised']}, "
               f"embedded {out['embedded']}{rate}, removed {out['removed']}"
               f"{f', passages of {p} papers' if (p := out['passages_embedded']) else ''}"
               f"{'; model changed, re-embedded all' if out['reembedded_all'] else ''} "
               f"in {out['seconds']} s")
