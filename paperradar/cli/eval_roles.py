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
              help="Model to score: a roles.json manifest, a tagger .onnx or a network .npz "
                   "(default: the shipped one).")
@click.option("--json", "as_json", is_flag=True,
              help="Keys: accuracy, macro_f1, per_label_f1, features (the network's sentence encoder, "
                   "{} if none), model (what scored).")
def command(directory: Path, split: str, weights: Path | None, as_json: bool) -> None:
    """Accuracy, macro-F1 (unweighted mean of the five per-label F1) and per-label F1."""
    from paperradar.enrich.roles.inference import RoleClassifier
    from paperradar.enrich.roles.sequence import RoleModelError
    from paperradar.evaluate.roles import DatasetError, evaluate, load_split

    try:
        abstracts = load_split(directory, split)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        classifier = RoleClassifier.load(weights)
    except (OSError, ValueError, KeyError, RoleModelError) as exc:
        raise click.ClickException(f"cannot load weights {weights}: {exc}") from exc
    result = evaluate(classifier, abstracts)
    model = classifier.describe()
    features = classifier.net.features if classifier.net is not None else {}
    if as_json:
        echo_json(result | {"split": split, "features": features, "model": model})
        return
    parts = []
    if classifier.tagger is not None:
        meta = classifier.tagger.meta
        parts.append(f"fine-tuned tagger ({meta.get('layers')} layers, {meta['sentence_tokens']} tokens "
                     "per sentence)")
    if classifier.net is not None:
        parts.append(f"n-grams + MiniLM ({features['minilm_tokens']} tokens)" if features else "n-grams")
    weight = f", tagger weight {classifier.tagger_weight}" if len(parts) == 2 else ""
    click.echo(f"CSAbstruct {split}: {result['sentences']} sentences; model: {' + '.join(parts)}{weight}")
    click.echo(f"accuracy  {result['accuracy']:.4f}")
    click.echo(f"macro-F1  {result['macro_f1']:.4f}")
    for label, f1 in result["per_label_f1"].items():
        click.echo(f"  F1 {label:<11} {f1:.4f}")
