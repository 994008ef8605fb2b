"""Reader profiles: what a profile says, and the add / edit / remove / show calls.

A profile is a name and plain settings (stored as JSON by the store, migration 0003):
``interests`` (free text), ``keywords`` and ``exclude`` (phrases; an excluded phrase removes a
paper outright), followed ``authors``, wanted ``categories``, ``seed_papers`` (arXiv ids),
``email`` and ``language`` (for delivery, the next issue). Its library (imported files, Zotero,
seed papers) is a list of :class:`~paperradar.models.LibraryItem` rows; feedback and seen history
live beside it and go when the profile goes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paperradar import config
from paperradar.clock import now_iso
from paperradar.errors import ConfigError, ProfileError, ProfileNotFound
from paperradar.models import LibraryItem, Origin, ProfileRecord, Rejection
from paperradar.radar import library
from paperradar.store.base import Store

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LIST_FIELDS = ("keywords", "exclude", "authors", "categories", "seed_papers")


@dataclass(frozen=True)
class Profile:
    name: str
    interests: str = ""
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    seed_papers: tuple[str, ...] = ()
    email: str | None = None
    language: str | None = None
    empty_notice: bool = True  # e-mail a note saying why on a day with nothing new (paperradar.deliver)
    created: str = ""
    updated: str = ""

    @classmethod
    def from_record(cls, record: ProfileRecord) -> Profile:
        s = record.settings
        lists = {f: tuple(s.get(f) or ()) for f in LIST_FIELDS}
        return cls(name=record.name, interests=s.get("interests") or "", email=s.get("email"),
                   language=s.get("language"), empty_notice=s.get("empty_notice", True) is not False,
                   created=record.created, updated=record.updated, **lists)

    def settings(self) -> dict:
        out: dict = {"interests": self.interests}
        out.update({f: list(getattr(self, f)) for f in LIST_FIELDS})
        out.update(email=self.email, language=self.language, empty_notice=self.empty_notice)
        return out

    @property
    def has_interests(self) -> bool:
        """Anything to rank by (else the profile gets the day's trending papers)."""
        return bool(self.interests.strip() or self.keywords or self.authors or self.seed_papers
                    or self.categories)


def split_list(text: str | Sequence[str] | None, sep: str = ",") -> tuple[str, ...] | None:
    """``"a, b"`` -> ``("a", "b")``; authors use ``;`` since names hold commas. None stays None."""
    if text is None:
        return None
    parts = text.split(sep) if isinstance(text, str) else [p for t in text for p in t.split(sep)]
    return tuple(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))


@dataclass
class ProfileChange:
    """What add/edit did: the profile as stored and the library import (if any)."""

    profile: Profile
    imported: library.ImportReport = field(default_factory=library.ImportReport)

    def as_dict(self) -> dict:
        return {"profile": self.profile.name, **self.imported.as_dict()}


@dataclass
class ZoteroSource:
    user: str
    key_env: str | None = None
    base_url: str | None = None

    def items(self) -> list[library.ItemOrRejection]:
        key = None
        if self.key_env:
            key = os.environ.get(self.key_env)
            if not key:
                raise ConfigError(f"${self.key_env} is not set: it should hold the Zotero API key "
                                  "(--zotero-key-env names the variable, never the key)")
        raw = library.fetch_zotero(self.user, key, self.base_url or config.get("zotero.base_url"))
        return list(library.zotero_items(raw, self.user))


def load_profile(store: Store, name: str) -> Profile:
    record = store.get_profile(name)
    if record is None:
        known = ", ".join(p.name for p in store.list_profiles()) or "none yet"
        raise ProfileNotFound(f"no profile named {name!r} (profiles: {known}); make one with "
                              "`paperradar profile add NAME`")
    return Profile.from_record(record)


def _entries(store: Store, seeds: Sequence[str], libraries: Sequence[str | Path],
             zotero: ZoteroSource | None) -> list[library.ItemOrRejection]:
    entries: list[library.ItemOrRejection] = []
    for n, seed in enumerate(seeds, 1):
        arxiv = library.arxiv_id_in(seed)
        if arxiv is None:
            entries.append(Rejection(Origin("--seed-papers", record=n), f"{seed!r} is not an arXiv id"))
        else:
            entries.append(LibraryItem(f"arxiv:{arxiv}", "", arxiv_id=arxiv, source="seed"))
    for path in libraries:
        entries.extend(library.read_library(path))
    if zotero is not None:
        entries.extend(zotero.items())
    return entries


