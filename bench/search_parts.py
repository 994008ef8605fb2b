"""Where a cold ``/search`` page spends its CPU, in one process and one thread, part by part.

    OMP_NUM_THREADS=1 PAPERRADAR_THREADS=1 python bench/search_parts.py --db web.db --data-dir web.data \\
        [--queries 200] [--warm 50]

Queries are stored papers' title phrases and 1-4 word fragments (as ``bench/web_bench.py`` asks),
each asked once after ``--warm`` others: ``SearchIndex.search`` (ranking, query embedding,
snippets), highlighting (``views.search_hits``), the template, and the page bytes + gzip, each
as wall and CPU milliseconds per query; the query embedding and the snippets are also timed
inside the search. The web bench's server CPU per request minus these is HTTP and the framework.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import paperradar.index.search as search_module  # noqa: E402
import paperradar.web.app as app_module  # noqa: E402
from paperradar.index.search import SearchIndex  # noqa: E402
from paperradar.index.state import index_dir  # noqa: E402
from paperradar.store import open_store  # noqa: E402
from paperradar.web import views  # noqa: E402
from paperradar.web.links import Links  # noqa: E402
from paperradar.web.render import render  # noqa: E402


def queries(titles: list[str], seed: int = 0) -> list[str]:
    """A third whole titles, the rest 1-4 word fragments of them."""
    rng = random.Random(seed)
    out = []
    for i, title in enumerate(titles):
        w = title.split()
        if i % 3 == 0 or len(w) < 4:
            out.append(" ".join(w))
        else:
            start = rng.randrange(0, len(w) - 3)
            out.append(" ".join(w[start:start + rng.randint(1, 4)]))
    return out


class Clock:
    """Wall and CPU seconds per named part."""

    def __init__(self) -> None:
        self.parts: dict[str, list[float]] = {}

    def time(self, name: str, fn: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn()
        finally:
            acc = self.parts.setdefault(name, [0.0, 0.0])
            acc[0] += time.perf_counter() - wall
            acc[1] += time.process_time() - cpu

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *a, **k: self.time(name, lambda: fn(*a, **k))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--data-dir", help="the store's data folder (default: next to --db)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--warm", type=int, default=50)
    args = ap.parse_args()
    store = open_store(args.db, read_only=True)
    folder = Path(args.data_dir) / "index" if args.data_dir else index_dir(args.db)
    index = SearchIndex.open(store, folder)
    rng = random.Random(0)
    ids = [d.arxiv_id for d in rng.sample(index.docs, min(len(index.docs), args.queries + args.warm))]
    asked = queries([p.title for p in store.get_papers(ids).values()])
    warm, timed = asked[:args.warm], asked[args.warm:]
    for q in warm:
        index.search(q + " warm", k=app_module.PAGE_SIZE + 1)
    clock = Clock()
    index.ranker.embed_query = clock.wrap("  query embedding", index.ranker.embed_query)
    search_module.snippet = clock.wrap("  snippets", search_module.snippet)
    for q in timed:
        results = clock.time("SearchIndex.search", lambda q=q: index.search(q, k=app_module.PAGE_SIZE + 1))
        hits = clock.time("highlighting", lambda r=results: views.search_hits(r[:app_module.PAGE_SIZE]))
        form = app_module.SearchForm(q, "hybrid", "", "", "", "", 1)
        body = clock.time("template", lambda f=form, h=hits, q=q: render(
            "search.html.j2", Links(), [("Search", "/feeds/search.atom")], form=f, hits=h, query=q,
            modes=("hybrid", "bm25", "dense"), message=None, note=None, first=1, prev_url=None,
            next_url=None))
        clock.time("page bytes + gzip", lambda b=body: app_module._make(b, app_module.HTML))
    n = len(timed)
    print(f"{n} cold queries on {len(index.docs)} papers; per query:")
    for name, (wall, cpu) in clock.parts.items():
        print(f"{name:22s} wall {wall * 1000 / n:6.2f} ms   CPU {cpu * 1000 / n:6.2f} ms")


if __name__ == "__main__":
    main()
