"""Shared plumbing for sub-commands: the store handle, JSON output, errors."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from paperradar import config
from paperradar.errors import PaperradarError
from paperradar.store import Store, StoreError, default_location, open_store


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

    def store(self) -> Store:
        """Open the store once per invocation; a clear error instead of a traceback."""
        if self._store is None:
            try:
                self._store = open_store(self.location)
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


pass_ctx = click.make_pass_decorator(Context)


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
