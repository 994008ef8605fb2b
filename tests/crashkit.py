"""Kill -9 at chosen points of a paperradar job, rerun it, and compare with a clean run.

Used by tests/test_crash_safety.py (3 kill points per job) and bench/crash_soak.py
(20 or more). Run as a script, this module is the *driver*: it runs one
``paperradar`` command line in this process with

- the clock pinned (so the timestamps stored by a crashed-then-rerun job equal a
  clean run's, and stores can be compared row for row), and
- kill points: every store write (``transaction`` begin and end, each write
  method) and every ``os.fsync`` (index files and vector chunks are fsynced
  before they are renamed or keyed) counts one event; with ``--kill-at N`` the
  process sends itself SIGKILL at event N, without any cleanup, as ``kill -9``
  would. ``--events FILE`` records how many events a whole run had.

    python tests/crashkit.py [--kill-at N] [--events FILE] [--embed-chunk N] -- ARGS...

The library half (:func:`run`, :class:`Job`, :func:`dump`, :class:`OaiServer`)
runs the driver in child processes and compares the results.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DAYS = SHARED / "arxiv_daily_ai_enhanced" / "days"
OAI_CS = (
    SHARED
    / "arxiv_protocol_samples"
    / "oai_pmh"
    / "listrecords_arXiv_set-cs_2015-01-16_invenio-oaiharvester.xml"
)
PINNED = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
WRITE_METHODS = (
    "insert_papers",
    "replace_papers",
    "add_listings",
    "upsert_summaries",
    "upsert_code_links",
    "set_meta",
)
QUERIES = (
    "graph neural network",
    "language model reasoning",
    "reinforcement learning robot",
    "image segmentation",
    "quantum",
)


# -- the driver (child process) ------------------------------------------------------------------


class _Points:
    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def _install(points: _Points) -> None:
    import paperradar.clock as clock
    from paperradar.store.sqlite import SQLiteStore

    clock.utcnow = lambda: PINNED  # type: ignore[assignment]
    classes: list[type] = [SQLiteStore]
    with contextlib.suppress(ImportError):
        from paperradar.store.postgres import PostgresStore

        classes.append(PostgresStore)
    for cls in classes:
        original_tx = cls.transaction

        def transaction(self, _orig=original_tx):  # type: ignore[no-untyped-def]
            @contextlib.contextmanager
            def block() -> Iterator[None]:
                points()
                with _orig(self):
                    yield
                points()

            return block()

        cls.transaction = transaction  # type: ignore[method-assign]
        for name in WRITE_METHODS:
            method = getattr(cls, name)

            def write(self, *args, _orig=method, **kwargs):  # type: ignore[no-untyped-def]
                points()
                return _orig(self, *args, **kwargs)

            setattr(cls, name, write)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        points()
        real_fsync(fd)
        points()

    os.fsync = fsync  # type: ignore[assignment]


def _limit_sqlite(pages: int) -> None:
    """Every SQLite store this process opens can grow to ``pages`` pages only: a full disk."""
    from paperradar.store.sqlite import SQLiteStore

    original = SQLiteStore._migrate

    def migrate(self):  # type: ignore[no-untyped-def]
        original(self)
        self.conn.execute(f"PRAGMA max_page_count={pages}")

    SQLiteStore._migrate = migrate  # type: ignore[method-assign]


def _driver(argv: list[str]) -> int:
    kill_at, events, chunk = 0, None, None
    while argv and argv[0] != "--":
        flag, value, argv = argv[0], argv[1], argv[2:]
        if flag == "--kill-at":
            kill_at = int(value)
        elif flag == "--events":
            events = value
        elif flag == "--embed-chunk":
            chunk = int(value)
        elif flag == "--max-pages":
            _limit_sqlite(int(value))
        elif flag == "--patch":  # MODULE.NAME=INT, e.g. paperradar.enrich.job.FLUSH_EVERY=3
            import importlib

            target, number = value.split("=")
            module, name = target.rsplit(".", 1)
            setattr(importlib.import_module(module), name, int(number))
    argv = argv[1:]
    points = _Points(kill_at)
    _install(points)
    if chunk:
        import paperradar.index.state as state

        code = state.catch_up.__code__
        defaults = list(state.catch_up.__defaults__ or ())
        names = code.co_varnames[code.co_argcount - len(defaults):code.co_argcount]
        defaults[names.index("chunk")] = chunk  # catch_up(..., chunk=EMBED_CHUNK, ...)
        state.catch_up.__defaults__ = tuple(defaults)
    from paperradar.cli import cli

    code = 0
    try:
        cli.main(args=argv, prog_name="paperradar", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if events:
        Path(events).write_text(str(points.count))
    return code


# -- running jobs (parent) -----------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    events: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


def run(
    args: list[str],
    kill_at: int = 0,
    embed_chunk: int | None = None,
    timeout: float = 120,
    tmp: Path | None = None,
    extra: tuple[str, ...] = (),
) -> Run:
    """Run ``paperradar ARGS`` through the driver in a child process."""
    events = Path(tmp or "/tmp") / f"crashkit-events-{os.getpid()}-{threading.get_ident()}"
    events.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--kill-at",
        str(kill_at),
        "--events",
        str(events),
    ]
    if embed_chunk:
        command += ["--embed-chunk", str(embed_chunk)]
    command += list(extra)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    done = subprocess.run(
        [*command, "--", "-q", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    count = int(events.read_text()) if events.exists() else -1
    events.unlink(missing_ok=True)
    return Run(done.returncode, count, done.stdout, done.stderr)


@dataclass
class Job:
    """One job: the state it starts from (``setup``: commands, run unkilled), its command, and the
    command that reruns it after a crash (``rerun``, given the store; default: the same command)."""

    name: str
    setup: list[list[str]]
    command: list[str]
    rerun: Callable[[str], list[str]] | None = None
    embed_chunk: int | None = None
    index: bool = False  # compare search results too
    extra: tuple[str, ...] = ()  # driver options


def small_day_file(folder: Path, name: str, lines: int, source: Path) -> Path:
    """The first ``lines`` records of a daily file, as a file of its own (small, real input)."""
    import gzip

    with gzip.open(source, "rt", encoding="utf-8") as fh:
        head = [line for _, line in zip(range(lines), fh, strict=False)]
    target = folder / name
    target.write_text("".join(head), encoding="utf-8")
    return target


def jobs(folder: Path, oai_url: str) -> dict[str, Job]:
    """The jobs, on small real inputs: two days (plain and AI-enhanced files), a 3-page OAI-PMH
    harvest of the real 46-record sample, 12 / 8 papers to summarize / index, and an index
    catch-up of 3 papers that merges keyword segments."""
    day_files = [
        str(DAYS / f)
        for f in (
            "2026-04-27.jsonl.gz",
            "2026-04-27_AI_enhanced_Chinese.jsonl.gz",
            "2026-05-04.jsonl.gz",
            "2026-05-04_AI_enhanced_Chinese.jsonl.gz",
        )
    ]
    few = small_day_file(folder, "2026-05-04.jsonl", 12, DAYS / "2026-05-04.jsonl.gz")
    eight = small_day_file(folder, "2026-04-29.jsonl", 8, DAYS / "2026-04-29.jsonl.gz")
    three_a = small_day_file(folder, "2026-05-01.jsonl", 3, DAYS / "2026-05-01.jsonl.gz")
    three_b = small_day_file(folder, "2026-05-06.jsonl", 3, DAYS / "2026-05-06.jsonl.gz")
    fetch = ["fetch", "oai", "--set", "cs", "--from", "2015-01-16", "--delay", "0", "--base-url", oai_url]

    def fetch_rerun(location: str) -> list[str]:
        from paperradar.sources.harvest import load_oai_state
        from paperradar.store import open_store

        store = open_store(location, read_only=True)
        try:
            state = load_oai_state(store)
        finally:
            store.close()
        return ["fetch", "oai", "--resume", "--delay", "0"] if state and state.get("token") else fetch

    return {
        "ingest": Job("ingest", [], ["ingest", *day_files]),
        "fetch": Job("fetch", [], fetch, rerun=fetch_rerun),
        "summarize": Job(
            "summarize",
            [["ingest", str(few)]],
            ["summarize", "--all", "--backend", "extractive"],
            extra=("--patch", "paperradar.enrich.job.FLUSH_EVERY=3"),
        ),
        "index": Job("index", [["ingest", str(eight)]], ["index"], embed_chunk=2, index=True),
        # a catch-up that appends a keyword segment and merges it with the one before (8, 3, +3)
        "index-delta": Job("index-delta", [["ingest", str(eight)], ["index"], ["ingest", str(three_a)],
                                           ["index"], ["ingest", str(three_b)]], ["index"], embed_chunk=2,
                           index=True),
        # an index with passage vectors: paper vectors 2 at a time, then passages 3 at a time
        "index-passages": Job("index-passages", [["ingest", str(eight)]], ["index", "--passages"],
                              embed_chunk=2, index=True,
                              extra=("--patch", "paperradar.index.passages.CHUNK=3")),
    }


def global_args(location: str, data_dir: Path) -> list[str]:
    return ["--db", location, "--data-dir", str(data_dir)]


def prepare(job: Job, location: str, data_dir: Path, tmp: Path) -> None:
    for step in job.setup:
        done = run([*global_args(location, data_dir), *step], tmp=tmp)
        assert done.returncode == 0, done.stderr


def clean_run(job: Job, location: str, data_dir: Path, tmp: Path) -> int:
    """Set up and run ``job`` without a kill; the number of kill points it passed."""
    prepare(job, location, data_dir, tmp)
    done = run(
        [*global_args(location, data_dir), *job.command],
        embed_chunk=job.embed_chunk,
        tmp=tmp,
        extra=job.extra,
    )
    assert done.returncode == 0, done.stderr
    return done.events


@dataclass
class Outcome:
    kill_at: int
    killed: bool
    reruns: int
    matched: bool
    differences: list[str] = field(default_factory=list)


def crash_run(job: Job, location: str, data_dir: Path, kill_at: int, tmp: Path) -> Run:
    """Set up, run ``job`` killed at point ``kill_at``, then rerun it (unkilled) until it succeeds."""
    prepare(job, location, data_dir, tmp)
    first = run(
        [*global_args(location, data_dir), *job.command],
        kill_at=kill_at,
        embed_chunk=job.embed_chunk,
        tmp=tmp,
        extra=job.extra,
    )
    again = job.rerun(location) if job.rerun else job.command
    second = run(
        [*global_args(location, data_dir), *again], embed_chunk=job.embed_chunk, tmp=tmp, extra=job.extra
    )
    assert "Traceback" not in second.stderr, second.stderr
    assert second.returncode == 0, second.stderr
    return first


# -- comparing stores -----------------------------------------------------------------------------

TABLE_NAMES = ("papers", "paper_history", "listings", "summaries", "code_links", "meta", "vectors")


def dump(location: str, data_dir: Path, index: bool, embedder: object | None = None) -> dict:
    """Everything a run leaves that a user sees: every table's rows in key order, and (``index``)
    the index's health and the top results of a few searches in each mode."""
    from paperradar.index.dense import VectorStore
    from paperradar.index.passages import FOLDER as PASSAGES
    from paperradar.index.search import SearchIndex
    from paperradar.index.state import check
    from paperradar.store import open_store
    from paperradar.store.copy import table_rows

    store = open_store(location, read_only=True)
    try:
        out: dict = {name: table_rows(store, name) for name in TABLE_NAMES}
        if index:
            folder = data_dir / "index"
            health = check(folder, deep=True, full=True)  # trusting no checkpoint the run wrote
            out["index_ok"] = health.ok
            out["index_problems"] = [str(p) for p in health.problems]
            passages = VectorStore(folder / PASSAGES)
            if passages.meta() is not None:  # every paper's passages once: none lost, none twice
                out["passage rows"] = sorted(passages.load()[0])
            found = SearchIndex.open(store, folder, embedder=embedder)  # type: ignore[arg-type]
            for mode in ("bm25", "dense", "hybrid"):
                for query in QUERIES:
                    out[f"search {mode} {query}"] = [
                        (r.arxiv_id, round(r.score, 4)) for r in found.search(query, k=10, mode=mode)
                    ]
    finally:
        store.close()
    return out


