"""Reading a reference library into profile items: records or rejections.

Formats: BibTeX (``.bib``, read with ``bibtexparser`` 1.x), RIS (``.ris``, ``rispy``), CSL-JSON
(``.json``: a list of CSL items, what Zotero, Mendeley and pandoc export), a Zotero CSV export
(``.csv``) and the Zotero web API (``pyzotero``). Every entry becomes a
:class:`~paperradar.models.LibraryItem` or a :class:`~paperradar.models.Rejection` naming the file
and the entry (BibTeX key and line, RIS/CSV/JSON entry number): one bad entry never stops the good
ones. A file that cannot be read at all (unknown format, not UTF-8, not JSON) raises
:class:`~paperradar.errors.LibraryError`.

Items are matched to stored papers by arXiv id (from ``eprint``, a URL, ``Extra``, a
``10.48550/arXiv.*`` DOI) or DOI; a matched item uses the stored paper's title and abstract (and
its index vector when ranking). The rest are kept as their own title and abstract text.

Why split the BibTeX and RIS files ourselves before handing each entry to the parser: both
parsers skip a malformed entry silently (bibtexparser 1.x drops it, rispy drops an entry without
a ``TY`` line), so the user would never learn that a paper was left out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperradar.errors import LibraryError
from paperradar.models import LibraryItem, Origin, Rejection
from paperradar.store.base import Store

FORMATS = ("bibtex", "ris", "csl-json", "zotero-csv")
SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csl-json",
            ".csl": "csl-json", ".csv": "zotero-csv"}
ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?!\d)")
ARXIV_OLD = re.compile(r"\b([a-z][a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b")
DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.I)

ItemOrRejection = LibraryItem | Rejection


@dataclass
class ImportReport:
    """What an import did: items read, how many matched stored papers, the rejections."""

    items: list[LibraryItem] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    added: int = 0  # new or changed in the profile
    matched: int = 0  # items matched to a stored paper

    def as_dict(self) -> dict:
        return {"read": len(self.items) + len(self.rejections), "imported": len(self.items),
                "matched": self.matched, "text_only": len(self.items) - self.matched, "added": self.added,
                "rejected": len(self.rejections), "rejections": [str(r) for r in self.rejections]}


# -- identifiers ----------------------------------------------------------------------------------

def arxiv_id_in(*texts: object) -> str | None:
    """The first arXiv id (without version) found in any of ``texts``."""
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        found = ARXIV_NEW.search(text) or ARXIV_OLD.search(text)
        if found:
            return found.group(1)
    return None


def clean_doi(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    found = DOI.search(text.strip())
    return found.group(1).rstrip(".,;").lower() if found else None


def _squash(text: object) -> str:
    return " ".join(str(text).replace("{", "").replace("}", "").split()) if text else ""


def text_key(title: str) -> str:
    norm = re.sub(r"\W+", " ", title.lower()).strip()
    return "text:" + hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


def make_item(origin: Origin, source: str, *, title: object, abstract: object = "",
              authors: Iterable[str] = (), doi: object = None, date: object = None,
              arxiv_hints: Sequence[object] = ()) -> ItemOrRejection:
    """One entry's fields as an item, or a rejection when there is nothing to identify it by."""
    doi_clean = clean_doi(doi)
    arxiv = arxiv_id_in(*arxiv_hints, doi_clean or "")
    if doi_clean and doi_clean.startswith("10.48550/arxiv."):
        arxiv = arxiv or doi_clean.split("arxiv.", 1)[1]
    title_text = _squash(title)
    if not title_text and not arxiv and not doi_clean:
        return Rejection(origin, "no title, arXiv id or DOI: nothing to match or read", field="title")
    key = f"arxiv:{arxiv}" if arxiv else (f"doi:{doi_clean}" if doi_clean else text_key(title_text))
    year = None
    if date:
        found = re.search(r"(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?", str(date))
        if found:
            year = "-".join(f"{int(g):02d}" if i else g for i, g in enumerate(found.groups()) if g)
    return LibraryItem(key=key, title=title_text, abstract=_squash(abstract),
                       authors=tuple(a for a in (_squash(x) for x in authors) if a), arxiv_id=arxiv,
                       doi=doi_clean, date=year, source=source)


