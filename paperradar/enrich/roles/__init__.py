"""Sentence roles (background / objective / method / result / other) in abstracts.

Trained on CSAbstruct (``paperradar train roles``); the weights ship in
``weights/`` and run with numpy plus the bundled MiniLM in onnxruntime (see :mod:`.inference`).
"""

from paperradar.enrich.roles.inference import RoleClassifier, default_classifier
from paperradar.enrich.roles.model import LABELS

__all__ = ["LABELS", "RoleClassifier", "default_classifier"]
