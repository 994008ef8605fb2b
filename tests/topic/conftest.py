"""One small real store + index shared by the topic, trending and schedule tests.

Three real days, cut to the papers about agents, diffusion or graphs plus some ordinary
ones (about 260 papers), so that each test topic has 30-100 papers; one paper gets a
hostile title. Embedded once per session with the bundled MiniLM.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from paperradar.embed import OnnxMiniLM
from paperradar.index.state import catch_up, index_dir
from paperradar.ingest import ingest_records
from paperradar.models import Record
from paperradar.sources import parse_path
from paperradar.store import open_store

TOPIC_DAYS = ["2026-06-29", "2026-06-30", "2026-07-01"]
TOPIC_WORDS = {"agent": 30, "diffusion": 26, "graph": 26, "reinforcement learning": 20}
ORDINARY = 10  # per day
HOSTILE_TITLE = ('<script>alert("x")</script> Large Language Model Agents **bold** '
                 '[link](javascript:alert(1)) '
                 '& <b>co</b>')


def _pick(records: list[Record]) -> list[Record]:
    quota = dict(TOPIC_WORDS)
    keep, ordinary = [], 0
    for rec in records:
        text = f"{rec.paper.title} {rec.paper.abstract}".lower()
        hit = next((w for w in quota if w in text and quota[w] > 0), None)
        if hit:
            quota[hit] -= 1
            keep.append(rec)
        elif ordinary < ORDINARY and not any(w in text for w in TOPIC_WORDS):
            ordinary += 1
            keep.append(rec)
    return keep


@pytest.fixture(scope="session")
def topic_db(tmp_path_factory, days_dir: Path) -> Path:
    db = tmp_path_factory.mktemp("topic") / "papers.db"
    store = open_store(str(db))
    hostile_done = False
    for day in TOPIC_DAYS:
        records = [r for r in parse_path(days_dir / f"{day}.jsonl.gz") if isinstance(r, Record)]
        chosen = _pick(records)
        if not hostile_done:
            first = next(i for i, r in enumerate(chosen) if "agent" in r.paper.abstract.lower())
            rec = chosen[first]
            hostile = dataclasses.replace(rec.paper, title=HOSTILE_TITLE)
            chosen[first] = dataclasses.replace(rec, paper=hostile)
            hostile_done = True
        ingest_records(store, chosen, day)
    catch_up(store, index_dir(str(db)), OnnxMiniLM(threads=2), spec="onnx")
    store.close()
    return db


@pytest.fixture(scope="session")
def hostile_title() -> str:
    return HOSTILE_TITLE
