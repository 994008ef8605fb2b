"""Where the store is, and what each command does when it cannot be there.

Through the real CLI (click's runner on ``paperradar.cli:cli``) and real files:

- a ``--db`` / ``$PAPERRADAR_DB`` whose parent is a file, or that is a folder:
  a one-line error, no traceback, for reading and writing commands alike;
- a mistyped path: reading commands (``stats``, ``digest``, ``search``,
  ``export``) say there is no store and create nothing; writing ones create it;
- a read-only store file, or file and folder: reading commands still read it
  (SQLite ``mode=ro``, falling back to ``immutable=1`` when even the ``-shm``
  file cannot be made), writing commands (``ingest``, ``summarize``, ``index``)
  say why they cannot write.

Making a file read-only so that it holds for root: the suite runs as root in
CI, where ``chmod 444`` stops nothing. Under root the fixture sets the
immutable attribute (``chattr +i``), which the kernel enforces for root too;
as any other user it uses ``chmod``. Either way it then *checks* that the file
really cannot be opened for writing (and the folder cannot take a new file)
before the test goes on, and skips with the reason when the filesystem or the
container allows neither. The tests that need no such help (opening with
``mode=ro`` refuses writes at the SQLite level, the messages, the
no-creation rules) always run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from paperradar.cli import cli
from paperradar.models import Listing, Paper, Summary
from paperradar.store import SQLiteStore, StoreError, StoreNotFound, open_store

FIXTURES = Path(__file__).parent / "fixtures"
DAY = "2026-06-01"
N_PAPERS = 5

READING = {
    "stats": ["stats", "--json"],
    "digest daily": ["digest", "daily"],
    "digest site": ["digest", "site", "--out", "{tmp}/site"],
    "search": ["search", "model", "--mode", "bm25"],
    "export": ["export", "--date", DAY, "-o", "-"],
}
WRITING = {
    "ingest": ["ingest", str(FIXTURES / "rss_cs.AI.xml")],
    "summarize": ["summarize"],
    "index": ["index", "--no-dense"],
}


def invoke(db: str | Path | None, args: list[str], tmp: Path, env: dict[str, str] | None = None) -> Result:
    argv = ["-q", "--data-dir", str(tmp / "data")]
    if db is not None:
        argv += ["--db", str(db)]
    result = CliRunner().invoke(cli, argv + [a.replace("{tmp}", str(tmp)) for a in args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def make_store(path: Path) -> None:
    store = open_store(str(path))
    papers = [Paper(f"2606.{n:05d}", f"A model of thing {n}", ("A. Author",), f"We model thing {n}.",
                    ("cs.CL",), version=1, primary_category="cs.CL") for n in range(N_PAPERS)]
    with store.transaction():
        store.insert_papers(papers, "2026-06-01T00:00:00Z")
        store.add_listings([Listing(p.arxiv_id, DAY, "cs.CL", i) for i, p in enumerate(papers)])
        store.upsert_summaries([Summary(papers[0].arxiv_id, "extractive", "lead", "English", "tl;dr", "m",
                                        "me", "r", "c", 1, "", "2026-06-01T00:00:00Z")])
    store.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the path is not a place for a store ------------------------------------------


@pytest.mark.parametrize("command", [*READING, *WRITING])
def test_db_under_a_file_is_a_clear_error(tmp_path: Path, command: str) -> None:
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    db = tmp_path / "notes.txt" / "papers.db"
    args = {**READING, **WRITING}[command]
    for result in (invoke(db, args, tmp_path),
                   invoke(None, args, tmp_path, env={"PAPERRADAR_DB": str(db)})):
        assert result.exit_code == 1, result.output
        assert f"{tmp_path / 'notes.txt'} is a file, not a folder" in result.output


def test_db_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    for args in (READING["stats"], WRITING["ingest"]):
        result = invoke(tmp_path, args, tmp_path)
        assert result.exit_code == 1 and "is a folder, not a store file" in result.output


# -- a mistyped path --------------------------------------------------------------


@pytest.mark.parametrize("command", list(READING))
def test_reading_commands_do_not_create_a_store(tmp_path: Path, command: str) -> None:
    for db in (tmp_path / "typo.db", tmp_path / "no" / "such" / "folder" / "papers.db"):
        result = invoke(db, READING[command], tmp_path)
        assert result.exit_code == 1
        assert f"no store at {db}" in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # no store, folder, sidecar or data dir


def test_reading_commands_on_an_in_memory_store_say_there_is_nothing(tmp_path: Path) -> None:
    result = invoke(":memory:", READING["stats"], tmp_path)
    assert result.exit_code == 1 and "in-memory store" in result.output


def test_writing_commands_create_the_store_and_its_folders(tmp_path: Path) -> None:
    db = tmp_path / "new" / "folder" / "papers.db"
    result = invoke(db, WRITING["ingest"], tmp_path)
    assert result.exit_code == 0, result.output
    assert db.is_file()
    stats = invoke(db, READING["stats"], tmp_path)
    assert stats.exit_code == 0 and json.loads(stats.output)["papers"] == 4


def test_open_store_create_false_and_read_only(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFound, match="no store at"):
        open_store(str(tmp_path / "x.db"), create=False)
    with pytest.raises(StoreNotFound):
        open_store(str(tmp_path / "x.db"), read_only=True)
    assert not (tmp_path / "x.db").exists()
    make_store(tmp_path / "x.db")
    store = open_store(str(tmp_path / "x.db"), create=False)
    assert not store.read_only and store.count_papers() == N_PAPERS
    store.close()


# -- read-only opening without OS help: SQLite itself refuses -----------------------


def test_read_only_open_is_mode_ro_at_the_sqlite_level(tmp_path: Path) -> None:
    """Opened with ``read_only=True`` the connection is SQLite ``mode=ro``: even a raw
    statement that bypasses the store's own guard is refused by SQLite (this holds
    for root, since SQLite, not file permissions, refuses); the store's write
    methods say so as a :class:`StoreError`; the file does not change."""
    db = tmp_path / "s.db"
    make_store(db)
    before = digest(db)
    store = open_store(str(db), read_only=True)
    try:
        assert isinstance(store, SQLiteStore) and store.read_only and not store.immutable
        assert store.count_papers() == N_PAPERS
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        with pytest.raises(StoreError, match="opened read-only"):
            store.set_meta("k", "v")
        with pytest.raises(StoreError, match="opened read-only"), store.transaction():
            pass
    finally:
        store.close()
    assert digest(db) == before


def test_read_only_open_of_a_broken_or_future_store(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        open_store(str(bogus), read_only=True)
    future = tmp_path / "future.db"
    make_store(future)
    with sqlite3.connect(future) as conn:
        conn.execute("PRAGMA user_version=999")
    with pytest.raises(StoreError, match="newer than this paperradar"):
        open_store(str(future), read_only=True)
    result = invoke(future, READING["stats"], tmp_path)
    assert result.exit_code == 1 and "newer than this paperradar" in result.output


def test_read_only_open_upgrades_an_old_writable_store(tmp_path: Path) -> None:
    """A store from before the schema (here: an empty SQLite file) is migrated through
    a writable connection when its file allows, then read read-only."""
    old = tmp_path / "old.db"
    old.touch()
    store = open_store(str(old), read_only=True)
    try:
        assert store.read_only and store.count_papers() == 0
    finally:
        store.close()
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SQLiteStore.SCHEMA_VERSION


# -- read-only files and folders, for real -------------------------------------------


def _try_write(path: Path) -> bool:
    """Whether this process can still write ``path`` (a file) or create a file in it (a folder)."""
    try:
        if path.is_dir():
            probe = path / ".write-probe"
            probe.touch()
            probe.unlink()
        else:
            with path.open("r+b"):
                pass
    except OSError:
        return False
    return True


@pytest.fixture
def make_read_only() -> Iterator[Callable[..., None]]:
    """Make paths read-only in a way that holds for the current user (root included)."""
    done: list[Path] = []
    as_root = os.geteuid() == 0

    def undo(path: Path) -> None:
        if as_root:
            subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)

    def apply(*paths: Path) -> None:
        for path in paths:
            if as_root:
                try:
                    done_ok = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
                except FileNotFoundError:
                    done_ok = False
                if not done_ok:
                    pytest.skip("running as root and `chattr +i` is not available here: cannot make a "
                                "file read-only for root")
            else:
                path.chmod(0o555 if path.is_dir() else 0o444)
            done.append(path)
            if _try_write(path):
                pytest.skip(f"{path} is still writable after making it read-only (filesystem ignores it)")

    yield apply
    for path in reversed(done):
        undo(path)


@pytest.fixture
def read_only_store(tmp_path: Path) -> Path:
    folder = tmp_path / "shelf"
    folder.mkdir()
    db = folder / "papers.db"
    make_store(db)
    assert sorted(p.name for p in folder.iterdir()) == ["papers.db"]  # WAL files gone on close
    return db


def _reading_commands_work(db: Path, tmp: Path) -> None:
    stats = invoke(db, READING["stats"], tmp)
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output)["papers"] == N_PAPERS
    daily = invoke(db, READING["digest daily"], tmp)
    assert daily.exit_code == 0 and f"# arXiv digest: {DAY}" in daily.output
    site = invoke(db, READING["digest site"], tmp)
    assert site.exit_code == 0 and (tmp / "site" / f"{DAY}.html").is_file()
    search = invoke(db, READING["search"], tmp)  # builds its index in the (writable) data dir
    assert search.exit_code == 0 and "A model of thing" in search.output
    export = invoke(db, READING["export"], tmp)
    assert export.exit_code == 0 and json.loads(export.output)["id"] == "2606.00000"


def _writing_commands_refuse(db: Path, tmp: Path, reason: str) -> None:
    for name, args in WRITING.items():
        result = invoke(db, args, tmp)
        assert result.exit_code == 1, (name, result.output)
        assert f"cannot write to store {db}: {reason}" in result.output, (name, result.output)
        assert "commands that only read it" in result.output


def test_read_only_file_in_a_writable_folder(tmp_path: Path, read_only_store: Path,
                                             make_read_only: Callable[..., None]) -> None:
    """``mode=ro``: SQLite can still make the -shm beside the file, so it reads normally."""
    before = digest(read_only_store)
    make_read_only(read_only_store)
    store = open_store(str(read_only_store), read_only=True)
    assert isinstance(store, SQLiteStore) and not store.immutable and store.count_papers() == N_PAPERS
    store.close()
    _reading_commands_work(read_only_store, tmp_path)
    _writing_commands_refuse(read_only_store, tmp_path, "the file is read-only")
    assert digest(read_only_store) == before


def test_read_only_file_in_a_read_only_folder(tmp_path: Path, read_only_store: Path,
                                              make_read_only: Callable[..., None]) -> None:
    """No -wal/-shm can be made: plain ``mode=ro`` fails with "unable to open database
    file", so the store is read with ``immutable=1``."""
    before = digest(read_only_store)
    make_read_only(read_only_store, read_only_store.parent)
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        conn = sqlite3.connect(f"{read_only_store.as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master")
        finally:
            conn.close()
    store = open_store(str(read_only_store), read_only=True)
    assert isinstance(store, SQLiteStore) and store.immutable and store.count_papers() == N_PAPERS
    store.close()
    _reading_commands_work(read_only_store, tmp_path)
    _writing_commands_refuse(read_only_store, tmp_path, "the file is read-only")
    assert sorted(p.name for p in read_only_store.parent.iterdir()) == ["papers.db"]
    assert digest(read_only_store) == before


