"""Author lists short enough to read: collaboration papers can have hundreds of names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

HEAD = 10
TAIL = 2
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class AuthorList:
    """What to show: ``head``, then (when shortened) an ellipsis, ``tail`` and the full count."""

    head: tuple[str, ...]
    tail: tuple[str, ...]
    total: int

    @property
    def shortened(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self, sep: str = ", ") -> str:
        if not self.shortened:
            return sep.join(self.head + self.tail)
        return f"{sep.join(self.head)}{sep}{ELLIPSIS}{sep}{sep.join(self.tail)} ({self.total} authors)"


def clean_name(name: str) -> str:
    """One line per name: sources sometimes wrap long names across lines."""
    return " ".join(name.split())


def shorten_authors(authors: Sequence[str], head: int = HEAD, tail: int = TAIL) -> AuthorList:
    """First ``head`` and last ``tail`` names when there are more than ``head + tail + 1``.

    Dropping a single name to write "…" would save nothing, hence the ``+ 1``.
    """
    names = tuple(clean_name(a) for a in authors if a.strip())
    if len(names) <= head + tail + 1:
        return AuthorList(names, (), len(names))
    return AuthorList(names[:head], names[-tail:] if tail else (), len(names))
