"""Field checks shared by the source parsers, raising errors that name the field."""

from __future__ import annotations

import re

from paperradar.errors import FieldError

# New-style (2007+) ids like 2606.28729 and old-style ids like hep-th/9901001 or math.AG/0101001.
ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})$")
VERSIONED_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?$")


def req_str(obj: dict, name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise FieldError(name, "missing")
    if not isinstance(value, str):
        raise FieldError(name, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise FieldError(name, "empty")
    return value


def opt_str(obj: dict, name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(name, f"expected a string or null, got {type(value).__name__}")
    return value


def opt_int(obj: dict, name: str) -> int | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(name, "expected an integer, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise FieldError(name, f"expected an integer, got {type(value).__name__} {value!r}")


def req_str_list(obj: dict, name: str, non_empty: bool = False) -> list[str]:
    value = obj.get(name)
    if value is None:
        raise FieldError(name, "missing")
    if not isinstance(value, list):
        raise FieldError(name, f"expected a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise FieldError(f"{name}[{i}]", f"expected a string, got {type(item).__name__}")
    if non_empty and not value:
        raise FieldError(name, "empty list")
    return value


def split_version(raw_id: str) -> tuple[str, int | None]:
    """'2606.28729v3' -> ('2606.28729', 3); URLs and 'oai:arXiv.org:' prefixes are stripped."""
    text = raw_id.strip()
    for prefix in ("oai:arXiv.org:", "http://arxiv.org/abs/", "https://arxiv.org/abs/", "arXiv:"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    m = VERSIONED_ID.search(text)
    if not m or not ARXIV_ID.match(m.group("id")):
        raise FieldError("id", f"{raw_id!r} is not an arXiv identifier")
    version = m.group("version")
    return m.group("id"), int(version) if version else None
