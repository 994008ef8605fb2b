"""``paperradar trending``: phrases whose share of papers rises significantly this week."""

from __future__ import annotations

import click

from paperradar.cli.common import Context, echo_json, pass_ctx, valid_date

LABELS = {"github_stars": "stars", "hf_upvotes": "HF upvotes"}


@click.command("trending")
@click.option("--days", type=click.IntRange(1, 365), default=7, show_default=True,
              help="Length of the recent window, ending on --until.")
@click.option("--baseline-days", type=click.IntRange(1, 3650), default=28, show_default=True,
              help="Length of the baseline window just before it.")
@click.option("--until", callback=valid_date, metavar="YYYY-MM-DD",
              help="Last day of the recent window. Default: the newest listing date.")
@click.option("--categories", metavar="C1,C2,...", help="Only papers listed in these categories.")
@click.option("--top", type=click.IntRange(1, 200), default=15, show_default=True, help="Phrases at most.")
@click.option("--min-count", type=click.IntRange(1, 10_000), default=5, show_default=True,
              help="Recent papers a phrase needs at least.")
@click.option("--all", "show_all", is_flag=True,
              help="Also the strongest rising phrases that miss the significance threshold, flagged.")
@click.option("--signals", "signal_names", metavar="NAME,...",
              help="Online signals for the shown papers: github (stars of their GitHub code links), "
                   "hf (Hugging Face daily-papers upvotes). Default: none, no request at all.")
@click.option("--github-token-env", metavar="VAR",
              help="Environment variable holding a GitHub token for --signals github "
                   "(default: [signals] github_token_env, GITHUB_TOKEN; optional).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
def command(ctx: Context, days: int, baseline_days: int, until: str | None, categories: str | None, top: int,
            min_count: int, show_all: bool, signal_names: str | None, github_token_env: str | None,
            as_json: bool) -> None:
    """Terms and phrases rising significantly over the baseline (log-likelihood ratio test).

    Counts are papers, each in the window of its first listing; overlapping phrases are
    merged (docs/topics.md). With --signals, each phrase's papers show their GitHub stars
    and Hugging Face upvotes and are ordered by them (the first signal named first).
    """
    from paperradar.digest.daily import parse_category_list
    from paperradar.digest.phrase_cache import FILE_NAME
    from paperradar.digest.trending import trending

    try:
        cache = ctx.data_dir / FILE_NAME
    except click.ClickException:  # an in-memory store: no data folder, no cache
        cache = None
    report = trending(ctx.store(), until=until, days=days, baseline_days=baseline_days,
                      categories=parse_category_list(categories), top=top, min_count=min_count,
                      significant_only=not show_all, cache=cache)
    names = [n.strip().lower() for n in (signal_names or "").split(",") if n.strip()]
    if names:
        import os

        from paperradar import config
        from paperradar.digest.trending import add_signals
        from paperradar.errors import DigestError

        token_env = github_token_env or config.get("signals.github_token_env")
        try:
            warnings = add_signals(ctx.store(), report, names, github_token=os.environ.get(token_env) or None)
        except DigestError as exc:
            raise click.BadParameter(str(exc), param_hint="--signals") from None
        for w in warnings:
            click.echo(f"warning: {w}", err=True)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(f"{report.since} – {report.until}: {report.recent_papers} papers; baseline "
               f"{report.baseline_since} – {report.baseline_until}: {report.baseline_papers} papers; "
               f"{report.tested} phrases tested, G² ≥ {report.threshold:g}")
    if not report.trends:
        click.echo("nothing rises significantly")
    for k, t in enumerate(report.trends, 1):
        also = f"  (also: {', '.join(t.merged[:3])})" if t.merged else ""
        flag = "" if t.significant else "  (not significant)"
        click.echo(f"{k:2d}. {t.term}  {t.recent} vs {t.baseline}  x{t.ratio:g}  G² {t.llr:g}{flag}{also}")
        for pid in t.papers:
            values = (report.signals or {}).get(pid, {})
            extra = "".join(f"  [{LABELS.get(k, k)} {v}]" for k, v in values.items())
            click.echo(f"      {pid}  {report.titles.get(pid, '')}{extra}")
