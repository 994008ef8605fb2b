"""Turn a model's reply into the five summary fields, or say exactly why not.

Servers without structured output (and small models even with it) wrap JSON
in code fences, add prose before or after it, write LaTeX with single
backslashes (``\\alpha`` is an invalid JSON escape, ``\\frac`` silently
becomes a form feed), use trailing commas or spell keys differently
("TL;DR"). Each of these is repaired here; what cannot be repaired raises
:class:`LLMResponseError`, so that a placeholder never reaches the store.
"""

from __future__ import annotations

import json
import re

from paperradar.errors import LLMResponseError
from paperradar.models import SUMMARY_FIELDS

_FENCE_RE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)
# LaTeX commands whose first letter is also a JSON escape (\n, \r, \t, \b, \f):
# without this list "\nabla" would become a line break followed by "abla".
_LATEX_NRT = (
    "nabla|neq|ne|neg|nu|nolimits|nonumber|not|ni|nmid|newline|"
    "rho|right|rightarrow|Rightarrow|rangle|rceil|rfloor|rm|"
    "tau|theta|times|text|textbf|textit|textrm|texttt|tilde|top|to|tfrac|triangle|textsc|"
    "tanh|tan|tt"
)
_LATEX_ESCAPE_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\(?=(?:" + _LATEX_NRT + r")(?![A-Za-z]))")
_BF_ESCAPE_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\(?=[bf][A-Za-z])")
_INVALID_ESCAPE_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\(?![\"\\/bfnrtu])")
_BAD_UNICODE_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\(?=u(?![0-9a-fA-F]{4}))")
_TRAILING_COMMA_RE = re.compile(r",(\s*[}\]])")
_PLACEHOLDERS = {
    "", "n/a", "na", "none", "null", "...", "…", "-", "tbd", "todo", "unknown",
    "summary generation failed", "error", "not available",
}
_KEY_ALIASES = {"tldr": "tldr", "tl;dr": "tldr", "summary": "tldr", "motivation": "motivation",
                "method": "method", "methods": "method", "methodology": "method", "approach": "method",
                "result": "result", "results": "result", "findings": "result",
                "conclusion": "conclusion", "conclusions": "conclusion"}


def extract_json_text(reply: str) -> str:
    """The first balanced ``{...}`` in ``reply``, looking inside code fences first."""
    candidates = [m.group(1) for m in _FENCE_RE.finditer(reply)] + [reply]
    for text in candidates:
        found = _first_object(text)
        if found is not None:
            return found
    raise LLMResponseError("no JSON object in the reply")


def _first_object(text: str) -> str | None:
    """Scan for a balanced object, honouring strings so braces inside values do not count."""
    start = text.find("{")
    while start != -1:
        depth, in_string, escaped = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return text[start:i + 1]
        start = text.find("{", start + 1)
    return None


def repair_escapes(text: str) -> str:
    """Double the backslashes of LaTeX commands and other escapes JSON does not know."""
    text = _LATEX_ESCAPE_RE.sub(r"\1\\\\", text)
    text = _BF_ESCAPE_RE.sub(r"\1\\\\", text)
    text = _BAD_UNICODE_RE.sub(r"\1\\\\", text)
    return _INVALID_ESCAPE_RE.sub(r"\1\\\\", text)


def loads_lenient(reply: str) -> dict:
    """Parse the JSON object in ``reply`` with the repairs described in the module docstring."""
    raw = extract_json_text(reply)
    first_error: json.JSONDecodeError | None = None
    for attempt in (repair_escapes(raw), _TRAILING_COMMA_RE.sub(r"\1", repair_escapes(raw))):
        try:
            data = json.loads(attempt, strict=False)  # strict=False: raw newlines inside strings
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
            continue
        if not isinstance(data, dict):
            raise LLMResponseError("the JSON in the reply is not an object")
        return data
    assert first_error is not None
    raise LLMResponseError(f"malformed JSON: {first_error.msg} at line {first_error.lineno} "
                     f"column {first_error.colno}")


def _norm_key(key: str) -> str:
    return re.sub(r"[^a-z;]", "", key.lower())


def validate_fields(data: dict) -> dict[str, str]:
    """Map the object onto the five fields; every one must be present and say something."""
    if len(data) == 1:
        (only,) = data.values()
        if isinstance(only, dict):  # {"summary": {...}}
            data = only
    found: dict[str, str] = {}
    for key, value in data.items():
        name = _KEY_ALIASES.get(_norm_key(str(key)))
        if name is None or name in found:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = " ".join(v.strip() for v in value)
        if not isinstance(value, str):
            raise LLMResponseError(f"field {name!r} is not a string")
        found[name] = " ".join(value.split())
    missing = [name for name in SUMMARY_FIELDS if name not in found]
    if missing:
        raise LLMResponseError("missing field(s): " + ", ".join(missing))
    empty = [name for name in SUMMARY_FIELDS if found[name].strip(" .").lower() in _PLACEHOLDERS]
    if empty:
        raise LLMResponseError("empty or placeholder field(s): " + ", ".join(empty))
    return {name: found[name] for name in SUMMARY_FIELDS}


def parse_summary(reply: str) -> dict[str, str]:
    """The five validated fields from a model reply (raises :class:`LLMResponseError`)."""
    if not reply or not reply.strip():
        raise LLMResponseError("empty reply")
    return validate_fields(loads_lenient(reply))
