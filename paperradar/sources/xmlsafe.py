"""Hardened XML reading shared by the OAI-PMH, export-API and RSS parsers.

Every byte of XML paperradar reads comes from the network or from files a
user downloaded, so it goes through defusedxml with document type
declarations refused outright: that one rule blocks entity expansion
("billion laughs"), external entities (XXE) and external DTD fetches, and
no arXiv protocol ever sends a DTD. Failures surface as :class:`XMLProblem`
with the line and column, so callers can name the exact spot.

The small text helpers live here too because all three formats need them
and none of them owns the others.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import iterparse as _defused_iterparse

from paperradar.errors import XMLProblem


def _refusal(exc: DefusedXmlException) -> str:
    if isinstance(exc, DTDForbidden):
        return (f"refused: document type declaration <!DOCTYPE {exc.name}> found; DTDs are not accepted "
                "because they enable entity-expansion ('billion laughs') and external-entity (XXE) attacks")
    if isinstance(exc, EntitiesForbidden):
        return (f"refused: entity declaration {exc.name!r} "
                "(entity expansion / external entities are not accepted)")
    if isinstance(exc, ExternalReferenceForbidden):
        return f"refused: external reference {exc.sysid!r} (external entities are not accepted)"
    return f"refused: {exc}"


def iter_events(source: IO[bytes]) -> Iterator[tuple[str, Element]]:
    """Yield ``("start"|"end", element)`` pairs from a binary stream, safely.

    Raises :class:`XMLProblem` (with line/column where known) for malformed,
    truncated or hostile input; elements already yielded stay valid, so a
    caller can keep the records that came before the damage.
    """
    parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)

    def position() -> tuple[int | None, int | None]:
        expat = getattr(parser, "parser", None) or getattr(parser, "_parser", None)
        if expat is None:
            return None, None
        return expat.CurrentLineNumber, expat.CurrentColumnNumber + 1

    try:
        yield from _defused_iterparse(source, events=("start", "end"), parser=parser)
    except DefusedXmlException as exc:
        raise XMLProblem(_refusal(exc), *position()) from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        if reason == "no element found":
            reason = "document ends early (truncated?): no element found"
        elif reason.startswith("unclosed token"):
            reason = "document ends early (truncated?): unclosed token"
        raise XMLProblem(f"not well-formed XML: {reason}", line, column + 1) from None
    except (EOFError, zlib.error) as exc:
        raise XMLProblem(f"compressed file is truncated or corrupt ({exc})") from None
    except OSError as exc:
        raise XMLProblem(f"cannot read: {exc}") from None


def local_name(tag: str) -> str:
    """'{namespace}name' -> 'name'."""
    return tag.rsplit("}", 1)[-1]


# -- element text helpers -----------------------------------------------------

_WRAP = re.compile(r"\s*\n\s*")
_SPACES = re.compile(r"\s+")


def unwrap(text: str) -> str:
    """One-line fields (titles, comments, journal refs) arrive hard-wrapped as
    'first part\\n  second part'; join the lines with one space, strip the ends."""
    return _WRAP.sub(" ", text.strip())


def child_text(parent: Element, tag: str) -> str | None:
    """Text of the first child ``tag`` (``None`` if absent; '' if present but empty)."""
    child = parent.find(tag)
    if child is None:
        return None
    return "".join(child.itertext())


def split_authors(text: str) -> list[str]:
    """'A. One, B. Two and C. Three (MIT)' -> ['A. One', 'B. Two', 'C. Three'].

    Splits at commas and at the word 'and' outside parentheses; parenthesised
    affiliations are dropped (the arXiv metadata format keeps them apart from
    the name as well), inner whitespace is collapsed.
    """
    names: list[str] = []
    depth = 0
    outside: list[str] = []  # text of the current name outside parentheses
    for token in re.split(r"(\(|\)|,|\band\b)", text):
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(depth - 1, 0)
        elif token in (",", "and") and depth == 0:
            names.append(_SPACES.sub(" ", "".join(outside)).strip())
            outside.clear()
        elif depth == 0:
            outside.append(token)
    names.append(_SPACES.sub(" ", "".join(outside)).strip())
    return [name for name in names if name]
