"""Web app load benchmark: `paperradar serve` on loopback under a bounded load generator.

    nice python bench/web_bench.py [--workdir /tmp/pr_web_bench] [--workers 2] [--clients 16]
                                   [--seconds 30] [--queries 6000] [--single-seconds 10]
                                   [--real-vectors] [--routes search,search_warm,day,paper]
                                   [--client raw|httpx] [--json]

Builds (once, kept in ``--workdir``) a store of every day in ``../shared/data`` with its
search index (random unit vectors of MiniLM's shape unless ``--real-vectors``; queries are
always embedded by MiniLM; an index already in ``--workdir`` keeps the model it was built
with), starts ``paperradar serve --workers N`` on 127.0.0.1, then for each route runs
``--clients`` concurrent keep-alive clients for ``--seconds`` (never longer: every loop is
bounded by the deadline) and reports requests/s, p50/p99 latency and the 1-minute load average:

- ``/search?q=...`` with distinct real queries (title phrases and 1-4 word fragments of stored
  papers), each asked once: cold, the search page cache never answers (``cache_hits`` 0),
- ``search_warm``: 100 of those queries over and over, after 5 s to fill the cache (warm),
- ``/day/<the day closest to 300 papers>``,
- ``/paper/<id>`` over that day's papers,

then the same routes with one client (``--single-seconds``, latency without queueing).
Clients read the bytes as sent (gzip) without decompressing them: a reader's browser does
that on its own machine, and here it would take the server's cores. For the same reason the
default client is a minimal keep-alive HTTP/1.1 reader (``--client raw``); ``--client httpx``
is the first version's, which spent about twice the server's CPU on every cached page. Each
route also reports the CPU milliseconds per request of the server's workers and of the load
generator (from ``/proc``), since both share the machine.

Beside it: the in-process time of ``SearchIndex.search`` for 200 of the queries (so the web
overhead is visible), and memory per worker process: RSS, PSS (shared pages divided
among the processes mapping them) and USS (private pages: what that worker alone adds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

DAYS = REPO.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"


def setup(workdir: Path, real_vectors: bool) -> tuple[Path, Path]:
    """The store and its index. Without ``real_vectors`` the dense side holds random unit vectors
    labelled with the real model's space: queries are still embedded by MiniLM and every
    product is the same size, so timings are those of a real index (embedding 14k abstracts
    takes an hour on a busy 2-core machine); similar papers and rankings are then meaningless."""
    import numpy as np

    from paperradar.embed import make_embedder
    from paperradar.index.dense import VectorStore
    from paperradar.index.state import catch_up, content_hash, document_text, read_state
    from paperradar.ingest import ingest_paths
    from paperradar.store import open_store

    db, data = workdir / "web.db", workdir / "web.data"
    store = open_store(str(db))
    if store.count_papers() == 0:
        ingest_paths(store, sorted(DAYS.glob("*.jsonl.gz")))
    t0 = time.perf_counter()
    spec = (read_state(data / "index") or {}).get("embedder") if real_vectors else None
    model = make_embedder(spec)  # an index already built (e.g. with onnx:128) keeps its model
    if real_vectors:
        report = catch_up(store, data / "index", model, spec=spec)
    else:
        report = catch_up(store, data / "index", None)
        vectors = VectorStore(data / "index")
        papers = list(store.iter_papers())
        meta = vectors.meta()
        if meta is None or meta["space"] != model.space or len(vectors.load()[0]) != len(papers):
            vectors.reset(model.space, model.dim)
            rng = np.random.default_rng(0)
            vec = rng.normal(size=(len(papers), model.dim)).astype(np.float32)
            vec /= np.linalg.norm(vec, axis=1, keepdims=True)
            vectors.append([(p.arxiv_id, content_hash(document_text(p))) for p in papers], vec)
    print(f"index: {report.as_dict()} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    store.close()
    return db, data


def pick_targets(db: Path, data: Path, n_queries: int) -> tuple[str, list[str], list[str], dict]:
    """The ~300-paper day, paper ids of it, mixed real queries, and in-process search times."""
    from paperradar.days import day_infos
    from paperradar.index.search import SearchIndex
    from paperradar.store import open_store

    store = open_store(str(db), read_only=True)
    infos = day_infos(store)
    day = min(infos, key=lambda d: abs(d.papers - 300))
    ids = list(dict.fromkeys(x.arxiv_id for x in store.listings_on(day.date)))
    rng = random.Random(0)
    everyone = [p.arxiv_id for p in store.iter_papers()]
    sample = rng.sample(everyone, min(len(everyone), 3 * n_queries))
    titles = [p.title for p in store.get_papers(sample).values()]
    queries: list[str] = []
    for i, title in enumerate(titles):
        words = title.split()
        if i % 3 == 0 or len(words) < 4:
            query = " ".join(words)
        else:
            start = rng.randrange(0, len(words) - 3)
            query = " ".join(words[start:start + rng.randint(1, 4)])
        if query and query not in queries:
            queries.append(query[:300])
        if len(queries) == n_queries:
            break
    index = SearchIndex.open(store, data / "index")
    index.search("warm up the model", k=21)
    times = []
    for q in queries[:200]:
        t0 = time.perf_counter()
        index.search(q, k=21)
        times.append((time.perf_counter() - t0) * 1000)
    store.close()
    return day.date, ids, queries, {"papers_on_day": day.papers, **summary(times, 0)}


def summary(latencies_ms: list[float], seconds: float) -> dict:
    if not latencies_ms:
        return {"requests": 0}
    ordered = sorted(latencies_ms)
    out = {"requests": len(ordered), "p50_ms": round(statistics.median(ordered), 1),
           "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)}
    if seconds:
        out["req_per_s"] = round(len(ordered) / seconds, 1)
    return out


class RawClient:
    """A keep-alive HTTP/1.1 client of a few lines: GET, read the head, read Content-Length
    bytes. The load generator shares the cores with the server; httpx spends ~2 ms of CPU on a
    cached page (twice the server's own work), this one a small fraction of that, so more of
    the machine measures the server."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, dict[str, str]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          "Accept-Encoding: gzip\r\n\r\n".encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {}
        for line in head[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise RuntimeError(f"{path}: response without Content-Length ({headers})")
        await self.reader.readexactly(int(headers["content-length"]))
        return status, headers

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


class HttpxClient:
    """The same interface over httpx (``--client httpx``), reading the bytes as sent."""

    def __init__(self, base: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30, headers={"accept-encoding": "gzip"})

    async def get(self, path: str) -> tuple[int, httpx.Headers]:
        async with self.http.stream("GET", path) as r:
            async for _ in r.aiter_raw():  # the bytes as sent: decompressing is the reader's work
                pass
        return r.status_code, r.headers

    async def close(self) -> None:
        await self.http.aclose()


async def load(base: str, paths: list[str], clients: int, seconds: float, kind: str = "raw") -> dict:
    """``clients`` keep-alive clients cycling through ``paths`` until the deadline."""
    latencies: list[float] = []
    errors = hits = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal errors, hits
        http = RawClient(base) if kind == "raw" else HttpxClient(base)
        try:
            i = n
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                status, headers = await http.get(paths[i % len(paths)])
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += status != 200
                hits += headers.get("x-search-cache") == "hit"
                i += clients
        finally:
            await http.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    out = summary(latencies, time.perf_counter() - started)
    out["errors"] = errors
    out["cache_hits"] = hits
    out["load_avg_1m"] = round(os.getloadavg()[0], 1)
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_loop(coro: Coroutine[Any, Any, dict]) -> dict:
    """Run the load on uvloop when it is there (as the server does), else on asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def measured(pids: list[int], base: str, paths: list[str], clients: int, seconds: float,
             kind: str = "raw") -> dict:
    """:func:`load`'s figures plus the CPU milliseconds per request the server's workers and this
    load generator each spent (both share the machine's cores: the client's share is CPU the
    server did not get)."""
    each0, client0 = [cpu_seconds([p]) for p in pids], time.process_time()
    out = run_loop(load(base, paths, clients, seconds, kind))
    each = [cpu_seconds([p]) - before for p, before in zip(pids, each0, strict=True)]
    server, client = sum(each), time.process_time() - client0
    out["server_cpu_s_per_worker"] = [round(x, 1) for x in each]  # how evenly the connections fell
    if out.get("requests"):
        out["server_cpu_ms_per_request"] = round(server * 1000 / out["requests"], 2)
        out["client_cpu_ms_per_request"] = round(client * 1000 / out["requests"], 2)
    return out


def memory(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if parts[0].rstrip(":") in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"rss_mb": round(fields["Rss"], 1), "pss_mb": round(fields["Pss"], 1),
            "uss_mb": round(fields["Private_Clean"] + fields["Private_Dirty"], 1)}


def workers_of(pid: int) -> list[int]:
    """uvicorn's worker processes: children of the supervisor (excluding its resource tracker)."""
    out = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmd = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"multiprocessing.resource_tracker" not in cmd:
            out.append(int(child))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", default="/tmp/pr_web_bench")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--queries", type=int, default=6000,
                    help="distinct search queries: the headline search figures are cold (each query once)")
    ap.add_argument("--single-seconds", type=float, default=10.0,
                    help="seconds per route of the single-client latency run (0: none)")
    ap.add_argument("--routes", default="search,search_warm,day,paper",
                    help="comma-separated subset of the routes to load (default: all four)")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="load generator: a minimal keep-alive HTTP/1.1 client (default) or httpx, which "
                         "costs about twice the server's CPU per cached page on the same cores")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--real-vectors", action="store_true",
                    help="embed every paper with MiniLM (slow) instead of random vectors of the same shape")
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db, data = setup(workdir, args.real_vectors)
    date, ids, queries, in_process = pick_targets(db, data, args.queries)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "paperradar", "-q", "--db", str(db), "--data-dir", str(data),
               "serve", "--port", str(port), "--workers", str(args.workers)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict = {"workers": args.workers, "clients": args.clients, "client": args.client,
                     "seconds": args.seconds,
                     "vectors": "real" if args.real_vectors else "random (timing only)",
                     "day": date, "in_process_search": in_process}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        from urllib.parse import urlencode

        for _ in range(args.workers * 4):  # load the index and the model in every worker
            httpx.get(base + "/search?q=warm+up", timeout=60)
        workers = workers_of(proc.pid)
        results["memory_idle"] = [memory(p) for p in workers]
        routes = {
            "search": [f"/search?{urlencode({'q': q})}" for q in queries],  # distinct: cold
            "search_warm": [f"/search?{urlencode({'q': q})}" for q in queries[:100]],  # repeated: cached
            "day": [f"/day/{date}"],
            "paper": [f"/paper/{pid}" for pid in ids],
        }
        results["load_avg_start"] = [round(x, 1) for x in os.getloadavg()]
        wanted = [name.strip() for name in args.routes.split(",") if name.strip()]
        unknown = sorted(set(wanted) - set(routes))
        if unknown:
            raise SystemExit(f"--routes: unknown route(s) {', '.join(unknown)}; "
                             f"choose from {', '.join(routes)}")
        for name in wanted:
            paths = routes[name]
            if name == "search_warm":  # fill the result cache first, then measure hits only
                run_loop(load(base, paths, args.clients, min(args.seconds, 5), args.client))
            results[name] = measured(workers, base, paths, args.clients, args.seconds, args.client)
        if args.single_seconds > 0:
            single = {"search": [f"/search?{urlencode({'q': q + ' survey'})}" for q in queries],
                      "day": routes["day"], "paper": routes["paper"]}
            results["single_client"] = {
                name: measured(workers, base, paths, 1, args.single_seconds, args.client)
                for name, paths in single.items() if name in wanted}
        results["memory_after"] = [memory(p) for p in workers_of(proc.pid)]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.workers} workers, {args.clients} clients, {args.seconds:.0f} s per route; day {date} "
          f"({in_process['papers_on_day']} papers)")
    for name in wanted:
        r = results[name]
        print(f"{name:11s} {r.get('req_per_s', 0):7.1f} req/s  p50 {r.get('p50_ms')} ms  "
              f"p99 {r.get('p99_ms')} ms  errors {r['errors']}  cache hits {r['cache_hits']}  "
              f"load {r['load_avg_1m']}  CPU ms/request: server {r.get('server_cpu_ms_per_request')}, "
              f"client {r.get('client_cpu_ms_per_request')}")
    for name, r in results.get("single_client", {}).items():
        print(f"1 client {name:7s} p50 {r.get('p50_ms')} ms  p99 {r.get('p99_ms')} ms  "
              f"load {r['load_avg_1m']}")
    print(f"in-process SearchIndex.search: p50 {in_process['p50_ms']} ms  p99 {in_process['p99_ms']} ms")
    for i, m in enumerate(results["memory_after"], 1):
        print(f"worker {i}: RSS {m['rss_mb']} MB  PSS {m['pss_mb']} MB  USS (its own) {m['uss_mb']} MB")


if __name__ == "__main__":
    main()
