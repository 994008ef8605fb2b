"""The summary prompt: a versioned text file, rendered into chat messages.

The wording lives in ``prompts/summary_v1.txt`` rather than in code so that a
change of wording is a change of file with its own version line; the version
is part of every cache key and of every stored summary, so a new prompt makes
old answers "not current" instead of silently mixing two prompts' output.
Only the paper's title and abstract are ever sent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from paperradar.errors import PromptError
from paperradar.models import SUMMARY_FIELDS, Paper

DEFAULT_PROMPT = "summary_v1.txt"
_VERSION_RE = re.compile(r"^#\s*prompt-version:\s*(\S+)\s*$")
_PLACEHOLDER_RE = re.compile(r"\{(language|title|abstract)\}")


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    version: str
    system: str
    user: str

    def messages(self, paper: Paper, language: str, insist_language: bool = False,
                 insist_json: bool = False, insist_content: bool = False) -> list[dict[str, str]]:
        """Chat messages for one paper.

        ``insist_language``/``insist_json``/``insist_content`` add a reminder used on
        the one retry after an answer in the wrong language, without usable JSON, or
        one that merely repeated the instructions.
        """
        values = {"language": language, "title": _clean(paper.title), "abstract": _clean(paper.abstract)}
        system = _fill(self.system, values)
        user = _fill(self.user, values)
        if insist_language:
            user += (f"\n\nIMPORTANT: your previous answer was not in {language}. "
                     f"Write the value of every field in {language} only.")
        if insist_json:
            user += ("\n\nIMPORTANT: your previous answer was not a valid JSON object with the fields "
                     + ", ".join(SUMMARY_FIELDS) + ". Reply with that JSON object only.")
        if insist_content:
            user += ("\n\nIMPORTANT: your previous answer repeated the instructions instead of "
                     "summarising. Fill every field with what this paper's abstract says.")
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def echoed(self, fields: dict[str, str]) -> list[str]:
        """Fields that only repeat a phrase of the instructions (small models do this)."""
        instructions = " ".join(self.system.lower().split())
        return [name for name, text in fields.items()
                if len(text) >= 12 and " ".join(text.lower().split()).rstrip(".;: ") in instructions]


def _fill(template: str, values: dict[str, str]) -> str:
    """Substitute the three placeholders only, so prompts may show JSON examples with braces."""
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)


def _clean(text: str) -> str:
    """Collapse the hard line breaks arXiv abstracts carry; they only cost tokens."""
    return " ".join(text.split())


def parse_prompt(text: str, name: str = "<prompt>") -> PromptTemplate:
    """Parse a prompt file: a ``# prompt-version: NAME`` line, ``[system]`` and ``[user]`` sections."""
    version = None
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _VERSION_RE.match(line)
        if match:
            version = match.group(1)
            continue
        if line.startswith("#"):
            continue
        header = line.strip().lower()
        if header in ("[system]", "[user]"):
            current = sections.setdefault(header[1:-1], [])
            continue
        if current is not None:
            current.append(line)
    if not version:
        raise PromptError(f"{name}: no '# prompt-version: NAME' line")
    for section in ("system", "user"):
        if not "".join(sections.get(section, [])).strip():
            raise PromptError(f"{name}: missing or empty [{section}] section")
    used = set(_PLACEHOLDER_RE.findall("\n".join(sections["system"] + sections["user"])))
    if not {"title", "abstract"} <= used:
        raise PromptError(f"{name}: the prompt must contain {{title}} and {{abstract}}")
    return PromptTemplate(version=version, system="\n".join(sections["system"]).strip(),
                          user="\n".join(sections["user"]).strip())


def load_prompt(name: str = DEFAULT_PROMPT) -> PromptTemplate:
    """Load a prompt file: a path to your own file, or the name of one shipped in
    ``paperradar/enrich/llm/prompts/``."""
    path = Path(name).expanduser()
    if path.is_file():
        return parse_prompt(path.read_text(encoding="utf-8"), str(path))
    shipped = resources.files("paperradar.enrich.llm") / "prompts" / name
    if "/" in name or os.sep in name or not shipped.is_file():
        raise PromptError(f"prompt file {name!r} not found (neither a file nor a shipped prompt)")
    return parse_prompt(shipped.read_text(encoding="utf-8"), name)


def summary_schema(max_chars: int | None = None) -> dict:
    """JSON schema of the answer, sent as ``response_format`` where the server supports it.

    ``max_chars`` bounds each field: grammar-constrained local servers enforce it, which
    stops small models from rambling until ``max_tokens`` cuts the JSON off.
    """
    field: dict = {"type": "string", "minLength": 1}
    if max_chars is not None:
        field["maxLength"] = max_chars
    return {
        "type": "object",
        "properties": {name: dict(field) for name in SUMMARY_FIELDS},
        "required": list(SUMMARY_FIELDS),
        "additionalProperties": False,
    }
