"""Fidelity of our summary fields against reference summaries (DeepSeek's, in Chinese).

The references are in Chinese but keep the things that matter in Latin script
or digits: model, dataset and method names, metrics and figures. The score of a
field is the share of those *terms* in the reference field that our field (cut
to the field's word cap) also contains.

Exact tokenisation and scoring (see docs/summaries.md):

- reference terms are the matches, left to right, of ``[A-Za-z][A-Za-z0-9+.\\-]*`` (a
  Latin-script run; it may contain digits, ``+``, ``.`` and ``-``) or ``\\d+(?:[.,]\\d+)*%?``
  (a number, with decimals and an optional per cent sign); each is lower-cased and loses
  trailing ``.`` and ``-``; Latin terms of one letter are dropped (variable names, and
  they would match anything); a field's terms are a set (each distinct term counts once);
- our field is cut to its cap in whitespace-separated words (tldr 45, motivation 70,
  method 90, result 90, conclusion 60) and lower-cased; a reference term counts as
  contained when it occurs in that text starting at a word start (not right after a
  letter or digit), so "llm" is found in "LLMs" and "gpt" in "GPT-4o", and, for a term
  ending in a digit, not followed by another digit ("3" is not found in "30");
- per paper and field, share = contained terms / reference terms; a field's score is the
  mean over papers whose reference field has at least one term (macro over papers);
  "overall" is the mean over papers of contained / reference terms pooled over the five
  fields (papers with no terms at all are left out).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paperradar.enrich.sentences import split_sentences
from paperradar.errors import DatasetError
from paperradar.models import SUMMARY_FIELDS

EVAL_CAPS = {"tldr": 45, "motivation": 70, "method": 90, "result": 90, "conclusion": 60}
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*|\d+(?:[.,]\d+)*%?")


def terms(text: str) -> set[str]:
    """The set of Latin-script terms and numbers in ``text`` (rules in the module docstring)."""
    out = set()
    for m in _TERM.finditer(text):
        term = m.group(0).lower().rstrip(".-")
        if not term or (term[0].isalpha() and len(term) < 2):
            continue
        out.add(term)
    return out


def contains(text: str, term: str) -> bool:
    """``term`` occurs in lower-cased ``text`` at a word start (and, if it ends in a digit,
    is not followed by one)."""
    start = text.find(term)
    while start != -1:
        end = start + len(term)
        before_ok = start == 0 or not text[start - 1].isalnum()
        after_ok = not term[-1].isdigit() or end >= len(text) or not text[end].isdigit()
        if before_ok and after_ok:
            return True
        start = text.find(term, start + 1)
    return False


def cut(text: str, cap: int) -> str:
    return " ".join(text.split()[:cap])


@dataclass(frozen=True, slots=True)
class Reference:
    arxiv_id: str
    title: str
    abstract: str
    fields: dict[str, str]


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*")
                              if re.search(r"_AI_enhanced_.*\.jsonl(\.gz)?$", p.name)))
        elif path.is_file():
            out.append(path)
        else:
            raise DatasetError(f"{path}: no such file or directory")
    return out


def load_references(paths: Iterable[str | Path]) -> list[Reference]:
    """daily-arXiv-ai-enhanced AI files (or folders of them); papers deduplicated by id, first kept."""
    seen: dict[str, Reference] = {}
    for path in _files(paths):
        opener = gzip.open if path.name.endswith(".gz") else open
        try:
            with opener(path, "rt", encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                        ai = obj["AI"]
                        fields = {name: str(ai[name]) for name in SUMMARY_FIELDS}
                        ref = Reference(str(obj["id"]), str(obj.get("title", "")), str(obj["summary"]),
                                        fields)
                    except (json.JSONDecodeError, KeyError, TypeError) as exc:
                        raise DatasetError(f"{path}:{number}: not an AI-enhanced record "
                                             f"(missing or bad {exc})") from exc
                    seen.setdefault(ref.arxiv_id, ref)
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise DatasetError(f"{path}: cannot read ({exc})") from exc
    return list(seen.values())


@dataclass
class Tally:
    """Macro averages over papers (see the module docstring)."""

    shares: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n in SUMMARY_FIELDS})
    overall: list[float] = field(default_factory=list)
    papers: int = 0

    def add(self, ours: dict[str, str], theirs: dict[str, str], cap: bool = True) -> None:
        self.papers += 1
        matched = total = 0
        for name in SUMMARY_FIELDS:
            want = terms(theirs[name])
            if not want:
                continue
            text = ours.get(name, "")
            text = (cut(text, EVAL_CAPS[name]) if cap else text).lower()
            hit = sum(1 for term in want if contains(text, term))
            self.shares[name].append(hit / len(want))
            matched += hit
            total += len(want)
        if total:
            self.overall.append(matched / total)

    def result(self) -> dict:
        def mean(xs: list[float]) -> float:
            return sum(xs) / len(xs) if xs else 0.0

        return {"papers": self.papers, "overall": mean(self.overall),
                "fields": {n: mean(v) for n, v in self.shares.items()}}


FieldMaker = Callable[[Sequence[Reference]], Iterator[dict[str, str]]]


def lead_baseline(refs: Sequence[Reference]) -> Iterator[dict[str, str]]:
    """The abstract's first sentence in every field."""
    for ref in refs:
        first = (split_sentences(ref.abstract) or [""])[0]
        yield dict.fromkeys(SUMMARY_FIELDS, first)