def test_writable_file_in_a_read_only_folder(tmp_path: Path, read_only_store: Path,
                                             make_read_only: Callable[..., None]) -> None:
    """The file could be written, but SQLite's WAL files could not be made beside it."""
    make_read_only(read_only_store.parent)
    _writing_commands_refuse(read_only_store, tmp_path, f"its folder {read_only_store.parent} is read-only")
    stats = invoke(read_only_store, READING["stats"], tmp_path)
    assert stats.exit_code == 0 and json.loads(stats.output)["papers"] == N_PAPERS


def test_new_store_in_a_read_only_folder(tmp_path: Path, make_read_only: Callable[..., None]) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    make_read_only(folder)
    result = invoke(folder / "sub" / "papers.db", WRITING["ingest"], tmp_path)
    assert result.exit_code == 1 and f"the folder {folder} is read-only" in result.output


# -- SQLite specifics: what transaction() sends ------------------------------------


def test_nested_transactions_are_savepoints(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "t.db"))
    assert isinstance(store, SQLiteStore)
    sent: list[str] = []
    store.conn.set_trace_callback(lambda sql: sent.append(sql.split()[0] + (
        " " + sql.split()[1] if sql.split()[0] in ("BEGIN", "ROLLBACK") else "")))
    with store.transaction():
        with store.transaction():
            store.set_meta("a", "1")
        try:
            with store.transaction():
                store.set_meta("b", "1")
                raise KeyError
        except KeyError:
            pass
    store.conn.set_trace_callback(None)
    assert [s for s in sent if s != "INSERT"] == [
        "BEGIN IMMEDIATE", "SAVEPOINT", "RELEASE", "SAVEPOINT", "ROLLBACK TO", "RELEASE", "COMMIT",
    ]
    assert (store.get_meta("a"), store.get_meta("b")) == ("1", None)
    store.close()


def test_inner_block_reports_a_transaction_sqlite_rolled_back(tmp_path: Path) -> None:
    """When SQLite ends the whole transaction itself (disk full, I/O error; here a raw
    ROLLBACK stands in), the inner block says so instead of letting the caller go on
    writing outside any transaction."""
    store = open_store(str(tmp_path / "t.db"))
    assert isinstance(store, SQLiteStore)
    with pytest.raises(StoreError, match="whole transaction was rolled back"), store.transaction():
        store.set_meta("outer", "1")
        try:
            with store.transaction():
                store.conn.execute("ROLLBACK")
                raise KeyError("disk full")
        except KeyError:
            pass
    assert store.get_meta("outer") is None
    with store.transaction():
        store.set_meta("outer", "2")
    assert store.get_meta("outer") == "2"
    store.close()
