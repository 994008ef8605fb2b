"""``paperradar store copy``: SQLite -> PostgreSQL -> SQLite, resumable, verified by counts and checksums."""

from __future__ import annotations

from pathlib import Path

import pg_cluster as throwaway_pg
import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.ingest import ingest_records
from paperradar.sources import parse_path
from paperradar.store import StoreError, open_store
from paperradar.store.copy import TABLES, Raw, copy_store, table_rows

DAYS = ("2026-06-25", "2026-06-26", "2026-06-27", "2026-06-28", "2026-06-29")


@pytest.fixture
def source(tmp_path: Path, days_dir: Path) -> str:
    db = str(tmp_path / "source.db")
    store = open_store(db)
    for day in DAYS:
        for name in (f"{day}.jsonl.gz", f"{day}_AI_enhanced_Chinese.jsonl.gz"):
            path = days_dir / name
            ingest_records(store, parse_path(path), str(path))
    store.close()
    return db


def _all_rows(location: str) -> dict[str, list[tuple]]:
    store = open_store(location, read_only=True)
    try:
        return {t.name: table_rows(store, t.name) for t in TABLES}
    finally:
        store.close()


def test_sqlite_to_postgresql_and_back_is_exact(source: str, tmp_path: Path,
                                                pg_cluster: throwaway_pg.Cluster) -> None:
    url = pg_cluster.new_store_url()
    runner = CliRunner()
    res = runner.invoke(cli, ["-q", "store", "copy", "--from", source, "--to", url, "--chunk", "100"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().endswith("verified") and "MISMATCH" not in res.output
    back = str(tmp_path / "back.db")
    res = runner.invoke(cli, ["-q", "store", "copy", "--from", url, "--to", back, "--json"])
    assert res.exit_code == 0, res.output
    rows = _all_rows(source)
    assert rows == _all_rows(url) == _all_rows(back)
    assert len(rows["papers"]) > 200 and rows["paper_history"] and rows["summaries"] and rows["meta"]
    again = runner.invoke(cli, ["-q", "store", "copy", "--from", source, "--to", url, "--json"])
    assert again.exit_code == 0 and '"copied": 0' in again.output and '"copied": 1' not in again.output


@pytest.mark.parametrize("target_backend", ["sqlite", "postgresql"])
def test_interrupted_copy_resumes_and_finishes(source: str, tmp_path: Path, target_backend: str,
                                               request: pytest.FixtureRequest) -> None:
    target = (str(tmp_path / "t.db") if target_backend == "sqlite"
              else request.getfixturevalue("pg_cluster").new_store_url())
    calls = {"n": 0}

    def stop_midway(table: str, rows: int) -> None:
        calls["n"] += 1
        if table == "listings" and rows >= 300:
            raise KeyboardInterrupt

    src, dst = open_store(source, read_only=True), open_store(target)
    try:
        with pytest.raises(KeyboardInterrupt):
            copy_store(src, dst, chunk=100, progress=stop_midway)
        landed = len(table_rows(dst, "listings"))
        assert 300 <= landed < len(table_rows(src, "listings"))
        report = copy_store(src, dst, chunk=100)
        assert report.ok
        copied = {t.name: t.copied for t in report.tables}
        assert copied["papers"] == 0 and copied["listings"] == len(table_rows(src, "listings")) - landed
    finally:
        src.close()
        dst.close()
    assert _all_rows(source) == _all_rows(target)


def test_refuses_a_non_empty_or_foreign_target(source: str, tmp_path: Path, days_dir: Path) -> None:
    other = str(tmp_path / "other.db")
    store = open_store(other)
    path = days_dir / "2026-06-25.jsonl.gz"
    ingest_records(store, parse_path(path), str(path))
    store.close()
    res = CliRunner().invoke(cli, ["store", "copy", "--from", source, "--to", other])
    assert res.exit_code == 1 and "is not empty" in res.output
    half = str(tmp_path / "half.db")
    CliRunner().invoke(cli, ["-q", "store", "copy", "--from", source, "--to", half])
    res = CliRunner().invoke(cli, ["store", "copy", "--from", other, "--to", half])
    assert res.exit_code == 1 and "holds a copy of" in res.output
    res = CliRunner().invoke(cli, ["store", "copy", "--from", str(tmp_path / "none.db"), "--to", half])
    assert res.exit_code == 1 and "no store at" in res.output


@pytest.mark.both_backends
def test_copy_knows_every_table(new_location) -> None:
    """A migration that adds a table must add it to paperradar.store.copy.TABLES too."""
    store = open_store(new_location("s.db"))
    try:
        assert Raw(store).tables() - {"paperradar_migrations"} == {t.name for t in TABLES}
    finally:
        store.close()


def test_same_store_is_refused(source: str) -> None:
    store = open_store(source)
    try:
        with pytest.raises(StoreError, match="same store"):
            copy_store(store, store)
    finally:
        store.close()
