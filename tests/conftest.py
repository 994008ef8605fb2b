"""Fixtures shared by the whole suite: where the shared data lives, a fresh store."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from paperradar.store import open_store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DAYS = SHARED / "arxiv_daily_ai_enhanced" / "days"
NO_SHARED = (f"needs the real data in {SHARED} (clone with ../shared beside the repo; CI always has it)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_shared: reads ../shared/data; skipped with a reason without it")


def _names_missing_shared_path(item: pytest.Item) -> Path | None:
    """A module-level ``Path`` under ../shared that the test function names and that is absent."""
    function = getattr(item, "function", None)
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    module_globals = function.__globals__
    shared_root = SHARED.parent
    seen, stack = set(), [code]
    while stack:  # the test, the comprehensions/lambdas inside it, and same-module helpers it calls
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
        for name in current.co_names:
            value = module_globals.get(name)
            if isinstance(value, Path) and value.is_relative_to(shared_root) and not value.exists():
                return value
            if isinstance(value, types.FunctionType) and value.__globals__ is module_globals:
                stack.append(value.__code__)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests that read ../shared skip, naming what is missing, when it is absent: marked ones,
    and ones whose code names a module-level path under it."""
    if item.get_closest_marker("needs_shared") is not None and not SHARED.is_dir():
        pytest.skip(NO_SHARED)
    missing = _names_missing_shared_path(item)
    if missing is not None:
        pytest.skip(f"{missing} not found: {NO_SHARED}")


@pytest.fixture(scope="session")
def days_dir() -> Path:
    if not DAYS.is_dir():
        pytest.skip(NO_SHARED)
    return DAYS


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(str(tmp_path / "store.db"))
    yield s
    s.close()
