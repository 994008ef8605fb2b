"""A few real days shipped with the package so the main job works offline."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def sample_files() -> list[Path]:
    """The bundled daily-arXiv-ai-enhanced files, oldest first."""
    folder = resources.files(__name__)
    return sorted(Path(str(f)) for f in folder.iterdir() if f.name.endswith(".jsonl.gz"))