# -- BibTeX ---------------------------------------------------------------------------------------

ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*[{(]")


def _bibtex_blocks(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, entry type, raw block) for each top-level ``@type{...}``; an unbalanced block runs to
    the next line that starts an entry, so one missing brace spoils one entry only."""
    pos = 0
    while True:
        found = ENTRY_START.search(text, pos)
        if not found:
            return
        start = found.start()
        line = text.count("\n", 0, start) + 1
        depth, i, end = 0, found.end() - 1, None
        while i < len(text):
            ch = text[i]
            if ch in "{(":
                depth += 1
            elif ch in "})":
                depth -= 1
                if depth == 0:
                    end = i + 1
                    break
            elif ch == "@" and text[i - 1] == "\n" and ENTRY_START.match(text, i):
                break  # a new entry starts while this one is still open
            i += 1
        if end is None:
            nxt = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.M).search(text, found.end())
            stop = nxt.start() if nxt else len(text)
            yield line, found.group(1).lower(), text[start:stop] + "\0"  # \0 marks "unbalanced"
            pos = stop
        else:
            yield line, found.group(1).lower(), text[start:end]
            pos = end


def _bibtex_authors(value: str) -> list[str]:
    out = []
    for name in re.split(r"\s+and\s+", value or ""):
        name = _squash(name)
        if "," in name:
            last, first = name.split(",", 1)
            name = f"{first.strip()} {last.strip()}".strip()
        if name:
            out.append(name)
    return out


def read_bibtex(text: str, name: str) -> Iterator[ItemOrRejection]:
    from bibtexparser.bparser import BibTexParser

    strings: list[str] = []
    for line, kind, block in _bibtex_blocks(text):
        if kind in ("comment", "preamble"):
            continue
        if kind == "string":
            strings.append(block)
            continue
        key_match = re.match(r"@\s*\w+\s*[{(]\s*([^,\s]*)", block)
        key = key_match.group(1) if key_match and key_match.group(1) else "(no key)"
        origin = Origin(name, line=line)
        if block.endswith("\0"):
            yield Rejection(origin, f"entry {key!r}: unbalanced braces (the entry never closes)")
            continue
        parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
        try:
            entries = parser.parse("\n".join([*strings, block])).entries
        except Exception as exc:  # noqa: BLE001 - the parser raises bare pyparsing/other errors
            yield Rejection(origin, f"entry {key!r}: not valid BibTeX ({exc})")
            continue
        if not entries:
            yield Rejection(origin, f"entry {key!r}: not valid BibTeX (no fields could be read)")
            continue
        e = entries[0]
        item = make_item(origin, f"{Path(name).name}#{e.get('ID', key)}", title=e.get("title"),
                         abstract=e.get("abstract", ""), authors=_bibtex_authors(e.get("author", "")),
                         doi=e.get("doi"), date=e.get("date") or e.get("year"),
                         arxiv_hints=[e.get("eprint") if "arxiv" in (e.get("archiveprefix", "") +
                                                                     e.get("eprinttype", "")).lower()
                                      or e.get("eprint", "").count(".") == 1 else None,
                                      e.get("url") if "arxiv" in e.get("url", "").lower() else None,
                                      e.get("journal") if "arxiv" in e.get("journal", "").lower() else None])
        if isinstance(item, Rejection):
            item = Rejection(origin, f"entry {key!r}: {item.message}", item.field)
        yield item


# -- RIS ------------------------------------------------------------------------------------------

def read_ris(text: str, name: str) -> Iterator[ItemOrRejection]:
    import rispy

    chunks = re.split(r"^ER\s+-.*$", text, flags=re.M)
    line = 1
    for number, chunk in enumerate(chunks, 1):
        leading = len(chunk) - len(chunk.lstrip("\r\n"))
        start_line = line + chunk[:leading].count("\n")
        line += chunk.count("\n")
        if not chunk.strip():
            continue
        origin = Origin(name, line=start_line, record=number)
        body = chunk.strip("\r\n")
        if not re.match(r"TY\s+-", body):
            yield Rejection(origin, f"entry {number}: does not start with a 'TY  - ' line")
            continue
        try:
            parsed = rispy.loads(body + "\nER  - \n")
        except Exception as exc:  # noqa: BLE001 - rispy raises plain IOError/ValueError
            yield Rejection(origin, f"entry {number}: not valid RIS ({exc})")
            continue
        if not parsed:
            yield Rejection(origin, f"entry {number}: not valid RIS")
            continue
        e = parsed[0]
        urls = e.get("urls") or []
        item = make_item(origin, f"{Path(name).name}#{number}",
                         title=e.get("title") or e.get("primary_title") or e.get("secondary_title"),
                         abstract=e.get("abstract", ""),
                         authors=[_flip(a) for a in (e.get("authors") or e.get("first_authors") or [])],
                         doi=e.get("doi"), date=e.get("date") or e.get("year") or e.get("publication_year"),
                         arxiv_hints=[u for u in urls if "arxiv" in u.lower()] + [e.get("notes_abstract")])
        if isinstance(item, Rejection):
            item = Rejection(origin, f"entry {number}: {item.message}", item.field)
        yield item


def _flip(name: str) -> str:
    if "," in name:
        last, first = name.split(",", 1)
        return f"{first.strip()} {last.strip()}".strip()
    return name


# -- CSL-JSON -------------------------------------------------------------------------------------

def _csl_names(value: Any) -> list[str]:
    out = []
    for a in value if isinstance(value, list) else []:
        if isinstance(a, dict):
            out.append(a.get("literal") or " ".join(p for p in (a.get("given"), a.get("family")) if p))
    return out


def _csl_date(value: Any) -> str | None:
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return "-".join(str(p) for p in parts[0][:3])
        return value.get("raw") if isinstance(value.get("raw"), str) else None
    return None


def read_csl_json(text: str, name: str) -> Iterator[ItemOrRejection]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LibraryError(f"{name}: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise LibraryError(f"{name}: expected a CSL-JSON list of items")
    for number, e in enumerate(data, 1):
        origin = Origin(name, record=number)
        label = f"entry {number}" + (f" ({e.get('id')!r})" if isinstance(e, dict) and e.get("id") else "")
        if not isinstance(e, dict):
            yield Rejection(origin, f"{label}: expected an object, got {type(e).__name__}")
            continue
        if "title" in e and not isinstance(e["title"], str):
            yield Rejection(origin, f"{label}: title must be a string", field="title")
            continue
        item = make_item(origin, f"{Path(name).name}#{e.get('id', number)}", title=e.get("title"),
                         abstract=e.get("abstract", "") if isinstance(e.get("abstract"), str) else "",
                         authors=_csl_names(e.get("author")), doi=e.get("DOI"),
                         date=_csl_date(e.get("issued")),
                         arxiv_hints=[e.get("URL") if "arxiv" in str(e.get("URL", "")).lower() else None,
                                      e.get("number") if "arxiv" in str(e.get("publisher", "")
                                                                       + e.get("container-title", "")).lower()
                                      else None, e.get("note")])
        if isinstance(item, Rejection):
            item = Rejection(origin, f"{label}: {item.message}", item.field)
        yield item


# -- Zotero CSV and the Zotero web API ------------------------------------------------------------

def _zotero_fields(origin: Origin, source: str, *, title: Any, abstract: Any, authors: list[str], doi: Any,
                   date: Any, url: Any, extra: Any, archive_id: Any = None) -> ItemOrRejection:
    hints = [archive_id, extra if "arxiv" in str(extra or "").lower() else None,
             url if "arxiv" in str(url or "").lower() else None]
    return make_item(origin, source, title=title, abstract=abstract or "", authors=authors, doi=doi,
                     date=date, arxiv_hints=hints)


def read_zotero_csv(text: str, name: str) -> Iterator[ItemOrRejection]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "Title" not in reader.fieldnames:
        raise LibraryError(f"{name}: not a Zotero CSV export (no 'Title' column in the header)")
    for number, row in enumerate(reader, 1):
        origin = Origin(name, line=reader.line_num, record=number)
        label = f"entry {number}" + (f" ({row.get('Key')!r})" if row.get("Key") else "")
        if None in row:
            yield Rejection(origin, f"{label}: more cells than the header has columns")
            continue
        authors = [_flip(a) for a in (row.get("Author") or "").split(";") if a.strip()]
        item = _zotero_fields(origin, f"{Path(name).name}#{row.get('Key') or number}", title=row.get("Title"),
                              abstract=row.get("Abstract Note"), authors=authors, doi=row.get("DOI"),
                              date=row.get("Date") or row.get("Publication Year"), url=row.get("Url"),
                              extra=row.get("Extra"), archive_id=row.get("Archive Location"))
        if isinstance(item, Rejection):
            item = Rejection(origin, f"{label}: {item.message}", item.field)
        yield item


def zotero_items(raw: Iterable[dict], library: str) -> Iterator[ItemOrRejection]:
    """Items from the Zotero web API (``/users/ID/items`` JSON); notes and attachments are skipped."""
    for number, entry in enumerate(raw, 1):
        data = entry.get("data", entry) if isinstance(entry, dict) else None
        key = data.get("key") if isinstance(data, dict) else None
        origin = Origin(f"zotero:{library}", record=number)
        if not isinstance(data, dict):
            yield Rejection(origin, f"item {number}: not an object")
            continue
        if data.get("itemType") in ("note", "attachment", "annotation"):
            continue
        creators = data.get("creators")
        creators = creators if isinstance(creators, list) else []
        authors = [c.get("name") or " ".join(p for p in (c.get("firstName"), c.get("lastName")) if p)
                   for c in creators if isinstance(c, dict)]
        item = _zotero_fields(origin, f"zotero:{key or number}", title=data.get("title"),
                              abstract=data.get("abstractNote"), authors=authors, doi=data.get("DOI"),
                              date=data.get("date"), url=data.get("url"), extra=data.get("extra"),
                              archive_id=data.get("archiveID"))
        if isinstance(item, Rejection):
            item = Rejection(origin, f"item {key or number}: {item.message}", item.field)
        yield item


def fetch_zotero(user: str, api_key: str | None, base_url: str | None = None,
                 limit: int = 100) -> list[dict]:
    """Every top-level item of a Zotero user library through ``pyzotero`` (online)."""
    from pyzotero import zotero

    from paperradar.errors import FetchError, FetchUnavailable

    client = zotero.Zotero(user, "user", api_key)
    if base_url:
        client.endpoint = base_url.rstrip("/")
    try:
        return list(client.everything(client.top(limit=limit)))
    except Exception as exc:  # noqa: BLE001 - pyzotero raises its own tree and httpx errors
        text = f"Zotero library {user} at {client.endpoint}: {exc.__class__.__name__}: {exc}"
        if "connect" in str(exc).lower() or exc.__class__.__name__ in ("ConnectError", "ConnectTimeout"):
            raise FetchUnavailable(text) from exc
        raise FetchError(text) from exc


# -- files ----------------------------------------------------------------------------------------

READERS = {"bibtex": read_bibtex, "ris": read_ris, "csl-json": read_csl_json, "zotero-csv": read_zotero_csv}


def detect_format(path: Path, text: str) -> str:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt:
        return fmt
    head = text.lstrip()[:200]
    if head.startswith(("[", "{")):
        return "csl-json"
    if head.startswith("@"):
        return "bibtex"
    if re.match(r"TY\s+-", head):
        return "ris"
    if head.startswith(('"Key"', "Key,")):
        return "zotero-csv"
    raise LibraryError(f"{path}: unknown library format; use a .bib, .ris, .json (CSL-JSON) or "
                       "Zotero .csv file")


def read_library(path: str | Path, fmt: str | None = None) -> list[ItemOrRejection]:
    """Every entry of the library file at ``path`` as an item or a rejection."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LibraryError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LibraryError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    fmt = fmt or detect_format(path, text)
    if fmt not in READERS:
        raise LibraryError(f"{path}: unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return list(READERS[fmt](text, str(path)))


def resolve(store: Store, entries: Iterable[ItemOrRejection], now: str) -> ImportReport:
    """Match items to stored papers (arXiv id, then DOI) and fill title/abstract from them; repeated
    keys within one import keep the first."""
    report = ImportReport()
    items: dict[str, LibraryItem] = {}
    for entry in entries:
        if isinstance(entry, Rejection):
            report.rejections.append(entry)
        elif entry.key not in items:
            items[entry.key] = entry
    by_doi: dict[str, str] = {}
    if any(i.doi and not i.arxiv_id for i in items.values()):
        by_doi = {p.doi.lower(): p.arxiv_id for p in store.iter_papers() if p.doi}
    stored = store.get_papers([i.arxiv_id for i in items.values() if i.arxiv_id]
                              + [by_doi[i.doi] for i in items.values() if i.doi and i.doi in by_doi])
    out = []
    for item in items.values():
        arxiv = item.arxiv_id or (by_doi.get(item.doi) if item.doi else None)
        paper = stored.get(arxiv) if arxiv else None
        if paper is not None:
            report.matched += 1
            date = item.date or (paper.updated or paper.submitted or "")[:10] or None
            item = LibraryItem(f"arxiv:{paper.arxiv_id}", item.title or " ".join(paper.title.split()),
                               item.abstract or " ".join(paper.abstract.split()),
                               item.authors or paper.authors, paper.arxiv_id, item.doi or paper.doi, date,
                               item.source, now)
        elif item.arxiv_id and not item.title:
            report.rejections.append(Rejection(
                Origin(item.source), f"arXiv paper {item.arxiv_id} is not in the store and the entry has no "
                "title: ingest it first", field="title"))
            continue
        else:
            item = LibraryItem(item.key, item.title, item.abstract, item.authors, item.arxiv_id, item.doi,
                               item.date, item.source, now)
        out.append(item)
    report.items = out
    return report
