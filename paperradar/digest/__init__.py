"""Daily digests: one view-model (:mod:`.daily`), several renderers.

``render_day`` is the single entry point for the CLI and the scheduled job;
``write_site`` writes a day's Markdown, HTML and JSON plus an index page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from paperradar.days import day_infos
from paperradar.digest.dae_md import render_dae_md
from paperradar.digest.daily import DigestDay, DigestError, build_day
from paperradar.digest.html import IndexEntry, render_html, render_index
from paperradar.digest.json_out import render_json
from paperradar.digest.markdown import render_markdown
from paperradar.files import atomic_write
from paperradar.store.base import Store

RENDERERS: dict[str, Callable[[DigestDay], str]] = {
    "dae-md": render_dae_md,
    "md": render_markdown,
    "html": render_html,
    "json": render_json,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)
SITE_FORMATS = (("md", "md"), ("html", "html"), ("json", "json"))  # (format, file suffix)


def render_day(
    store: Store,
    date: str,
    fmt: str,
    *,
    language: str | None = None,
    category_order: list[str] | None = None,
    categories: list[str] | None = None,
) -> str:
    """The digest of ``date`` in format ``fmt`` (one of :data:`FORMATS`).

    Raises :class:`DigestError` for an unknown format or a date without listings
    (the message names the nearest dates that have some).
    """
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise DigestError(f"unknown digest format {fmt!r}; choose one of {', '.join(FORMATS)}")
    day = build_day(store, date, language=language, category_order=category_order, categories=categories,
                    trends=fmt != "dae-md")  # dae-md stays byte-identical to daily-arXiv-ai-enhanced
    return renderer(day)


def _write(path: Path, text: str) -> Path:
    """Write via a temporary file and rename, so a reader never sees half a page."""
    return atomic_write(path, text.encode("utf-8"))


def write_site(
    store: Store,
    date: str,
    out_dir: str | Path,
    *,
    language: str | None = None,
    category_order: list[str] | None = None,
    categories: list[str] | None = None,
) -> list[Path]:
    """Write ``<date>.md``, ``<date>.html``, ``<date>.json`` and ``index.html`` into ``out_dir``.

    The index links every day whose HTML page exists in ``out_dir`` (earlier
    runs included), with paper counts and repeat flags from the store.
    Returns the written paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    day = build_day(store, date, language=language, category_order=category_order, categories=categories,
                    trends=True)  # computed once for the three pages
    written = [
        _write(out / f"{date}.md", render_markdown(day)),
        _write(out / f"{date}.html", render_html(day, index_href="index.html")),
        _write(out / f"{date}.json", render_json(day)),
    ]
    pages = sorted(p.stem for p in out.glob("????-??-??.html"))
    infos = {d.date: d for d in day_infos(store, pages)}
    entries = []
    for page in pages:
        info = infos.get(page)
        others = tuple((suffix, f"{page}.{suffix}") for _, suffix in SITE_FORMATS
                       if suffix != "html" and (out / f"{page}.{suffix}").exists())
        entries.append(IndexEntry(page, f"{page}.html", info.papers if info else None,
                                  info.repeats if info else None, others))
    written.append(_write(out / "index.html", render_index(entries)))
    return written


__all__ = ["FORMATS", "DigestDay", "DigestError", "build_day", "render_day", "write_site"]
