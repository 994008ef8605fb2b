"""``paperradar digest daily|site``: render a day's papers as Markdown, HTML or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from paperradar.cli.common import Context, echo_json, latest_day, pass_ctx, valid_date

# kept here (not imported from paperradar.digest) so `--help` does not load the renderers
FORMATS = ("dae-md", "md", "html", "json")


def parse_category_list(value: str | None) -> list[str] | None:
    """'cs.CL, cs.LG' -> ['cs.CL', 'cs.LG']; None or empty -> None."""
    from paperradar.digest.daily import parse_category_list as parse

    return parse(value)


def _write_output(text: str, output: Path | None) -> None:
    data = text.encode("utf-8")
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from paperradar.files import atomic_write

    try:
        atomic_write(output, data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc


_date_option = click.option("--date", "date", callback=valid_date, metavar="YYYY-MM-DD",
                            help="Announcement date. Default: the latest date with listings.")
_language_option = click.option("--language", metavar="L",
                                help="Summary language to show (e.g. Chinese, English). Default: the "
                                     "language of the day's imported summaries; papers without one fall "
                                     "back to their newest summary in any language.")
_order_option = click.option("--category-order", metavar="C1,C2,...",
                             help="Show these categories first, in this order; the rest follow in order "
                                  "of first appearance.")
_filter_option = click.option("--categories", metavar="C1,C2,...",
                              help="Only these listing categories.")


@click.group("digest")
def command() -> None:
    """Digests of announced papers (Markdown, HTML, JSON)."""


@command.command("daily")
@_date_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True,
              help="dae-md: daily-arXiv-ai-enhanced's Markdown, byte for byte; md: our Markdown; "
                   "html: a self-contained page; json: the documented schema (docs/digest.md).")
@_order_option
@_filter_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout.")
@_language_option
@pass_ctx
def daily(ctx: Context, date: str | None, fmt: str, category_order: str | None, categories: str | None,
          output: Path | None, language: str | None) -> None:
    """One day's digest, ordered by category then by listing order.

    A date without listings is an error that names the nearest dates with some.
    """
    from paperradar.digest import render_day

    date = date or latest_day(ctx, read_only=True)
    text = render_day(ctx.store(read_only=True), date, fmt, language=language,
                          category_order=parse_category_list(category_order),
                          categories=parse_category_list(categories))
    _write_output(text, output)
    if output is not None:
        ctx.info(f"wrote {output}")


@command.command("site")
@_date_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for <date>.md, <date>.html, <date>.json and index.html.")
@_order_option
@_filter_option
@_language_option
@click.option("--json", "as_json", is_flag=True, help="Print the written paths as JSON.")
@pass_ctx
def site(ctx: Context, date: str | None, out_dir: Path, category_order: str | None, categories: str | None,
         language: str | None, as_json: bool) -> None:
    """Write a day's Markdown, HTML and JSON digests plus an index page linking all days in OUT."""
    from paperradar.digest import write_site

    date = date or latest_day(ctx, read_only=True)
    try:
        paths = write_site(ctx.store(read_only=True), date, out_dir, language=language,
                           category_order=parse_category_list(category_order),
                           categories=parse_category_list(categories))
    except OSError as exc:
        raise click.ClickException(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
    if as_json:
        echo_json({"date": date, "written": [str(p) for p in paths]})
    else:
        for path in paths:
            click.echo(str(path))


@command.command("topic")
@click.argument("query")
@click.option("--since", callback=valid_date, metavar="YYYY-MM-DD",
              help="First listing date. Default: --days days ending on --until.")
@click.option("--until", callback=valid_date, metavar="YYYY-MM-DD",
              help="Last listing date (the date in the headline). Default: the newest in the index.")
@click.option("--days", type=click.IntRange(1, 3660), default=None,
              help="Window length in days when --since is not given.  [default: 7]")
@click.option("--n", "n", type=click.IntRange(1, 5000), default=72, show_default=True,
              help="Papers at most (fewer when fewer are relevant; never padded).")
@_filter_option
@click.option("--backend", type=click.Choice(("extractive", "llm")), default="extractive", show_default=True,
              help="extractive: built from the papers' own sentences, offline; llm: theme paragraphs and "
                   "outlook written by an OpenAI-compatible server, citations checked (docs/topics.md).")
@click.option("--language", default="English", show_default=True, help="LLM: language of the prose.")
@click.option("--base-url", default=None, help="LLM: endpoint (default $PAPERRADAR_LLM_BASE_URL).")
@click.option("--model", default=None, help="LLM: model name (default $PAPERRADAR_LLM_MODEL).")
@click.option("--api-key-env", default=None, help="LLM: NAME of the variable holding the API key "
              "(default $PAPERRADAR_LLM_API_KEY_ENV, else OPENAI_API_KEY).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="LLM: seconds per request, retried on expiry (default $PAPERRADAR_LLM_TIMEOUT, else 120).")
@click.option("--max-tokens", type=click.IntRange(min=16), default=None,
              help="LLM: completion token limit per section (default 700).")
@click.option("--no-cache", is_flag=True, help="LLM: do not use the response cache.")
@click.option("--format", "fmt", type=click.Choice(("md", "html", "json")), default="md", show_default=True,
              help="md: Markdown with the three sections; html: a self-contained page; json: the "
                   "documented schema (docs/topics.md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout.")
@pass_ctx
def topic(ctx: Context, query: str, since: str | None, until: str | None, days: int | None, n: int,
          categories: str | None, backend: str, language: str, base_url: str | None, model: str | None,
          api_key_env: str | None, timeout: float | None, max_tokens: int | None, no_cache: bool, fmt: str,
          output: Path | None) -> None:
    """A digest of the papers on QUERY in a window: themes, models and datasets, outlook.

    QUERY is a search query or the name of a saved topic (`paperradar topic add`).
    """
    from paperradar.digest.topic.formats import render_topic
    from paperradar.digest.topic.service import make_digest

    llm: dict = {"base_url": base_url, "model": model, "api_key_env": api_key_env, "timeout": timeout,
                 "use_cache": not no_cache}
    if max_tokens is not None:
        llm["max_tokens"] = max_tokens
    digest = make_digest(ctx.store(), ctx.index_folder(), query, since=since, until=until, days=days, n=n,
                         categories=parse_category_list(categories), backend=backend, language=language,
                         llm_cache=ctx.llm_cache_path() if backend == "llm" else None, llm=llm)
    if backend == "llm":
        fallbacks = sum(t.fallback for t in digest.themes) + digest.outlook_fallback
        ctx.info(f"LLM digest: {digest.dropped_sentences} sentence(s) dropped by the checks, "
                 f"{fallbacks} section(s) kept extractive")
        for note in digest.notes:
            ctx.info(note)
    text = render_topic(digest, fmt)
    _write_output(text, output)
    if output is not None:
        ctx.info(f"wrote {output}")
