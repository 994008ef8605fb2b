"""``paperradar profile add|list|show|edit|remove``: reader profiles for ``paperradar recommend``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from paperradar.cli.common import EXIT_REJECTED, Context, echo_json, pass_ctx

if TYPE_CHECKING:
    from paperradar.radar.profiles import ProfileChange, ZoteroSource


def _profile_options(func: Callable) -> Callable:
    options = [
        click.option("--interests", metavar="TEXT", help="What you want to read about, in your words."),
        click.option("--keywords", metavar="'a, b'",
                     help="Phrases that count for a paper (comma-separated)."),
        click.option("--exclude", metavar="'x, y'",
                     help="Phrases that remove a paper outright (comma-separated)."),
        click.option("--authors", metavar="'Name; Name'", help="Followed authors (semicolon-separated)."),
        click.option("--categories", metavar="'cs.CL, cs.LG'", help="Wanted arXiv categories (or archives)."),
        click.option("--seed-papers", metavar="ID,...", help="arXiv ids of papers like the ones you want."),
        click.option("--library", "libraries", multiple=True, metavar="FILE",
                     help="Import a library: BibTeX (.bib), RIS (.ris), CSL-JSON (.json) or a Zotero CSV "
                          "export (.csv). Repeatable."),
        click.option("--zotero-user", metavar="ID", help="Import this Zotero user library over the web API."),
        click.option("--zotero-key-env", metavar="VAR",
                     help="Name of the environment variable holding the Zotero API key."),
        click.option("--email", metavar="ADDR", help="Where delivery sends this profile's papers."),
        click.option("--language", metavar="L", help="Language of this profile's summaries."),
        click.option("--empty-notice/--no-empty-notice", "empty_notice", default=None,
                     help="E-mail a short note on a day with nothing new, saying why (default: on)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _changes(interests: str | None, keywords: str | None, exclude: str | None, authors: str | None,
             categories: str | None, seed_papers: str | None, email: str | None,
             language: str | None, empty_notice: bool | None = None) -> dict:
    from paperradar.radar.profiles import split_list

    return {"interests": interests, "keywords": split_list(keywords), "exclude": split_list(exclude),
            "authors": split_list(authors, ";"), "categories": split_list(categories),
            "seed_papers": split_list(seed_papers), "email": email, "language": language,
            "empty_notice": empty_notice}


def _zotero(user: str | None, key_env: str | None) -> ZoteroSource | None:
    from paperradar.radar.profiles import ZoteroSource

    if user is None:
        if key_env:
            raise click.UsageError("--zotero-key-env needs --zotero-user")
        return None
    return ZoteroSource(user, key_env)


def _report(change: ProfileChange, as_json: bool) -> None:
    report = change.imported
    for rejection in report.rejections:
        click.echo(f"rejected: {rejection}", err=True)
    if as_json:
        echo_json(change.as_dict())
    else:
        d = change.as_dict()
        click.echo(f"profile {d['profile']}: imported {d['imported']} (matched to stored papers "
                   f"{d['matched']}, text only {d['text_only']}), new or changed {d['added']}, "
                   f"rejected {d['rejected']}")
    if report.rejections:
        sys.exit(EXIT_REJECTED)


@click.group("profile")
def command() -> None:
    """Reader profiles: interests, keywords, followed authors, a library (see docs/radar.md)."""


@command.command("add")
@click.argument("name")
@_profile_options
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@pass_ctx
def add(ctx: Context, name: str, interests: str | None, keywords: str | None, exclude: str | None,
        authors: str | None, categories: str | None, seed_papers: str | None, libraries: tuple[str, ...],
        zotero_user: str | None, zotero_key_env: str | None, email: str | None, language: str | None,
        empty_notice: bool | None, as_json: bool) -> None:
    """Make profile NAME. Bad library entries are reported (exit 1); the good ones still import."""
    from paperradar.radar.profiles import Profile, add_profile

    changes = {k: v for k, v in _changes(interests, keywords, exclude, authors, categories, seed_papers,
                                         email, language, empty_notice).items() if v is not None}
    zotero = _zotero(zotero_user, zotero_key_env)
    change = add_profile(ctx.store(), Profile(name, **changes), libraries, zotero)
    _report(change, as_json)


@command.command("edit")
@click.argument("name")
@_profile_options
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@pass_ctx
def edit(ctx: Context, name: str, interests: str | None, keywords: str | None, exclude: str | None,
         authors: str | None, categories: str | None, seed_papers: str | None, libraries: tuple[str, ...],
         zotero_user: str | None, zotero_key_env: str | None, email: str | None, language: str | None,
         empty_notice: bool | None, as_json: bool) -> None:
    """Change profile NAME: each option given replaces that setting; --library and new seed papers
    are added to its library."""
    from paperradar.radar.profiles import edit_profile

    change = edit_profile(ctx.store(), name, _changes(interests, keywords, exclude, authors, categories,
                                                       seed_papers, email, language, empty_notice),
                          libraries, _zotero(zotero_user, zotero_key_env))
    _report(change, as_json)


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print profiles as JSON.")
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """List the profiles."""
    from paperradar.radar.profiles import list_profiles

    rows = list_profiles(ctx.store(read_only=True))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no profiles yet; make one with `paperradar profile add NAME`")
    for r in rows:
        click.echo(f"{r['name']}  library {r['library']}  keywords: {', '.join(r['keywords']) or '-'}  "
                   f"authors: {'; '.join(r['authors']) or '-'}")


@command.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
@pass_ctx
def show(ctx: Context, name: str, as_json: bool) -> None:
    """Show profile NAME: settings, library, feedback counts."""
    from paperradar.radar.profiles import describe

    d = describe(ctx.store(read_only=True), name)
    if as_json:
        echo_json(d)
        return
    for key in ("name", "interests", "keywords", "exclude", "authors", "categories", "seed_papers", "email",
                "language", "empty_notice", "created", "updated"):
        value = d[key]
        if isinstance(value, list):
            value = ("; " if key == "authors" else ", ").join(value)
        click.echo(f"{key:12s} {value or '-'}")
    lib = d["library"]
    click.echo(f"{'library':12s} {lib['items']} items ({lib['with_arxiv_id']} with an arXiv id) "
               f"from {', '.join(lib['sources']) or '-'}")
    fb = d["feedback"]
    click.echo(f"{'feedback':12s} up {fb['up']}  down {fb['down']}  save {fb['save']}")


@command.command("remove")
@click.argument("name")
@pass_ctx
def remove(ctx: Context, name: str) -> None:
    """Remove profile NAME with its library, feedback and seen history."""
    from paperradar.radar.profiles import remove_profile

    remove_profile(ctx.store(), name)
    click.echo(f"removed profile {name}")