def position_baseline(refs: Sequence[Reference]) -> Iterator[dict[str, str]]:
    """Sentences by position: tldr first, motivation opening third, method middle, result and
    conclusion the closing ones."""
    for ref in refs:
        s = split_sentences(ref.abstract) or [""]
        n = len(s)
        third = max(1, n // 3)
        yield {"tldr": s[0], "motivation": " ".join(s[:third]),
               "method": " ".join(s[third:2 * third] or s[:1]),
               "result": " ".join(s[2 * third:] or s[-1:]), "conclusion": s[-1]}


def abstract_baseline(refs: Sequence[Reference]) -> Iterator[dict[str, str]]:
    """The whole abstract in every field (cut to each cap by the scorer)."""
    for ref in refs:
        yield dict.fromkeys(SUMMARY_FIELDS, " ".join(ref.abstract.split()))


def extractive_fields(refs: Sequence[Reference], batch: int = 256,
                      roles: str | Path | None = None) -> Iterator[dict[str, str]]:
    """Our extractive backend's fields (with the role model in ``roles``, else the shipped one)."""
    from paperradar.enrich.extractive import ExtractiveSummarizer
    from paperradar.enrich.roles.inference import RoleClassifier
    from paperradar.models import Paper

    backend = ExtractiveSummarizer(classifier=RoleClassifier.load(roles) if roles else None)
    for begin in range(0, len(refs), batch):
        part = refs[begin:begin + batch]
        papers = [Paper(r.arxiv_id, r.title, (), r.abstract, ()) for r in part]
        for summary in backend.summarize_papers(papers):
            yield summary.fields()


def oracle_ceiling(refs: Sequence[Reference]) -> dict:
    """Share of reference terms found anywhere in the abstract (uncut): the ceiling for extracts."""
    tally = Tally()
    for ref in refs:
        whole = " ".join(ref.abstract.split())
        tally.add(dict.fromkeys(SUMMARY_FIELDS, whole), ref.fields, cap=False)
    return tally.result()


SYSTEMS: dict[str, FieldMaker] = {
    "extractive": extractive_fields,
    "lead": lead_baseline,
    "position": position_baseline,
    "abstract": abstract_baseline,
}


def score(refs: Sequence[Reference], maker: FieldMaker) -> dict:
    tally = Tally()
    for ref, ours in zip(refs, maker(refs), strict=True):
        tally.add(ours, ref.fields)
    return tally.result()


def score_stored(refs: Sequence[Reference], stored: dict[str, dict[str, str]]) -> dict:
    """Score summaries taken from a store (papers without one count as empty fields)."""
    tally = Tally()
    for ref in refs:
        tally.add(stored.get(ref.arxiv_id, {}), ref.fields)
    return tally.result()
