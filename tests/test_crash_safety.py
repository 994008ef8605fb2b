"""Crash and load safety on both backends (issue 13).

- ``kill -9`` at 3 seeded random kill points of each job (ingest, a resuming
  OAI-PMH fetch from a server on 127.0.0.1, summarize, index), then a rerun: the
  store (every table) and the search results equal a clean run's. The kill
  points are store writes and fsyncs, counted by the driver in
  ``tests/crashkit.py``; bench/crash_soak.py tries 20 or more per job.
- Readers during writes: stats, digests and searches in a loop while another
  process ingests: no "database is locked", and a day is seen whole or not at all.
- Faults: the PostgreSQL server stopped mid-ingest (a one-line error, no
  traceback; the rerun after a restart completes and equals a clean run), and a
  full disk under SQLite (``PRAGMA max_page_count``): an error naming the store,
  the store intact and readable, the index untouched.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import crashkit
import pg_cluster as throwaway_pg
import pytest

from paperradar.store import open_store

DAYS = crashkit.DAYS
OAI_CS = crashkit.OAI_CS
KILLS_PER_JOB = 3

pytestmark = pytest.mark.needs_shared


@pytest.fixture(scope="module")
def oai_url() -> Iterator[str]:
    with crashkit.OaiServer() as url:
        yield url


@pytest.fixture(scope="module")
def embedder():
    from paperradar.embed import make_embedder

    return make_embedder("onnx")


@pytest.mark.both_backends
@pytest.mark.parametrize(
    "job_name", ["ingest", "fetch", "summarize", "index", "index-delta", "index-passages"])
def test_kill_9_then_rerun_equals_a_clean_run(
    job_name: str, backend_name: str, new_location, tmp_path: Path, oai_url: str, embedder
) -> None:
    assert DAYS.is_dir() and OAI_CS.is_file()
    job = crashkit.jobs(tmp_path, oai_url)[job_name]
    clean = new_location("clean.db")
    total = crashkit.clean_run(job, clean, tmp_path / "clean.data", tmp_path)
    reference = crashkit.dump(clean, tmp_path / "clean.data", job.index, embedder)
    assert total >= KILLS_PER_JOB and reference["papers"]
    if job.index:
        assert reference["index_ok"], reference["index_problems"]
    points = sorted(random.Random(f"{job_name}-{backend_name}").sample(range(1, total + 1), KILLS_PER_JOB))
    for n, point in enumerate(points):
        location, data = new_location(f"crash{n}.db"), tmp_path / f"crash{n}.data"
        first = crashkit.crash_run(job, location, data, point, tmp_path)
        # a run may pass fewer kill points than the clean one did (how work is batched varies);
        # then it must have finished cleanly before reaching the point
        assert first.killed or (first.returncode == 0 and first.events < point), (
            point, total, first.returncode, first.events, first.stderr)
        after = crashkit.dump(location, data, job.index, embedder)
        assert crashkit.differences(reference, after) == [], f"killed at point {point} of {total}"


# -- readers during writes -------------------------------------------------------------------------

PLAIN_DAYS = [DAYS / f"2026-05-{d:02d}.jsonl.gz" for d in (1, 4, 6, 7)] + [DAYS / "2026-04-29.jsonl.gz"]


@pytest.mark.both_backends
def test_readers_during_an_ingest_see_whole_days_and_no_lock_errors(new_location, tmp_path: Path) -> None:
    from paperradar.cli import cli
    from paperradar.days import day_infos
    from paperradar.digest.daily import build_day
    from paperradar.index.search import SearchIndex

    assert all(p.is_file() for p in PLAIN_DAYS)
    location, data = new_location("store.db"), tmp_path / "data"
    first = crashkit.run([*crashkit.global_args(location, data), "ingest", str(PLAIN_DAYS[0])], tmp=tmp_path)
    assert first.returncode == 0, first.stderr
    built = crashkit.run([*crashkit.global_args(location, data), "index", "--no-dense"], tmp=tmp_path)
    assert built.returncode == 0, built.stderr
    env = dict(os.environ, PYTHONPATH=str(crashkit.REPO))
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "paperradar",
            "-q",
            *crashkit.global_args(location, data),
            "ingest",
            *map(str, PLAIN_DAYS[1:]),
        ],
        cwd=crashkit.REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: dict[str, set[int]] = {}
    errors: list[str] = []
    loops = {"stats": 0, "digest": 0, "search": 0}
    deadline = time.monotonic() + 120

    def reader(kind: str) -> None:
        store = open_store(location, read_only=True)
        index = SearchIndex.open(store, data / "index", dense=False) if kind == "search" else None
        try:
            while (writer.poll() is None or loops[kind] < 3) and time.monotonic() < deadline:
                if kind == "stats":
                    for day in day_infos(store):
                        seen.setdefault(day.date, set()).add(day.papers)
                elif kind == "digest":
                    for date in store.listing_dates():
                        day = build_day(store, date)
                        seen.setdefault(date, set()).add(day.total)
                else:
                    assert index is not None
                    assert index.search("language model", k=5, mode="bm25")
                loops[kind] += 1
        except Exception as exc:  # noqa: BLE001 (reported below, with its type)
            errors.append(f"{kind}: {type(exc).__name__}: {exc}")
        finally:
            store.close()

    threads = [threading.Thread(target=reader, args=(kind,)) for kind in loops]
    for t in threads:
        t.start()
    cli_runs = 0
    from click.testing import CliRunner

    while writer.poll() is None and cli_runs < 5 and time.monotonic() < deadline:  # the CLI readers too
        for args in (["stats", "--json"], ["search", "model", "--mode", "bm25", "--json"]):
            result = CliRunner().invoke(cli, [*crashkit.global_args(location, data), *args])
            if result.exit_code != 0:
                errors.append(f"{args[0]}: {result.output}")
        cli_runs += 1
    _, err = writer.communicate(timeout=180)
    for t in threads:
        t.join(60)
    assert writer.returncode == 0, err
    assert errors == []
    assert all(n >= 3 for n in loops.values()), loops
    store = open_store(location, read_only=True)
    final = {d.date: d.papers for d in day_infos(store)}
    store.close()
    assert len(final) == len(PLAIN_DAYS)
    partial = {date: sorted(counts) for date, counts in seen.items() if counts != {final[date]}}
    assert partial == {}, f"days seen partly: {partial} (final {final})"


# -- faults ----------------------------------------------------------------------------------------

FAULT_DAYS = sorted(DAYS.glob("2026-05-*.jsonl.gz"))[:24]


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[throwaway_pg.Cluster]:
    """A cluster of its own: this test stops its server."""
    try:
        cluster = throwaway_pg.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.stop()


def test_postgresql_server_stopped_mid_ingest_clear_error_then_rerun_completes(
    own_cluster: throwaway_pg.Cluster, tmp_path: Path
) -> None:
    files = [str(p) for p in FAULT_DAYS if "_AI_" not in p.name]
    assert len(files) >= 4
    url, data = own_cluster.new_store_url(), tmp_path / "data"
    env = dict(os.environ, PYTHONPATH=str(crashkit.REPO))
    job = subprocess.Popen(
        [
            sys.executable,
            str(Path(crashkit.__file__)),
            "--",
            "-q",
            *crashkit.global_args(url, data),
            "ingest",
            *files,
        ],
        cwd=crashkit.REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and job.poll() is None:
        try:
            out = own_cluster.psql(
                f"SET search_path={_schema(url)}; SELECT count(DISTINCT date) FROM listings"
            )
        except subprocess.CalledProcessError:
            out = ""  # the schema is not there yet
        if out.strip().isdigit() and int(out) >= 1:
            break
        time.sleep(0.02)
    listed = int(
        own_cluster.psql(f"SET search_path={_schema(url)}; SELECT count(DISTINCT date) FROM listings")
    )
    own_cluster.stop_server()
    _, err = job.communicate(timeout=120)
    assert listed < len(files), "the ingest finished before the server was stopped; use more files"
    assert job.returncode == 1, err
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert err.startswith("Error: ") and "store postgresql://" in err and "lost its connection" in err, err
    own_cluster.start_server()
    again = crashkit.run([*crashkit.global_args(url, data), "ingest", *files], tmp=tmp_path)
    assert again.returncode == 0, again.stderr
    reference = tmp_path / "clean.db"
    clean = crashkit.run(
        [*crashkit.global_args(str(reference), tmp_path / "c.data"), "ingest", *files], tmp=tmp_path
    )
    assert clean.returncode == 0, clean.stderr
    assert (
        crashkit.differences(crashkit.dump(str(reference), tmp_path, False), crashkit.dump(url, data, False))
        == []
    )


def _schema(url: str) -> str:
    return url.rsplit("%3D", 1)[1]


def test_sqlite_disk_full_clear_error_store_intact_index_untouched(tmp_path: Path) -> None:
    import sqlite3

    from paperradar.index.state import INDEX_FILES, check

    files = [str(p) for p in FAULT_DAYS if "_AI_" not in p.name][:3]
    db, data = tmp_path / "store.db", tmp_path / "data"
    assert (
        crashkit.run([*crashkit.global_args(str(db), data), "ingest", files[0]], tmp=tmp_path).returncode == 0
    )
    assert (
        crashkit.run([*crashkit.global_args(str(db), data), "index", "--no-dense"], tmp=tmp_path).returncode
        == 0
    )
    index_before = {
        name: (data / "index" / name).read_bytes()
        for name in INDEX_FILES
        if (data / "index" / name).is_file()
    }
    store = open_store(str(db), read_only=True)
    before = crashkit.dump(str(db), data, False)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]  # type: ignore[attr-defined]
    store.close()
    full = crashkit.run(
        [*crashkit.global_args(str(db), data), "ingest", *files[1:]],
        tmp=tmp_path,
        extra=("--max-pages", str(pages + 1)),
    )
    assert full.returncode == 1, (full.stdout, full.stderr)
    assert "Traceback" not in full.stderr and full.stderr.strip().count("\n") == 0, full.stderr
    assert full.stderr.startswith("Error: ") and str(db) in full.stderr and "full" in full.stderr, full.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert crashkit.dump(str(db), data, False) == before  # what was there is there, nothing half-written
    assert {name: (data / "index" / name).read_bytes() for name in index_before} == index_before
    assert check(data / "index", deep=True).ok
    # with room again, the rerun completes
    assert (
        crashkit.run([*crashkit.global_args(str(db), data), "ingest", *files[1:]], tmp=tmp_path).returncode
        == 0
    )
