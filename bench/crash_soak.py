"""Crash soak: ``kill -9`` at many random points of each job, rerun, compare with a clean run.

The longer version of tests/test_crash_safety.py (same driver, tests/crashkit.py):
for each job (ingest, fetch, summarize, index, index-delta, index-passages) and backend, one clean run counts
the kill points (store writes and fsyncs), then ``--kills`` of them, drawn at
random (``--seed``), are each tried on a fresh store: kill there, rerun, compare
every table and the search results with the clean run. Prints one JSON line per
job and backend: kills tried, processes really killed, reruns that matched.

    nice .venv/bin/python bench/crash_soak.py [--kills 20]
        [--jobs ingest,fetch,summarize,index,index-delta,index-passages]
        [--backends sqlite,postgresql] [--seed 13]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import crashkit  # noqa: E402  (tests/crashkit.py)
import pg_cluster  # noqa: E402  (tests/pg_cluster.py: the throwaway cluster)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20, help="kill points per job and backend")
    ap.add_argument("--jobs", default="ingest,fetch,summarize,index,index-delta,index-passages")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--seed", default="13")
    args = ap.parse_args()
    backends = args.backends.split(",")
    cluster = pg_cluster.start() if "postgresql" in backends else None
    embedder = None
    try:
        with tempfile.TemporaryDirectory(prefix="crash-soak-") as tmp, crashkit.OaiServer() as url:
            folder = Path(tmp)
            jobs = crashkit.jobs(folder, url)
            for name in args.jobs.split(","):
                job = jobs[name]
                if job.index and embedder is None:
                    from paperradar.embed import make_embedder

                    embedder = make_embedder("onnx")
                for backend in backends:
                    counter = iter(range(10**6))

                    def location(backend: str = backend, counter=counter, name: str = name) -> str:
                        if backend == "sqlite":
                            return str(folder / f"{name}-{next(counter)}.db")
                        assert cluster is not None
                        return cluster.new_store_url()

                    clean, clean_data = location(), folder / f"{name}-{backend}-clean.data"
                    total = crashkit.clean_run(job, clean, clean_data, folder)
                    reference = crashkit.dump(clean, clean_data, job.index, embedder)
                    rng = random.Random(f"{args.seed}-{name}-{backend}")
                    points = sorted(rng.sample(range(1, total + 1), min(args.kills, total)))
                    outcomes = []
                    for n, point in enumerate(points):
                        where, data = location(), folder / f"{name}-{backend}-{n}.data"
                        try:
                            first = crashkit.crash_run(job, where, data, point, folder)
                            diff = crashkit.differences(
                                reference, crashkit.dump(where, data, job.index, embedder)
                            )
                        except AssertionError as exc:  # the rerun failed
                            outcomes.append(crashkit.Outcome(point, True, 1, False, [str(exc)[:300]]))
                            continue
                        outcomes.append(crashkit.Outcome(point, first.killed, 1, not diff, diff))
                        if diff:
                            print(f"# {name} {backend} point {point}: {diff}", file=sys.stderr)
                    line = crashkit.report_line(name, backend, outcomes)
                    print(line[:-1] + f', "kill_points": {total}}}', flush=True)
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
