"""Fixtures shared by the whole suite: where the shared data lives, a fresh store.

Backends: a test (or module, ``pytestmark``) marked ``both_backends`` runs once per
backend in :data:`BACKENDS`; its ``store`` and ``new_location`` fixtures then hand
out a SQLite file or a fresh PostgreSQL store (a schema of its own) in the
session's throwaway cluster (``pg_cluster``, see ``tests/pg_cluster.py``). Other
tests get SQLite. ``-k postgresql`` / ``-k sqlite`` picks one backend.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pg_cluster as throwaway_pg
import pytest

from paperradar import config
from paperradar.store import open_store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DAYS = SHARED / "arxiv_daily_ai_enhanced" / "days"
NO_SHARED = (f"needs the real data in {SHARED} (clone with ../shared beside the repo; CI always has it)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_shared: reads ../shared/data; skipped with a reason without it")
    config.addinivalue_line("markers", "both_backends: run once per store backend (sqlite, postgresql)")


BACKENDS = ["sqlite", "postgresql"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend_name", BACKENDS, indirect=True)


def _missing_shared_path_in(function: object) -> Path | None:
    """A module-level ``Path`` under ../shared that ``function`` (or a comprehension, lambda or
    same-module helper it calls) names and that is absent."""
    code = getattr(function, "__code__", None)
    module_globals = getattr(function, "__globals__", None)
    if code is None or module_globals is None:
        return None
    shared_root = SHARED.parent
    seen, stack = set(), [code]
    while stack:
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


def _names_missing_shared_path(item: pytest.Item) -> Path | None:
    """The first absent ../shared path named by the test function or by a fixture it uses."""
    functions = [getattr(item, "function", None)]
    fixture_info = getattr(item, "_fixtureinfo", None)
    for defs in getattr(fixture_info, "name2fixturedefs", {}).values():
        functions.extend(d.func for d in defs)
    for function in functions:
        missing = _missing_shared_path_in(function)
        if missing is not None:
            return missing
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests that read ../shared skip, naming what is missing, when it is absent: marked ones,
    and ones whose code, or one of whose fixtures, names a module-level path under it."""
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


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[throwaway_pg.Cluster]:
    """One throwaway PostgreSQL cluster for the session (Unix socket in a temp folder), removed at the end.
    Fails, naming the install command, when PostgreSQL 15 is not installed."""
    try:
        cluster = throwaway_pg.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:
    """``sqlite``, or each of :data:`BACKENDS` for tests marked ``both_backends``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def new_location(backend_name: str, tmp_path: Path, request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """``new_location(name)``: where a fresh, empty store goes (a file under tmp_path, or a PostgreSQL
    URL of a schema of its own); for PostgreSQL the data folders go under tmp_path too."""
    if backend_name == "sqlite":
        return lambda name="store.db": str(tmp_path / name)
    cluster = request.getfixturevalue("pg_cluster")
    monkeypatch.setattr(config, "DEFAULT_DATA_DIR", tmp_path / "data")
    return lambda name="store.db": cluster.new_store_url()


@pytest.fixture
def store(new_location: Callable[[str], str]):
    s = open_store(new_location("store.db"))
    yield s
    s.close()
