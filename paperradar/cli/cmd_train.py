"""``paperradar train roles``: reproduce the shipped sentence-role classifier."""

from __future__ import annotations

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
