"""``paperradar eval summaries``: term fidelity of our fields against reference summaries."""

from __future__ import annotations

from pathlib import Path

import click

from paperradar.cli.common import echo_json
from paperradar.errors import DatasetError
from paperradar.models import SUMMARY_FIELDS


@click.command("summaries")
@click.option("--against", "against", required=True, multiple=True, type=click.Path(path_type=Path),
              help="daily-arXiv-ai-enhanced *_AI_enhanced_*.jsonl[.gz] file(s) or folder(s); repeatable. "
                   "Papers are deduplicated by id.")
@click.option("--baselines/--no-baselines", default=True, show_default=True,
              help="Also score the lead-sentence, by-position and whole-abstract baselines.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score only the first N papers.")
@click.option("--roles", "roles", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Role model for the extractive fields: roles.json, tagger .onnx or network .npz "
                   "(default: the shipped one).")
@click.option("--json", "as_json", is_flag=True, help="Print all figures as JSON.")
@click.argument("more", nargs=-1, type=click.Path(path_type=Path))
def command(against: tuple[Path, ...], baselines: bool, limit: int | None, roles: Path | None, as_json: bool,
            more: tuple[Path, ...]) -> None:
    """Share of the reference's Latin-script terms and numbers that each of our fields contains.

    Our extractive summaries are made afresh from each reference paper's abstract
    (nothing is read from or written to the store). Extra file arguments are
    treated like more --against values, so shell globs work.
    """
    from paperradar.evaluate import summaries as ev

    try:
        refs = ev.load_references([*against, *more])
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    if not refs:
        raise click.ClickException("no reference summaries found in the given files")
    if limit:
        refs = refs[:limit]
    systems = ["extractive"] + (["lead", "position", "abstract"] if baselines else [])
    makers = dict(ev.SYSTEMS)
    if roles is not None:
        makers["extractive"] = lambda part: ev.extractive_fields(part, roles=roles)
    results = {name: ev.score(refs, makers[name]) for name in systems}
    results["ceiling (whole abstract, uncut)"] = ev.oracle_ceiling(refs)
    if as_json:
        echo_json({"papers": len(refs), "systems": results})
        return
    click.echo(f"{len(refs)} papers; share of reference terms contained (macro over papers)")
    header = f"{'system':<32}{'overall':>9}" + "".join(f"{n:>12}" for n in SUMMARY_FIELDS)
    click.echo(header)
    for name, r in results.items():
        cells = "".join(f"{r['fields'][n]:>12.3f}" for n in SUMMARY_FIELDS)
        click.echo(f"{name:<32}{r['overall']:>9.3f}{cells}")
