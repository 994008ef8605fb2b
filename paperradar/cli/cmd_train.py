"""``paperradar train roles``: reproduce the shipped sentence-role classifier."""

from __future__ import annotations

from pathlib import Path

import click

from paperradar.cli.common import echo_json


@click.group("train")
def command() -> None:
    """Train the models paperradar ships (needs torch, for training only)."""


@command.command("roles")
@click.option("--csabstruct", "directory", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with CSAbstruct train.jsonl and dev.jsonl (test is not read).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the weights (default: replace the shipped roles.npz).")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Epochs per network.")
@click.option("--members", type=click.IntRange(min=1), default=None, help="Networks in the ensemble.")
@click.option("--seed", type=int, default=None, help="Seed of the first network.")
@click.option("--json", "as_json", is_flag=True, help="Print dev scores as JSON.")
def roles(directory: Path, output: Path | None, epochs: int | None, members: int | None, seed: int | None,
          as_json: bool) -> None:
    """Train the sentence-role classifier on CSAbstruct train, choosing epochs on dev."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise click.ClickException("training needs PyTorch: pip install torch (CPU wheel is enough)") from exc
    from paperradar.enrich.roles.train import TrainConfig, train
    from paperradar.evaluate.roles import DataError

    given = {"epochs": epochs, "members": members, "seed": seed}
    overrides = {k: v for k, v in given.items() if v is not None}
    cfg = TrainConfig(**overrides)
    try:
        data, info = train(directory, cfg, log=lambda m: click.echo(m, err=True))
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    if output is None:
        output = Path(__file__).resolve().parents[1] / "enrich" / "roles" / "weights" / "roles.npz"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    if as_json:
        echo_json(info | {"output": str(output), "bytes": len(data)})
    else:
        click.echo(f"wrote {output} ({len(data) / 1e6:.1f} MB); evaluate with "
                   f"`paperradar eval roles --csabstruct {directory} --weights {output}`")
