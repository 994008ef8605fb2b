"""Parsing and validating model replies: the repairs a real server's output needs."""

from __future__ import annotations

import json

import pytest

from paperradar.enrich.llm.language import language_problem
from paperradar.enrich.llm.parse import LLMResponseError, parse_summary
from paperradar.enrich.llm.prompt import PromptError, load_prompt, parse_prompt
from paperradar.models import Paper

FIELDS = {"tldr": "A short claim.", "motivation": "Why it matters.", "method": "How it is done.",
          "result": "What was found.", "conclusion": "What it means."}


def test_plain_json_object() -> None:
    assert parse_summary(json.dumps(FIELDS)) == FIELDS


def test_code_fence_and_surrounding_prose() -> None:
    reply = ("Sure! Here is the summary:\n```json\n" + json.dumps(FIELDS, indent=2)
             + "\n```\nLet me know {if} more.")
    assert parse_summary(reply) == FIELDS


def test_trailing_prose_with_braces_and_trailing_comma() -> None:
    body = json.dumps(FIELDS)[:-1] + ",}"
    assert parse_summary("Answer: " + body + " (note: {x} means nothing)") == FIELDS


def test_latex_backslashes_survive() -> None:
    # What a model writes: single backslashes, i.e. invalid (\a, \m) or misleading (\f, \n, \t) escapes.
    reply = ('{"tldr": "Minimise \\frac{1}{2}\\|x\\|^2 with \\nabla f and \\theta, \\alpha=0.1, '
             '\\mathcal{O}(n)", "motivation": "line one\\nline two", "method": "m", '
             '"result": "\\beta \\times 2", "conclusion": "c"}')
    fields = parse_summary(reply)
    assert fields["tldr"] == ("Minimise \\frac{1}{2}\\|x\\|^2 with \\nabla f and \\theta, \\alpha=0.1, "
                              "\\mathcal{O}(n)")
    assert fields["result"] == "\\beta \\times 2"
    assert fields["motivation"] == "line one line two"  # a real \n escape stays a line break (then folded)


def test_properly_escaped_latex_is_kept() -> None:
    data = dict(FIELDS, method="We use \\lambda and \\nabla.")
    assert parse_summary(json.dumps(data))["method"] == "We use \\lambda and \\nabla."


def test_key_variants_and_nesting() -> None:
    reply = json.dumps({"summary": {"TL;DR": "t", "Motivation": "m", "Methods": "x", "Results": ["a.", "b."],
                                    "Conclusion": "c", "extra": 1}})
    assert parse_summary(reply) == {"tldr": "t", "motivation": "m", "method": "x", "result": "a. b.",
                                    "conclusion": "c"}


@pytest.mark.parametrize("reply, message", [
    ("", "empty reply"),
    ("I cannot summarise this paper.", "no JSON object"),
    ('{"tldr": "t", "motivation": "m"', "no JSON object"),
    ('{"tldr": "t" "motivation": "m"}', "malformed JSON"),
    (json.dumps({k: v for k, v in FIELDS.items() if k != "method"}), "missing field(s): method"),
    (json.dumps(dict(FIELDS, result="Summary generation failed")), "placeholder field(s): result"),
    (json.dumps(dict(FIELDS, conclusion="  ")), "placeholder field(s): conclusion"),
    (json.dumps(dict(FIELDS, tldr=3)), "'tldr' is not a string"),
    ("[1, 2]", "no JSON object"),
])
def test_unusable_replies_raise(reply: str, message: str) -> None:
    with pytest.raises(LLMResponseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_summary(reply)


def test_language_check() -> None:
    english = FIELDS
    chinese = {k: "本文提出一种基于Transformer的新方法，用于提高LLM推理效率。" for k in FIELDS}
    assert language_problem(english, "English") is None
    assert language_problem(chinese, "Chinese") is None
    assert language_problem(chinese, "zh") is None
    assert "not in Chinese" in language_problem(english, "Chinese")
    assert "not in English" in language_problem(chinese, "English")
    assert language_problem(dict(FIELDS, tldr="We bound α, β and λ."), "English") is None
    assert language_problem(english, "Klingon") is None  # no rule: accepted


@pytest.mark.needs_shared
def test_language_check_on_real_chinese_summaries() -> None:
    """Real Chinese LLM summaries from daily-arXiv-ai-enhanced must pass the Chinese check."""
    import gzip
    from pathlib import Path

    days = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"
    path = days / "2026-04-27_AI_enhanced_Chinese.jsonl.gz"
    assert path.exists(), f"shared data missing: {path}"
    checked = rejected = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            ai = json.loads(line).get("AI") or {}
            fields = {k: ai.get(k) for k in ("tldr", "motivation", "method", "result", "conclusion")}
            if not all(isinstance(v, str) and v for v in fields.values()):
                continue
            checked += 1
            rejected += language_problem(fields, "Chinese") is not None
            assert language_problem(fields, "English") is not None
    assert checked > 50
    assert rejected <= checked * 0.01


def test_prompt_file_is_versioned_and_sends_only_title_and_abstract() -> None:
    prompt = load_prompt()
    assert prompt.version == "summary-v1"
    paper = Paper("2401.00001", "A {braced} title", ("Secret Author",), "Line one\nline two.", ("cs.LG",),
                  comment="SECRET COMMENT")
    messages = prompt.messages(paper, "Chinese")
    text = "\n".join(m["content"] for m in messages)
    assert "A {braced} title" in text and "Line one line two." in text and "Chinese" in text
    assert "Secret Author" not in text and "SECRET COMMENT" not in text and "cs.LG" not in text


def test_own_prompt_file(tmp_path) -> None:
    own = tmp_path / "mine.txt"
    own.write_text('# prompt-version: mine-v2\n[system]\nBe brief in {language}. Like {"tldr": "..."}.\n'
                   "[user]\n{title}: {abstract}\n", encoding="utf-8")
    prompt = load_prompt(str(own))
    assert prompt.version == "mine-v2"
    system, user = prompt.messages(Paper("1", "T {x}", (), "A.", ()), "German")
    assert system["content"] == 'Be brief in German. Like {"tldr": "..."}.'
    assert user["content"] == "T {x}: A."
    with pytest.raises(PromptError, match="not found"):
        load_prompt(str(tmp_path / "missing.txt"))


def test_prompt_file_errors() -> None:
    with pytest.raises(PromptError, match="prompt-version"):
        parse_prompt("[system]\nx\n[user]\ny\n", "p.txt")
    with pytest.raises(PromptError, match=r"\[user\]"):
        parse_prompt("# prompt-version: v9\n[system]\nx\n", "p.txt")
    with pytest.raises(PromptError, match="must contain"):
        parse_prompt("# prompt-version: v9\n[system]\nx\n[user]\n{title}\n", "p.txt")
