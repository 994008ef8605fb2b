"""Where papers come from: local files (autodetected) and live arXiv protocols.

Every parser yields :class:`~paperradar.models.Record` or
:class:`~paperradar.models.Rejection` items; :mod:`paperradar.ingest` applies them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from paperradar.models import Origin, Record, Rejection
from paperradar.sources import dae_jsonl

XML_SUFFIXES = (".xml", ".atom", ".rss", ".xml.gz")


def kind_of(path: Path) -> str | None:
    """'dae' | 'xml' | None (not something we ingest)."""
    if dae_jsonl.match_name(path):
        return "dae"
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return "dae"  # parse_file reports the unusable name precisely
    if path.name.endswith(XML_SUFFIXES):
        return "xml"
    return None


def expand(paths: list[Path]) -> list[Path]:
    """Files to ingest, directories walked in name order (dates sort chronologically)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and kind_of(f)))
        else:
            out.append(p)
    return out


def parse_path(path: Path) -> Iterator[Record | Rejection]:
    """Autodetect the format of one file and parse it."""
    if not path.exists():
        yield Rejection(Origin(str(path)), "no such file")
        return
    kind = kind_of(path)
    if kind == "dae":
        yield from dae_jsonl.parse_file(path)
    elif kind == "xml":
        from paperradar.sources.xmlfeeds import parse_xml_file

        yield from parse_xml_file(path)
    else:
        yield Rejection(Origin(str(path)), "unknown file type: expected daily-arXiv-ai-enhanced "
                        "*.jsonl[.gz], or OAI-PMH / Atom / RSS *.xml")
