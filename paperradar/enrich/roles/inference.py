"""Loading the shipped role classifier and labelling sentences with it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from paperradar.enrich.roles.model import RoleNet

WEIGHTS_FILE = "roles.npz"


class RoleClassifier:
    """Labels each sentence of an abstract with its role, using the whole abstract as context."""

    def __init__(self, net: RoleNet) -> None:
        self.net = net
        self.labels = net.labels

    @classmethod
    def load(cls, path: str | Path | None = None) -> RoleClassifier:
        """Weights from ``path``, else the ones shipped in the package."""
        if path is None:
            data = (resources.files("paperradar.enrich.roles") / "weights" / WEIGHTS_FILE).read_bytes()
        else:
            data = Path(path).read_bytes()
        return cls(RoleNet.from_bytes(data))

    def predict_proba(self, abstracts: Sequence[Sequence[str]]) -> list[np.ndarray]:
        return self.net.predict_proba(abstracts)

    def predict(self, abstracts: Sequence[Sequence[str]]) -> list[list[str]]:
        return [[self.labels[i] for i in p.argmax(axis=1)] for p in self.predict_proba(abstracts)]


@lru_cache(maxsize=1)
def default_classifier() -> RoleClassifier:
    """The shipped classifier, loaded once per process."""
    return RoleClassifier.load()