def differences(clean: dict, other: dict) -> list[str]:
    """What differs, one line per part (empty: equal)."""
    out = []
    for key in clean:
        a, b = clean[key], other.get(key)
        if a != b:
            if isinstance(a, list) and isinstance(b, list):
                missing = [x for x in a if x not in b][:2]
                extra = [x for x in b if x not in a][:2]
                out.append(
                    f"{key}: {len(a)} rows clean, {len(b)} after the crash; missing {missing}, extra {extra}"
                )
            else:
                out.append(f"{key}: {a!r} != {b!r}")
    return out


# -- an OAI-PMH server on 127.0.0.1 serving the real sample in 3 pages -----------------------------


def oai_pages() -> list[bytes]:
    text = OAI_CS.read_text(encoding="utf-8")
    head = text[: text.index("<ListRecords>") + len("<ListRecords>")]
    records = re.findall(r"<record>.*?</record>\n", text, flags=re.DOTALL)
    chunks = [records[:16], records[16:32], records[32:]]
    pages = []
    for i, chunk in enumerate(chunks):
        token = (
            (
                f'<resumptionToken cursor="{i * 16}" completeListSize="{len(records)}">tok-{i + 1}'
                "</resumptionToken>\n"
            )
            if i < 2
            else f'<resumptionToken cursor="{i * 16}" completeListSize="{len(records)}"/>\n'
        )
        pages.append((head + "\n" + "".join(chunk) + token + "</ListRecords>\n</OAI-PMH>\n").encode())
    return pages


class OaiServer:
    """``with OaiServer() as url``: ListRecords in 3 pages (tokens tok-1, tok-2) on 127.0.0.1."""

    def __init__(self) -> None:
        pages = oai_pages()
        self.requests = 0

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.requests += 1
                query = parse_qs(urlsplit(self.path).query)
                token = (query.get("resumptionToken") or [""])[0]
                body = pages[{"tok-1": 1, "tok-2": 2}.get(token, 0)]
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/oai"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def report_line(job: str, backend: str, outcomes: list[Outcome]) -> str:
    killed = sum(o.killed for o in outcomes)
    matched = sum(o.matched for o in outcomes)
    return json.dumps(
        {
            "job": job,
            "backend": backend,
            "kills_tried": len(outcomes),
            "killed": killed,
            "reruns_matched": matched,
        }
    )


if __name__ == "__main__":
    sys.exit(_driver(sys.argv[1:]))
