"""Scoring the sentence-role classifier on CSAbstruct.

Macro-F1 is the unweighted mean of the five per-label F1 scores (a label that
never occurs and is never predicted counts as F1 0, so the figure cannot be
inflated by dropping rare labels).
"""

from __future__ import annotations

from collections.abc import Sequence

from paperradar.enrich.roles.csabstruct import Abstract, DatasetError, load_split, scores

__all__ = ["Abstract", "DatasetError", "evaluate", "load_split", "scores"]


def evaluate(classifier, abstracts: Sequence[Abstract]) -> dict:
    """Score a :class:`~paperradar.enrich.roles.inference.RoleClassifier` on ``abstracts``."""
    predicted = classifier.predict([list(a.sentences) for a in abstracts])
    gold = [label for a in abstracts for label in a.labels]
    flat = [label for labels in predicted for label in labels]
    return scores(gold, flat)
