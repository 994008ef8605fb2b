"""Loading the shipped role classifier and labelling sentences with it.

Two kinds of model can label roles, alone or together:

- the fine-tuned whole-abstract tagger (:mod:`.sequence`, an int8 ONNX file), which reads every
  sentence's opening words with the rest of the abstract in view;
- the BiGRU over n-gram bags (:mod:`.model`, an ``.npz``), which sees every word of a sentence
  but only a summary of its neighbours.

They err on different sentences, so the shipped classifier averages their probabilities
with a weight chosen on CSAbstruct dev. A small JSON manifest (``roles.json``) names the files
and the weight; ``--weights`` accepts a manifest, an ``.onnx`` tagger or an ``.npz`` network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from paperradar.enrich.roles.model import LABELS, RoleNet
from paperradar.enrich.roles.sequence import RoleModelError, SequenceTagger

MANIFEST_FILE = "roles.json"
WEIGHTS_FILE = "roles.npz"  # the BiGRU network, alone or as the manifest's second model


def shipped_weights_dir() -> Path:
    return Path(str(resources.files("paperradar.enrich.roles") / "weights"))


class RoleClassifier:
    """Labels each sentence of an abstract with its role, using the whole abstract as context."""

    def __init__(self, net: RoleNet | None = None, tagger: SequenceTagger | None = None,
                 tagger_weight: float = 1.0, source: str = "") -> None:
        if net is None and tagger is None:
            raise RoleModelError("a role classifier needs a tagger, a network, or both")
        self.net = net
        self.tagger = tagger
        self.tagger_weight = tagger_weight if net is not None else 1.0
        if tagger is None:
            self.tagger_weight = 0.0
        self.labels = tagger.labels if tagger is not None else net.labels  # type: ignore[union-attr]
        if net is not None and tagger is not None and tuple(net.labels) != tuple(tagger.labels):
            raise RoleModelError(f"{source}: the tagger's and the network's labels differ")
        self.source = source

    @classmethod
    def load(cls, path: str | Path | None = None) -> RoleClassifier:
        """Weights from ``path`` (manifest ``.json``, tagger ``.onnx`` or network ``.npz``),
        else the ones shipped in the package."""
        if path is None:
            folder = shipped_weights_dir()
            manifest = folder / MANIFEST_FILE
            path = manifest if manifest.is_file() else folder / WEIGHTS_FILE
        path = Path(path)
        if path.suffix == ".onnx":
            return cls(tagger=SequenceTagger(path), source=str(path))
        if path.suffix == ".json":
            return cls.from_manifest(path)
        return cls(net=RoleNet.from_bytes(path.read_bytes()), source=str(path))

    @classmethod
    def from_manifest(cls, path: Path) -> RoleClassifier:
        try:
            spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RoleModelError(f"{path}: not a readable role manifest ({exc})") from exc
        if not isinstance(spec, dict) or not (spec.get("tagger") or spec.get("network")):
            raise RoleModelError(f"{path}: field 'tagger' or 'network' is required")
        tagger = SequenceTagger(path.parent / spec["tagger"]) if spec.get("tagger") else None
        network = spec.get("network")
        net = RoleNet.from_bytes((path.parent / network).read_bytes()) if network else None
        weight = spec.get("tagger_weight", 1.0 if net is None else 0.5)
        if not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
            raise RoleModelError(f"{path}: field 'tagger_weight' must be a number in [0, 1]")
        return cls(net=net, tagger=tagger, tagger_weight=float(weight), source=str(path))

    def describe(self) -> dict[str, Any]:
        """What scores the sentences (for eval output and docs)."""
        out: dict[str, Any] = {"source": self.source}
        if self.tagger is not None:
            out["tagger"] = {"file": self.tagger.path.name, **self.tagger.meta}
        if self.net is not None:
            out["network"] = {"members": len(self.net.members), "features": self.net.features}
        if self.tagger is not None and self.net is not None:
            out["tagger_weight"] = self.tagger_weight
        return out

    def predict_proba(self, abstracts: Sequence[Sequence[str]]) -> list[np.ndarray]:
        w = self.tagger_weight
        tagged = self.tagger.predict_proba(abstracts) if self.tagger is not None and w > 0 else None
        netted = self.net.predict_proba(abstracts) if self.net is not None and w < 1 else None
        if tagged is None:
            assert netted is not None
            return netted
        if netted is None:
            return tagged
        return [w * t + (1.0 - w) * n for t, n in zip(tagged, netted, strict=True)]

    def predict(self, abstracts: Sequence[Sequence[str]]) -> list[list[str]]:
        return [[self.labels[i] for i in p.argmax(axis=1)] for p in self.predict_proba(abstracts)]


@lru_cache(maxsize=1)
def default_classifier() -> RoleClassifier:
    """The shipped classifier, loaded once per process."""
    return RoleClassifier.load()


__all__ = ["LABELS", "RoleClassifier", "default_classifier"]
