"""``paperradar eval roles``: the sentence-role classifier on CSAbstruct test."""

from __future__ import annotations

from pathlib import Path

import click

from paperradar.cli.common import echo_json


@click.command("roles")
@click.option("--csabstruct", "directory", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with CSAbstruct {train,dev,test}.jsonl.")
@click.option("--split", type=click.Choice(["test", "dev", "train"]), default="test", show_default=True,
              help="Which CSAbstruct split to score (judge on test, tune on dev).")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Weights file to score (default: the shipped one).")
@click.option("--json", "as_json", is_flag=True,
              help="Keys: accuracy, macro_f1, per_label_f1, features (the sentence encoder, {} if none).")
def command(directory: Path, split: str, weights: Path | None, as_json: bool) -> None:
    """Accuracy, macro-F1 (unweighted mean of the five per-label F1) and per-label F1."""
    from paperradar.enrich.roles.inference import RoleClassifier
    from paperradar.evaluate.roles import DatasetError, evaluate, load_split

    try:
        abstracts = load_split(directory, split)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        classifier = RoleClassifier.load(weights)
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"cannot load weights {weights}: {exc}") from exc
    result = evaluate(classifier, abstracts)
    features = classifier.net.features
    if as_json:
        echo_json(result | {"split": split, "features": features})
        return
    encoder = f"n-grams + MiniLM ({features['minilm_tokens']} tokens)" if features else "n-grams"
    click.echo(f"CSAbstruct {split}: {result['sentences']} sentences; features: {encoder}")
    click.echo(f"accuracy  {result['accuracy']:.4f}")
    click.echo(f"macro-F1  {result['macro_f1']:.4f}")
    for label, f1 in result["per_label_f1"].items():
        click.echo(f"  F1 {label:<11} {f1:.4f}")
