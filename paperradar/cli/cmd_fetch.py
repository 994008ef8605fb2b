"""``paperradar fetch oai|api|rss``: live fetching from arXiv's machine interfaces."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from paperradar.cli.common import EXIT_UNREACHABLE, Context, finish_ingest, pass_ctx, valid_date

if TYPE_CHECKING:
    from paperradar.models import IngestReport

DEFAULT_DELAY = 3.0  # arXiv: "no more than one request every three seconds" (sources.http says so too)


def _delay_option(f: Callable) -> Callable:
    return click.option("--delay", type=click.FloatRange(min=0), default=DEFAULT_DELAY, show_default=True,
                        help="Seconds between requests (arXiv asks for 3).")(f)


def _json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")(f)


def _run(ctx: Context, as_json: bool, delay: float, job: Callable) -> None:
    """Open a polite client, run ``job(store, client)``, report, map failures to exit codes:
    unreachable is 2; any other network failure (an unusable answer, a harvest that loops,
    a body past the size cap, a request past its deadline) is a one-line error and 1."""
    from paperradar.errors import NetworkError
    from paperradar.sources.harvest import FetchUnavailable, PoliteClient

    store = ctx.store()
    try:
        with PoliteClient(delay=delay) as client:
            report: IngestReport = job(store, client)
    except FetchUnavailable as exc:
        click.echo(f"error: network unavailable: {exc}", err=True)
        sys.exit(EXIT_UNREACHABLE)
    except NetworkError as exc:
        raise click.ClickException(str(exc)) from None
    finish_ingest(report, as_json)


@click.group("fetch")
def command() -> None:
    """Fetch papers live from arXiv (OAI-PMH, export API, announcement RSS).

    Pages are stored one transaction each, so an interrupted fetch keeps what
    it got and a re-run adds nothing twice. Requests are spaced --delay
    seconds apart on one connection; 503/429 answers are retried after their
    Retry-After. Set $PAPERRADAR_CONTACT to an e-mail address to include in
    the User-Agent. Responses are capped at $PAPERRADAR_HTTP_MAX_BYTES and
    each request at $PAPERRADAR_HTTP_DEADLINE seconds; a harvest that loops
    stops with an error. Exit status: 0 ok, 1 records rejected or arXiv
    answered badly, 2 network unreachable.
    """


@command.command("oai")
@click.option("--from", "from_date", callback=valid_date, metavar="YYYY-MM-DD",
              help="Records changed on or after this day.")
@click.option("--until", "until_date", callback=valid_date, metavar="YYYY-MM-DD",
              help="Records changed on or before this day.")
@click.option("--set", "set_spec", metavar="SET", help="OAI set, e.g. cs or physics:hep-th.")
@click.option("--prefix", type=click.Choice(["arXiv", "arXivRaw"]), default="arXiv", show_default=True,
              help="Metadata format; arXivRaw adds version numbers and dates.")
@click.option("--base-url", default=None, metavar="URL", help="OAI-PMH endpoint (default: arXiv's).")
@click.option("--resume", is_flag=True,
              help="Continue the interrupted harvest stored in this database, or harvest changes "
                   "since the last finished one.")
@_delay_option
@_json_option
@pass_ctx
def oai(ctx: Context, from_date: str | None, until_date: str | None, set_spec: str | None, prefix: str,
        base_url: str | None, resume: bool, delay: float, as_json: bool) -> None:
    """Harvest metadata with OAI-PMH ListRecords (bulk, no daily listings)."""
    from paperradar.errors import NetworkError
    from paperradar.sources.harvest import OAI_URL, FetchUnavailable, harvest_oai, load_oai_state

    if resume and (from_date or until_date or set_spec):
        raise click.UsageError("--resume continues the stored harvest; "
                               "do not combine it with --from/--until/--set")

    def job(store, client):  # a local callback
        try:
            return harvest_oai(store, client, base_url=base_url or OAI_URL, prefix=prefix, set_spec=set_spec,
                               from_date=from_date, until_date=until_date, resume=resume, progress=ctx.info)
        except NetworkError as exc:
            state = load_oai_state(store) or {}
            if state.get("token") and not isinstance(exc, FetchUnavailable):
                raise type(exc)(f"{exc}\n{state.get('pages')} page(s) stored; continue with: "
                                "paperradar fetch oai --resume") from None
            raise

    _run(ctx, as_json, delay, job)


@command.command("api")
@click.option("--query", required=True, metavar="QUERY", help='Export-API search_query, e.g. "cat:cs.AI".')
@click.option("--max", "max_results", type=click.IntRange(min=1), default=None,
              help="Stop after this many results (default: all of them).")
@click.option("--page-size", type=click.IntRange(1, 2000), default=100, show_default=True,
              help="Results per request.")
@click.option("--sort", "sort_by", type=click.Choice(["submittedDate", "lastUpdatedDate", "relevance"]),
              default=None, help="Sort order (descending).")
@click.option("--base-url", default=None, metavar="URL", help="Export API endpoint (default: arXiv's).")
@_delay_option
@_json_option
@pass_ctx
def api(ctx: Context, query: str, max_results: int | None, page_size: int, sort_by: str | None,
        base_url: str | None, delay: float, as_json: bool) -> None:
    """Search the arXiv export API and store every result (no daily listings)."""
    from paperradar.sources.harvest import API_URL, fetch_api

    def job(store, client):  # a local callback
        return fetch_api(store, client, query=query, base_url=base_url or API_URL, max_results=max_results,
                         page_size=page_size, sort_by=sort_by, progress=ctx.info)

    _run(ctx, as_json, delay, job)


@command.command("rss")
@click.argument("categories", nargs=-1, required=True)
@click.option("--base-url", default=None, metavar="URL",
              help="Feed base URL; the category is appended "
                   "(default: $PAPERRADAR_RSS_URL or rss.arxiv.org/rss/).")
@_delay_option
@_json_option
@pass_ctx
def rss(ctx: Context, categories: tuple[str, ...], base_url: str | None, delay: float, as_json: bool) -> None:
    """Fetch today's announcement feed for each CATEGORY (e.g. cs.AI cs.CL):
    papers plus their listing (new, cross-list, replacement) for the day."""
    from paperradar import config
    from paperradar.sources.harvest import RSS_URL, fetch_rss

    def job(store, client):  # a local callback
        url = base_url or config.get("rss_url") or RSS_URL
        return fetch_rss(store, client, categories, base_url=url, progress=ctx.info)

    _run(ctx, as_json, delay, job)
