"""Check that a summary is written in the language that was asked for.

Models, small ones especially, often answer in the language of the abstract
(English) when asked for Chinese, or the other way round. A script-share test
is cheap and catches that: Chinese needs a real share of Han characters among
the letters (technical terms such as "LLM" stay Latin, so not all of them),
English and other Latin-script languages need almost no letters from other
scripts. Languages this module has no rule for are accepted as they are.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_SCRIPT_PREFIXES = {
    "han": ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"),
    "kana": ("HIRAGANA", "KATAKANA"),
    "hangul": ("HANGUL",),
    "cyrillic": ("CYRILLIC",),
    "arabic": ("ARABIC",),
    "latin": ("LATIN",),
    "greek": ("GREEK",),
}


@dataclass(frozen=True, slots=True)
class Rule:
    script: str  # the script the answer must (mostly) be in
    min_share: float  # its minimum share among all letters


_RULES: dict[str, Rule] = {}
for _names, _rule in (
    (("chinese", "zh", "zh-cn", "zh-tw", "中文", "简体中文", "繁體中文", "mandarin"), Rule("han", 0.3)),
    (("japanese", "ja", "日本語"), Rule("kana+han", 0.3)),
    (("korean", "ko", "한국어"), Rule("hangul", 0.3)),
    (("russian", "ru", "ukrainian", "uk", "bulgarian", "русский"), Rule("cyrillic", 0.6)),
    (("arabic", "ar", "persian", "fa"), Rule("arabic", 0.6)),
    (("english", "en", "german", "de", "deutsch", "french", "fr", "français", "spanish", "es",
      "español", "italian", "it", "portuguese", "pt", "dutch", "nl"), Rule("latin", 0.9)),
):
    for _name in _names:
        _RULES[_name] = _rule


def _script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for script, prefixes in _SCRIPT_PREFIXES.items():
        if name.startswith(prefixes):
            return script
    return "other" if ch.isalpha() else None


def script_shares(text: str) -> dict[str, float]:
    """Share of each script among the letters of ``text`` (Greek counted apart: maths symbols)."""
    counts: dict[str, int] = {}
    for ch in text:
        script = _script(ch)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    counts.pop("greek", None)  # α, β, λ appear in any language's technical prose
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def language_problem(fields: dict[str, str], language: str) -> str | None:
    """``None`` when ``fields`` read as ``language``; otherwise a short reason."""
    rule = _RULES.get(language.strip().lower())
    if rule is None:
        return None
    shares = script_shares(" ".join(fields.values()))
    if not shares:
        return "no letters in the answer"
    share = sum(shares.get(part, 0.0) for part in rule.script.split("+"))
    if share < rule.min_share:
        main = max(shares, key=lambda k: shares[k])
        return (f"answer is not in {language}: {share:.0%} {rule.script} letters "
                f"(need {rule.min_share:.0%}), mostly {main}")
    return None
