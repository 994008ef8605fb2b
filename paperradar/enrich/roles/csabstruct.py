"""Reading and scoring CSAbstruct (abstracts split into sentences, each with a role label).

Training and evaluation both read it, so the loader lives beside the model
rather than in :mod:`paperradar.evaluate`, which would import back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from paperradar.enrich.roles.model import LABELS
from paperradar.errors import DatasetError


@dataclass(frozen=True, slots=True)
class Abstract:
    sentences: tuple[str, ...]
    labels: tuple[str, ...]
    confs: tuple[float, ...]


def load_split(directory: str | Path, split: str) -> list[Abstract]:
    """Read ``DIR/<split>.jsonl`` (CSAbstruct layout: sentences, labels, confs)."""
    path = Path(directory) / f"{split}.jsonl"
    if not path.is_file():
        raise DatasetError(f"{path}: not found (expected CSAbstruct train/dev/test .jsonl files)")
    out = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                sentences, labels = obj["sentences"], obj["labels"]
                confs = obj.get("confs") or [1.0] * len(labels)
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DatasetError(f"{path}:{number}: not a CSAbstruct record ({exc})") from exc
            if len(sentences) != len(labels):
                raise DatasetError(f"{path}:{number}: field 'labels': {len(labels)} labels for "
                                f"{len(sentences)} sentences")
            bad = [x for x in labels if x not in LABELS]
            if bad:
                raise DatasetError(f"{path}:{number}: field 'labels': unknown label {bad[0]!r}")
            out.append(Abstract(tuple(sentences), tuple(labels), tuple(float(c) for c in confs)))
    return out


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """accuracy, macro_f1 and per_label_f1 over flat label sequences."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    total = len(gold)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    per_label = {}
    for label in LABELS:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        denom = 2 * tp + fp + fn
        per_label[label] = 2 * tp / denom if denom else 0.0
    return {
        "accuracy": correct / total if total else 0.0,
        "macro_f1": sum(per_label.values()) / len(LABELS),
        "per_label_f1": per_label,
        "sentences": total,
    }
