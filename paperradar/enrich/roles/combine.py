"""Combining the fine-tuned tagger with the n-gram BiGRU: the weight is chosen on dev, never test.

The two models see different things (the tagger: every sentence's opening word pieces with
the whole abstract attending; the network: every word of a sentence as n-grams), so their
averaged probabilities beat either alone when their errors differ. The weight is a grid
search on CSAbstruct dev (accuracy + macro-F1, as every other roles choice in the project);
the result is a manifest next to the two model files.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from paperradar.enrich.roles.csabstruct import Abstract, scores
from paperradar.enrich.roles.inference import MANIFEST_FILE, RoleClassifier
from paperradar.files import atomic_write

WEIGHT_GRID = tuple(round(0.05 * i, 2) for i in range(21))


def choose_tagger_weight(classifier: RoleClassifier, dev_set: Sequence[Abstract]) -> tuple[float, dict]:
    """The tagger weight in WEIGHT_GRID with the best dev accuracy + macro-F1, and its dev scores."""
    if classifier.tagger is None or classifier.net is None:
        raise ValueError("choosing a weight needs both a tagger and a network")
    abstracts = [list(a.sentences) for a in dev_set]
    tagged = classifier.tagger.predict_proba(abstracts)
    netted = classifier.net.predict_proba(abstracts)
    gold = [label for a in dev_set for label in a.labels]
    labels = classifier.labels
    best: tuple[float, float, dict] | None = None
    for w in WEIGHT_GRID:
        predicted = [labels[i] for t, n in zip(tagged, netted, strict=True)
                     for i in np.argmax(w * t + (1.0 - w) * n, axis=1)]
        dev = scores(gold, predicted)
        if best is None or dev["accuracy"] + dev["macro_f1"] > best[1]:
            best = (w, dev["accuracy"] + dev["macro_f1"], dev)
    assert best is not None
    return best[0], best[2]


def retarget_tagger(source: Path, target: Path, sentence_tokens: int) -> Path:
    """Copy a tagger, set to read ``sentence_tokens`` word pieces per sentence at inference.

    A tagger trained on 32 pieces per sentence still reads shorter openings well (dev decides), and
    fewer pieces is the cheapest speed lever there is; the training figure stays in the metadata.
    """
    import onnx

    model = onnx.load(str(source))
    for entry in model.metadata_props:
        if entry.key == "paperradar":
            meta = json.loads(entry.value)
            meta.setdefault("trained_sentence_tokens", meta["sentence_tokens"])
            meta["sentence_tokens"] = sentence_tokens
            entry.value = json.dumps(meta, sort_keys=True)
            break
    else:
        raise ValueError(f"{source}: no 'paperradar' metadata")
    tmp = target.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    tmp.replace(target)
    return target


def write_bundle(folder: Path, tagger: Path, network: Path, weight: float, dev: dict) -> Path:
    """Copy both model files into ``folder`` with a manifest naming them; returns the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for key, source in (("tagger", tagger), ("network", network)):
        target = folder / source.name
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        names[key] = target.name
    manifest = folder / MANIFEST_FILE
    atomic_write(manifest, (json.dumps({**names, "tagger_weight": weight,
                                        "dev": {"accuracy": round(dev["accuracy"], 4),
                                                "macro_f1": round(dev["macro_f1"], 4)}},
                                       indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return manifest
