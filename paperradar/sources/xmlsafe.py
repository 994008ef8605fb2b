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

from paperradar.errors import FieldError, XMLProblem


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


TRUNCATED = "{urn:paperradar}truncated"  # set on an element whose text went past the cap
FEED_SIZE = 16 * 1024


class _BoundedBuilder:
    """A :class:`TreeBuilder` target that keeps at most ``max_text`` characters of
    any one text run (an element's text, or the text after a child) and queues
    start/end events. Text past the cap is dropped as it streams in, never
    joined, and the element is marked :data:`TRUNCATED`; :func:`child_text`
    turns the mark into a :class:`FieldError`. So a gzip bomb of one 400 MB
    abstract costs at most ``max_text`` characters of memory, and only that
    record is rejected."""

    def __init__(self, max_text: int | None) -> None:
        self._tree = TreeBuilder()
        self._max = max_text
        self._run = 0
        self._open: list[Element] = []
        self.events: list[tuple[str, Element]] = []

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self._run = 0
        elem = self._tree.start(tag, attrs)
        self._open.append(elem)
        self.events.append(("start", elem))
        return elem

    def end(self, tag: str) -> Element:
        self._run = 0
        elem = self._tree.end(tag)
        self._open.pop()
        self.events.append(("end", elem))
        return elem

    def data(self, text: str) -> None:
        if self._max is not None:
            room = self._max - self._run
            if len(text) > room:
                if self._open and TRUNCATED not in self._open[-1].attrib:
                    self._open[-1].set(TRUNCATED, str(self._max))
                text = text[:max(room, 0)]
                if not text:
                    return
            self._run += len(text)
        self._tree.data(text)

    def close(self) -> Element:
        return self._tree.close()


def iter_events(source: IO[bytes], max_text: int | None = None) -> Iterator[tuple[str, Element]]:
    """Yield ``("start"|"end", element)`` pairs from a binary stream, safely.

    ``max_text`` bounds the characters kept of any one text run (see
    :class:`_BoundedBuilder`). Raises :class:`XMLProblem` (with line/column
    where known) for malformed, truncated or hostile input; elements already
    yielded stay valid, so a caller can keep the records that came before the damage.
    """
    builder = _BoundedBuilder(max_text)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)

    def position() -> tuple[int | None, int | None]:
        expat = getattr(parser, "parser", None) or getattr(parser, "_parser", None)
        if expat is None:
            return None, None
        return expat.CurrentLineNumber, expat.CurrentColumnNumber + 1

    def drain() -> Iterator[tuple[str, Element]]:
        events, builder.events = builder.events, []
        yield from events

    try:
        while True:
            data = source.read(FEED_SIZE)
            problem: Exception | None = None
            try:
                if data:
                    parser.feed(data)
                else:
                    parser.close()
            except Exception as exc:  # re-raised below, after the events that came before it
                problem = exc
            yield from drain()  # elements completed before a problem in this chunk still count
            if problem is not None:
                raise problem
            if not data:
                break
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


def children(events: Iterator[tuple[str, Element]],
             depths: tuple[int, ...] = (1,)) -> Iterator[tuple[int, Element]]:
    """``(depth, element)`` for each element that ends at one of ``depths``, in document order.

    ``events`` continue after the root's start event (as :mod:`.xmlfeeds` hands
    them on): the root's direct children are depth 1, theirs depth 2. An element
    is yielded complete, with its subtree; the caller may ``clear()`` it.
    """
    depth = 1
    for event, elem in events:
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth in depths:
            yield depth, elem


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
    """Text of the first child ``tag`` (``None`` if absent; '' if present but empty).

    Raises :class:`FieldError` naming ``tag`` when the parse cut its text at the size cap."""
    child = parent.find(tag)
    if child is None:
        return None
    for elem in child.iter():
        if TRUNCATED in elem.attrib:
            raise FieldError(local_name(tag), f"longer than {int(elem.get(TRUNCATED, 0)):,} characters "
                             "(the largest size limit; see $PAPERRADAR_MAX_*)")
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
