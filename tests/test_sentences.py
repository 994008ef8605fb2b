"""Sentence splitting on the constructions abstracts are full of."""

from __future__ import annotations

import gzip
import json

import pytest

from paperradar.enrich.sentences import normalize, split_sentences


@pytest.mark.parametrize(("text", "expected"), [
    ("Smith et al. (2020) showed this. We extend it.",
     ["Smith et al. (2020) showed this.", "We extend it."]),
    ("Models, e.g. BERT, and i.e. Transformers work. They are big.",
     ["Models, e.g. BERT, and i.e. Transformers work.", "They are big."]),
    ("As shown in Fig. 2, accuracy rises. See Eq. 3 and Sec. 4 for details. Done.",
     ["As shown in Fig. 2, accuracy rises.", "See Eq. 3 and Sec. 4 for details.", "Done."]),
    ("Accuracy reaches 96.6% on ImageNet, up 3.5 points. Speed is 2.4x higher.",
     ["Accuracy reaches 96.6% on ImageNet, up 3.5 points.", "Speed is 2.4x higher."]),
    ("It runs in $\\mathcal{O}(n. \\log n)$ time. It is optimal.",
     ["It runs in $\\mathcal{O}(n. \\log n)$ time.", "It is optimal."]),
    ("Code: https://github.com/org/repo.v2. Data at www.example.org/x.y. Thanks.",
     ["Code: https://github.com/org/repo.v2.", "Data at www.example.org/x.y.", "Thanks."]),
    ("Does it work? Yes! It does.", ["Does it work?", "Yes!", "It does."]),
    ("We use a model (cf. Sec. 3. It is big) here. Next.",
     ["We use a model (cf. Sec. 3. It is big) here.", "Next."]),
    ("The method (see J. Smith) works. Second.", ["The method (see J. Smith) works.", "Second."]),
    ("A sentence ending in a number 2023. Another one.",
     ["A sentence ending in a number 2023.", "Another one."]),
    ("lower case after a dot. continues here. New Sentence.",
     ["lower case after a dot. continues here.", "New Sentence."]),
    ("No final stop", ["No final stop"]),
    ("", []),
])
def test_split_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_line_wraps_are_normalised() -> None:
    text = "We study\nlarge models.\n  Results\nshow gains."
    assert split_sentences(text) == ["We study large models.", "Results show gains."]


def test_nothing_is_lost_on_real_abstracts(days_dir) -> None:
    with gzip.open(days_dir / "2026-06-25_AI_enhanced_Chinese.jsonl.gz", "rt", encoding="utf-8") as handle:
        abstracts = [json.loads(line)["summary"] for line in handle]
    for abstract in abstracts:
        parts = split_sentences(abstract)
        assert " ".join(parts) == normalize(abstract)
        assert len(parts) >= 2
        # no piece starts in lower case (that would be a wrong split)
        assert all(not p[0].islower() for p in parts)
