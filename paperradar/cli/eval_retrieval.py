"""``paperradar eval retrieval --beir DIR``: nDCG@10, Recall@100, MRR@10, latency."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from paperradar.cli.common import Context, echo_json, pass_ctx
from paperradar.index import MODES


@click.command("retrieval")
@click.option("--beir", "folder", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="BEIR-layout folder: corpus.jsonl[.gz], queries.jsonl, qrels/SPLIT.tsv.")
@click.option("--split", default="test", show_default=True, help="Which qrels/SPLIT.tsv to judge with.")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True,
              help="bm25: keywords only; dense: embeddings only; hybrid: both, fused.")
@click.option("--embedder", "embedder_spec", metavar="SPEC",
              help="Embedding backend (see `paperradar index --help`).")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where document vectors are cached (default ~/.cache/paperradar/beir).")
@click.option("--passages", is_flag=True,
              help="Also score each document by its best sentence (as `paperradar index --passages`); "
                   "embeds every document's sentences once (cached).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def command(ctx: Context, folder: Path, split: str, mode: str, embedder_spec: str | None, cache: Path | None,
            passages: bool, as_json: bool) -> None:
    """Retrieval quality and query latency on a BEIR benchmark folder (e.g. SciFact)."""
    from tqdm import tqdm

    from paperradar.embed import make_embedder
    from paperradar.evaluate.retrieval import build_ranker, default_cache, evaluate_beir, load_beir

    data = load_beir(folder, split)
    embedder = make_embedder(embedder_spec) if mode != "bm25" else None
    bar = tqdm(unit="doc", desc="embedding corpus", file=sys.stderr, disable=ctx.quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        ranker = build_ranker(data, embedder, cache or default_cache(), progress=progress,
                              passages=passages and embedder is not None)
    finally:
        bar.close()
    result = evaluate_beir(data, ranker, mode)
    result["passages"] = ranker.passages is not None
    if as_json:
        echo_json(result)
        return
    click.echo(f"{folder} split {split}, mode {mode}{' with passages' if result['passages'] else ''}, "
               f"{result['queries']} queries")
    click.echo(f"nDCG@10 {result['ndcg@10']:.4f}  Recall@100 {result['recall@100']:.4f}  "
               f"MRR@10 {result['mrr@10']:.4f}  latency p50 {result['latency_ms_p50']:.1f} ms  "
               f"p95 {result['latency_ms_p95']:.1f} ms")