def _import(store: Store, name: str, entries: list[library.ItemOrRejection],
            now: str) -> library.ImportReport:
    report = library.resolve(store, entries, now)
    report.added = store.add_library_items(name, report.items) if report.items else 0
    return report


def _checked(profile: Profile) -> Profile:
    if not NAME.match(profile.name):
        raise ProfileError(f"profile name {profile.name!r}: use 1-64 letters, digits, '.', '_' or '-'")
    for seed in profile.seed_papers:
        if library.arxiv_id_in(seed) is None:
            raise ProfileError(f"--seed-papers: {seed!r} is not an arXiv id")
    return profile


def add_profile(store: Store, profile: Profile, libraries: Sequence[str | Path] = (),
                zotero: ZoteroSource | None = None, now: str | None = None) -> ProfileChange:
    """Store a new profile and import its seeds and libraries in one transaction; bad library
    entries are reported in the result, good ones still import."""
    now = now or now_iso()
    _checked(profile)
    if store.get_profile(profile.name) is not None:
        raise ProfileError(f"profile {profile.name!r} exists already; change it with "
                           "`paperradar profile edit`")
    entries = _entries(store, profile.seed_papers, libraries, zotero)
    stored = Profile(**{**profile.__dict__, "created": now, "updated": now})
    with store.transaction():
        store.put_profile(ProfileRecord(stored.name, stored.settings(), now, now))
        report = _import(store, stored.name, entries, now)
    return ProfileChange(stored, report)


def edit_profile(store: Store, name: str, changes: dict, libraries: Sequence[str | Path] = (),
                 zotero: ZoteroSource | None = None, now: str | None = None) -> ProfileChange:
    """Replace the settings named in ``changes`` (others stay); libraries and new seed papers are
    added to the profile's library."""
    now = now or now_iso()
    old = load_profile(store, name)
    unknown = set(changes) - {"interests", "email", "language", "empty_notice", *LIST_FIELDS}
    if unknown:
        raise ProfileError(f"unknown profile settings: {', '.join(sorted(unknown))}")
    merged = {**old.__dict__, **{k: v for k, v in changes.items() if v is not None}, "updated": now}
    profile = _checked(Profile(**merged))
    new_seeds = [s for s in profile.seed_papers if s not in old.seed_papers]
    entries = _entries(store, new_seeds, libraries, zotero)
    with store.transaction():
        store.put_profile(ProfileRecord(name, profile.settings(), old.created, now))
        report = _import(store, name, entries, now)
    return ProfileChange(profile, report)


def remove_profile(store: Store, name: str) -> None:
    load_profile(store, name)
    with store.transaction():
        store.delete_profile(name)


def describe(store: Store, name: str) -> dict:
    """Everything ``profile show`` prints: the settings, the library and feedback counts."""
    profile = load_profile(store, name)
    items = store.library_items(name)
    feedback = store.feedback_for(name)
    counts = {v: sum(1 for f in feedback if f.verdict == v) for v in ("up", "down", "save")}
    return {"name": name, **profile.settings(), "created": profile.created, "updated": profile.updated,
            "library": {"items": len(items), "with_arxiv_id": sum(1 for i in items if i.arxiv_id),
                        "sources": sorted({i.source.split("#", 1)[0] for i in items})},
            "feedback": counts,
            "library_items": [{"key": i.key, "title": i.title, "arxiv_id": i.arxiv_id, "source": i.source}
                              for i in items]}


def list_profiles(store: Store) -> list[dict]:
    out = []
    for record in store.list_profiles():
        p = Profile.from_record(record)
        out.append({"name": p.name, "keywords": list(p.keywords), "authors": list(p.authors),
                    "categories": list(p.categories), "library": len(store.library_items(p.name)),
                    "updated": p.updated})
    return out
