"""Shared plumbing for sub-commands: the store handle, JSON output, errors."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from paperradar import config
from paperradar.errors import PaperradarError
from paperradar.store import Store, StoreError, default_location, open_store

if TYPE_CHECKING:
    from paperradar.enrich.base import Summarizer
    from paperradar.models import IngestReport
    from paperradar.web.static_site import SiteReport

EXIT_REJECTED = 1  # some records were rejected (the rest were stored)
EXIT_UNREACHABLE = 2  # the network or the source could not be reached


@dataclass
class Context:
    db: str | None = None
    quiet: bool = False
    data_dir_option: str | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def location(self) -> str:
        return self.db or default_location()

    @property
    def data_dir(self) -> Path:
        """The folder for the search index and caches (``--data-dir``, else
        ``$PAPERRADAR_DATA_DIR``/config, else beside a SQLite store file)."""
        try:
            folder = config.data_dir_for(self.location, self.data_dir_option)
        except PaperradarError as exc:
            raise click.ClickException(str(exc)) from exc
        if folder is None:
            raise click.ClickException("an in-memory store has no data folder; pass --data-dir DIR")
        config.adopt_legacy(folder, self.location)
        return folder

    def index_folder(self) -> Path:
        """Where the search index of this store lives."""
        return self.data_dir / "index"

    def llm_cache_path(self) -> Path | None:
        """The LLM response cache: ``$PAPERRADAR_LLM_CACHE``/config, else in the data folder."""
        named = config.get("llm.cache")
        if named:
            return Path(named).expanduser()
        if self.location == ":memory:" and self.data_dir_option is None and not config.get("data_dir"):
            return None
        return self.data_dir / "llm-cache.sqlite"

    def store(self, read_only: bool = False) -> Store:
        """Open the store once per invocation; a clear error instead of a traceback.

        Commands that only read pass ``read_only=True``: a missing store is then
        reported (:class:`~paperradar.errors.StoreNotFound`) instead of created, and
        a store on a read-only file or folder can still be read. The first call
        decides; later calls in the same invocation share that store (``search``
        catching up its index reuses its read-only store: the index only reads it).
        """
        if self._store is None:
            try:
                self._store = open_store(self.location, read_only=read_only)
            except StoreError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def info(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def echo_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def valid_date(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> str | None:
    """click callback: accept only YYYY-MM-DD."""
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from exc


def print_ingest_report(report: IngestReport) -> None:
    """The one-line ingest summary on stdout."""
    click.echo(
        f"files {len(report.files)}  read {report.read}  new {report.new}  updated {report.updated}  "
        f"unchanged {report.unchanged}  duplicate {report.duplicate}  rejected {report.rejected}  "
        f"(listings added {report.listings_added}, summaries added {report.summaries_added})"
    )


def print_rejections(report: IngestReport) -> None:
    for rejection in report.rejections:
        click.echo(f"rejected: {rejection}", err=True)


def finish_ingest(report: IngestReport, as_json: bool) -> None:
    """Rejections on stderr, the counts on stdout; exit EXIT_REJECTED if anything was rejected,
    so that cron jobs and CI notice bad input even though the good records were stored."""
    print_rejections(report)
    if as_json:
        echo_json(report.as_dict())
    else:
        print_ingest_report(report)
    if report.rejected:
        sys.exit(EXIT_REJECTED)


def latest_day(ctx: Context, read_only: bool = False) -> str:
    """The default date of digest, export and summarize: the newest listed day
    (``read_only`` as for :meth:`Context.store`)."""
    from paperradar.days import latest_listed_day

    return latest_listed_day(ctx.store(read_only=read_only))


def ingest_with_progress(ctx: Context, paths: list[Path]) -> IngestReport:
    """:func:`paperradar.ingest.ingest_paths` with a progress bar on stderr."""
    from tqdm import tqdm

    from paperradar.ingest import ingest_paths

    bar = None

    def on_file(path: Path, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="file", disable=ctx.quiet or total < 2, file=sys.stderr)
        bar.n = done
        bar.set_postfix_str(path.name)

    try:
        return ingest_paths(ctx.store(), paths, on_file=on_file)
    finally:
        if bar is not None:
            bar.n = bar.total
            bar.close()


def serve_command_line(ctx: Context) -> str:
    """The command that serves the store of ``ctx`` (what ``paperradar run`` prints at its end)."""
    parts = ["paperradar"]
    if ctx.db:
        parts += ["--db", ctx.db]
    if ctx.data_dir_option:
        parts += ["--data-dir", ctx.data_dir_option]
    return " ".join(parts + ["serve"])


def build_with_progress(ctx: Context, out: Path, base_url: str | None) -> SiteReport:
    """:func:`paperradar.web.static_site.build_site` with a progress bar over paper pages."""
    from tqdm import tqdm

    from paperradar.web.static_site import build_site

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="paper", desc="site", file=sys.stderr,
                       disable=ctx.quiet or total < 200)
        bar.update(done - bar.n)

    data_dir = None if ctx.location == ":memory:" and not ctx.data_dir_option else ctx.data_dir
    try:
        return build_site(ctx.store(), out, data_dir=data_dir,
                          base_url=base_url or config.get("web.base_url"), progress=progress)
    finally:
        if bar is not None:
            bar.close()


def build_backend(ctx: Context, backend: str, language: str, concurrency: int, llm: dict) -> Summarizer:
    """The chosen backend (see :func:`paperradar.enrich.make_summarizer`), with a note when
    extractive summaries cannot be in the asked language."""
    from paperradar.enrich import make_summarizer

    if backend == "extractive" and language.strip().casefold() != "english":
        ctx.info(f"note: extractive summaries are copied from the abstract, so they are in the "
                 f"abstract's language (English), not {language}; use --backend llm for {language}")
    return make_summarizer(backend, language, concurrency, cache_path=ctx.llm_cache_path(), **llm)


def job_options(func: Any) -> Any:
    """The options ``paperradar run`` and ``paperradar daemon`` share: what the daily job does."""
    env = config.BY_KEY["categories"].env
    for option in reversed((
        click.option("--categories", metavar="C1,C2", help=f"arXiv categories to fetch (default: ${env})."),
        click.option("--offline", is_flag=True, help="Do not try the network; use the bundled sample."),
        click.option("--site", "site_dir", default="site", show_default=True, type=click.Path(path_type=Path),
                     help="Folder for the static website (days, papers, feeds, JSON)."),
        click.option("--dense/--no-dense", default=None,
                     help="Semantic (embedding) index too, or keyword only. Default: dense for live "
                          "fetches or when the index already has it; keyword only for the bundled sample."),
        click.option("--catch-up-days", type=click.IntRange(0, 60), default=7, show_default=True,
                     help="Catch up missed listing days with OAI-PMH, at most this many days back."),
        click.option("--skip", "skip", multiple=True, metavar="STEP",
                     type=click.Choice(["fetch", "summarize", "index", "trending", "topics", "site",
                                        "deliver"]),
                     help="Leave out a step (repeatable), e.g. --skip deliver on a machine that only "
                          "builds the site."),
    )):
        func = option(func)
    return func


def make_job_options(ctx: Context, categories: str | None, offline: bool, site_dir: Path, dense: bool | None,
                     catch_up_days: int, skip: tuple[str, ...] = ()) -> Any:
    """The :class:`paperradar.daily.JobOptions` of the shared job options."""
    from paperradar.daily import JobOptions

    cats = (list(config.get("categories")) if categories is None
            else [c.strip() for c in categories.replace(" ", ",").split(",") if c.strip()])
    data_dir = None if ctx.location == ":memory:" and not ctx.data_dir_option else ctx.data_dir
    return JobOptions(categories=cats, offline=offline, site_dir=site_dir, data_dir=data_dir, dense=dense,
                      catch_up_days=catch_up_days, llm_cache=ctx.llm_cache_path(), progress=not ctx.quiet,
                      skip=tuple(skip))
