"""What only the PostgreSQL backend has to get right; the shared contract is tests/test_store_contract.py.

Opening errors (unreachable server, bad URL, no such database, no tables) are one
clear line without the password; the server itself refuses writes on a read-only
store; writers are serialised like SQLite's; migrations follow the shared
history; a stopped server is a clear error and a restarted one is used again.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pg_cluster as throwaway_pg
import pytest
from click.testing import CliRunner

from paperradar import config
from paperradar.cli import cli
from paperradar.models import Paper
from paperradar.store import StoreError, StoreNotFound, open_store
from paperradar.store import postgres as pg
from paperradar.store.sqlite import _migrations as sqlite_migrations

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-06-01T00:00:00Z"


def paper(n: int) -> Paper:
    return Paper(arxiv_id=f"2606.{n:05d}", title=f"P{n}", authors=("A",), abstract="x", categories=("cs.CL",))


def test_unreachable_server_is_one_line_without_password() -> None:
    url = "postgresql://bob:s3cret-pw@127.0.0.1:1/papers?connect_timeout=3"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "s3cret-pw" not in message and "bob:***@127.0.0.1:1" in message and "refused" in message
    res = CliRunner().invoke(cli, ["--db", url, "stats"])
    assert res.exit_code == 1 and "Traceback" not in res.output and "s3cret-pw" not in res.output
    assert res.output.startswith("Error: cannot open store postgresql://bob:***@")


@pytest.mark.parametrize("url", ["postgresql://u:pw1234@host:notaport/db",
                                 "postgresql://u@/db?host=/nonexistent&password=pw1234&sslmode=bogus"])
def test_bad_url_is_a_store_error_without_password(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert "pw1234" not in str(caught.value) and "cannot open store" in str(caught.value)


def test_missing_database_and_missing_tables(pg_cluster: throwaway_pg.Cluster) -> None:
    with pytest.raises(StoreError, match="createdb nosuchdb") as caught:
        open_store(pg_cluster.url("nosuchdb"))
    assert not isinstance(caught.value, StoreNotFound)
    with pytest.raises(StoreNotFound, match="no database 'nosuchdb'"):
        open_store(pg_cluster.url("nosuchdb"), read_only=True)
    empty = pg_cluster.new_store_url()
    for options in ({"read_only": True}, {"create": False}):
        with pytest.raises(StoreNotFound, match="no store at"):
            open_store(empty, **options)
    pg_cluster.psql("CREATE DATABASE bare")
    with pytest.raises(StoreNotFound, match="no paperradar tables"):
        open_store(pg_cluster.url("bare"), read_only=True)
    res = CliRunner().invoke(cli, ["--db", pg_cluster.url("bare"), "stats"])
    assert res.exit_code == 1 and "no paperradar tables" in res.output
    open_store(pg_cluster.url("bare")).close()  # a writing open makes the tables
    reader = open_store(pg_cluster.url("bare"), read_only=True)
    assert reader.count_papers() == 0
    reader.close()


def test_the_server_refuses_writes_on_a_read_only_store(pg_cluster: throwaway_pg.Cluster) -> None:
    url = pg_cluster.new_store_url()
    open_store(url).close()
    reader = open_store(url, read_only=True)
    try:
        assert isinstance(reader, pg.PostgresStore)
        with pytest.raises(StoreError, match="read-only transaction"):
            reader._rows("INSERT INTO meta (key, value) VALUES ('k', 'v')")  # past the store's own check
        assert reader.get_meta("k") is None
    finally:
        reader.close()


def test_newer_schema_is_refused_and_migrations_are_recorded(pg_cluster: throwaway_pg.Cluster) -> None:
    url = pg_cluster.new_store_url()
    store = open_store(url)
    rows = store._rows("SELECT version, name FROM paperradar_migrations ORDER BY version")  # type: ignore[attr-defined]
    assert [r[0] for r in rows] == [n for n, _, _ in pg.migrations()] and rows[0][1] == "0001_init.sql"
    store._rows("INSERT INTO paperradar_migrations (version, name) VALUES (999, 'future') RETURNING 1")  # type: ignore[attr-defined]
    store.close()
    for options in ({}, {"read_only": True}):
        with pytest.raises(StoreError, match="schema version 999, newer"):
            open_store(url, **options)


def test_one_history_for_both_backends() -> None:
    """Every PostgreSQL file overrides a shared migration of the same number, and the PostgreSQL
    history has every number the SQLite one has (a new migrations/NNNN file applies to both,
    unless it needs a migrations_pg/NNNN override)."""
    shared = {n for n, _ in sqlite_migrations()}
    folder = REPO / "paperradar/store/migrations_pg"
    overrides = {int(p.name.split("_", 1)[0]) for p in folder.glob("*.sql")}
    assert overrides <= shared
    assert {n for n, _, _ in pg.migrations()} == shared and max(shared) == pg.SCHEMA_VERSION


def test_writers_are_serialised_readers_are_not(pg_cluster: throwaway_pg.Cluster) -> None:
    url = pg_cluster.new_store_url()
    first, second = open_store(url), open_store(url)
    order: list[str] = []
    started = threading.Event()

    def other_writer() -> None:
        started.set()
        with second.transaction():
            order.append("second got the lock")
            second.set_meta("who", "second")

    try:
        with first.transaction():
            first.set_meta("who", "first")
            thread = threading.Thread(target=other_writer)
            thread.start()
            assert started.wait(5)
            time.sleep(0.3)
            assert second.get_meta("who") is None  # a reader is not blocked, and sees nothing yet
            order.append("first commits")
        thread.join(10)
        assert order == ["first commits", "second got the lock"]
        assert first.get_meta("who") == "second"
    finally:
        first.close()
        second.close()


def test_threads_share_one_store_with_their_own_transactions(pg_cluster: throwaway_pg.Cluster) -> None:
    store = open_store(pg_cluster.new_store_url())
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(5):
                with store.transaction():
                    store.insert_papers([paper(k * 100 + i)], NOW)
                    store.set_meta(f"t{k}", str(i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert not errors and store.count_papers() == 15
        assert [store.get_meta(f"t{k}") for k in (1, 2, 3)] == ["4", "4", "4"]
    finally:
        store.close()


def test_data_folder_per_database_url_password_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERRADAR_DATA_DIR", raising=False)
    monkeypatch.setattr(config, "get", lambda key: None if key == "data_dir" else "")
    a = config.data_dir_for("postgresql://u:one@db.lab/papers")
    b = config.data_dir_for("postgresql://u:two@db.lab/papers")
    c = config.data_dir_for("postgresql://u@db.lab/other")
    assert a == b != c and a is not None and a.name.startswith("papers-") and c is not None
    assert c.name.startswith("other-")


def test_sqlite_users_never_load_psycopg(tmp_path: Path) -> None:
    code = ("import sys; from click.testing import CliRunner; from paperradar.cli import cli; "
            f"from paperradar.store import open_store; open_store({str(tmp_path / 'x.db')!r}).close(); "
            f"r = CliRunner().invoke(cli, ['--db', {str(tmp_path / 'x.db')!r}, 'stats']); "
            "r2 = CliRunner().invoke(cli, ['--help']); "
            "print(r.exit_code, r2.exit_code, 'psycopg' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.stdout.split() == ["0", "0", "False"], done.stderr


def test_stopped_server_is_a_clear_error_and_a_restart_is_used_again(tmp_path: Path) -> None:
    cluster = throwaway_pg.start()
    try:
        store = open_store(cluster.url())
        with store.transaction():
            store.insert_papers([paper(1)], NOW)
        cluster.pg_ctl("stop", "-m", "fast", "-w")
        with pytest.raises(StoreError, match="store postgresql://") as caught:
            store.count_papers()
        assert "Traceback" not in str(caught.value)
        with pytest.raises(StoreError), store.transaction():
            store.insert_papers([paper(2)], NOW)
        cluster.pg_ctl("start", "-w", "-l", str(cluster.root / "server.log"), "-o",
                       f"-k {cluster.socket_dir} -c listen_addresses='' -c fsync=off")
        deadline = time.monotonic() + 20
        while True:  # the pool drops the broken connections and makes new ones
            try:
                with store.transaction():
                    store.insert_papers([paper(2)], NOW)
                break
            except StoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert store.count_papers() == 2
        store.close()
    finally:
        cluster.stop()
