"""Fixtures shared by the whole suite: where the shared data lives, a fresh store."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperradar.store import open_store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DAYS = SHARED / "arxiv_daily_ai_enhanced" / "days"


@pytest.fixture(scope="session")
def days_dir() -> Path:
    if not DAYS.is_dir():
        pytest.fail(f"shared data not found at {DAYS}: clone the repo with ../shared beside it")
    return DAYS


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(str(tmp_path / "store.db"))
    yield s
    s.close()
