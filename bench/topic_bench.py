"""Topic digest benchmark: speed, faithfulness, coverage, selection precision, entities.

    python bench/topic_bench.py --db PATH [--deepseek-db PATH] [--until D] [--days N] [--json]

``--db`` must have a search index (``paperradar index``). For each topic (5 by default):
build the offline digest (72 papers at most) with a warm index (opened and the query
model loaded once), time it, and check

- faithfulness: every cited id in the selection; every entity URL in its introducing (or
  first) paper's title/abstract/comment; every entity name in each of its papers' text;
- coverage: share of selected papers cited in a theme paragraph (not only "Also");
- selection precision by rule: a selected paper is on-topic when its title or abstract holds
  every content word of the query (stemmed) or the query's acronym; hand-judged figures are
  in docs/benchmarks.md;
- entities against DeepSeek's ``method`` and ``result`` fields (imported summaries in
  ``--deepseek-db``): their Latin-script names (tokens with an inner capital or a digit, not a
  field acronym), recall = share of those our list has for the paper, precision = share of our
  named entities (links excluded) they also name.

Then one digest with ``--n 500`` on a broad query, and peak RSS. Opening the index and the
process's first digest (imports, first model load) are timed apart from the topics.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperradar.digest.topic import TopicRequest, build_topic, render_topic  # noqa: E402
from paperradar.digest.topic.entities import is_name  # noqa: E402
from paperradar.index.search import SearchIndex  # noqa: E402
from paperradar.index.state import index_dir  # noqa: E402
from paperradar.index.text import stem, words  # noqa: E402
from paperradar.store import open_store  # noqa: E402

TOPICS = ["large language model agents", "diffusion models", "graph neural networks",
          "reinforcement learning", "speech recognition"]
BROAD = "deep learning"
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.+][A-Za-z0-9]+)*")
_CONTENT_STOP = {"model", "models", "learning", "the", "of", "for", "and"}


def on_topic(query: str, text: str) -> bool:
    stems = {stem(w.lower()) for w in words(text)}
    content = [w.lower() for w in words(query) if w.lower() not in _CONTENT_STOP] or words(query)
    acronym = "".join(w[0] for w in words(query)).lower()
    return all(stem(w) in stems for w in content) or (len(acronym) > 2 and acronym in text.lower())


def check(d) -> dict:
    ids = {p.arxiv_id for p in d.papers}
    by_id = d.by_id()
    cited = {i for t in d.themes for s in t.sentences for i in s.papers}
    cited_all = cited | {i for s in d.outlook for i in s.papers} | set(d.also)
    urls_ok = all(any(e.url in by_id[i].text() for i in (e.introduced_in or e.papers)) for e in d.entities
                  if e.url)
    names_ok = all(e.name in by_id[i].text() for e in d.entities for i in e.papers)
    return {"papers": len(ids), "themes": len(d.themes), "also": len(d.also),
            "cited_in_selection": cited_all <= ids, "urls_in_cited_text": urls_ok,
            "entity_names_in_text": names_ok,
            "coverage_themes": round(len(cited & ids) / max(len(ids), 1), 3),
            "entities": len(d.entities), "precision_rule": round(
                sum(on_topic(d.query, f"{p.paper.title} {p.paper.abstract}") for p in d.papers)
                / max(len(ids), 1), 3)}


def entity_agreement(digests, ds_store) -> dict:
    from paperradar.digest.topic.entities import GENERIC

    hit_r = tot_r = hit_p = tot_p = 0
    for d in digests:
        ids = [p.arxiv_id for p in d.papers]
        summaries = ds_store.summaries_for(ids)
        ours: dict[str, set[str]] = {i: set() for i in ids}
        for e in d.entities:
            if e.kind in ("code", "data") and e.url:
                continue
            for i in e.papers:
                ours[i].add(e.name.lower())
        for i in ids:
            imported = [s for s in summaries.get(i, []) if s.source == "imported"]
            if not imported:
                continue
            text = f"{imported[0].method} {imported[0].result}"
            theirs = {t.lower() for t in _LATIN.findall(text) if is_name(t) and t not in GENERIC}
            hit_r += len(theirs & ours[i])
            tot_r += len(theirs)
            hit_p += len(ours[i] & theirs)
            tot_p += len(ours[i])
    return {"recall": round(hit_r / max(tot_r, 1), 3), "precision": round(hit_p / max(tot_p, 1), 3),
            "their_names": tot_r, "our_names": tot_p}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--deepseek-db", help="store with the imported DeepSeek summaries (default: --db)")
    ap.add_argument("--until")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    store = open_store(args.db)
    t0 = time.perf_counter()
    index = SearchIndex.open(store, index_dir(args.db))
    index.search("warm up", k=1)
    opened = time.perf_counter() - t0
    # the first digest of a process also pays for imports (scikit-learn's k-means, the templates)
    # and the role model's first load: timed apart, on a query the timed topics do not use
    t0 = time.perf_counter()
    first = build_topic(index, TopicRequest("neural networks", n=30, until=args.until, days=args.days))
    for fmt in ("md", "html", "json"):
        render_topic(first, fmt)
    out: dict = {"open_s": round(opened, 2), "first_digest_s": round(time.perf_counter() - t0, 2),
                 "indexed_papers": len(index.docs), "dense": index.ranker.has_dense, "topics": {}}
    digests = []
    for q in TOPICS:
        t0 = time.perf_counter()
        d = build_topic(index, TopicRequest(q, n=72, until=args.until, days=args.days))
        for fmt in ("md", "html", "json"):
            render_topic(d, fmt)
        seconds = time.perf_counter() - t0
        out["topics"][q] = {"seconds": round(seconds, 2), **check(d)}
        digests.append(d)
    ds = open_store(args.deepseek_db) if args.deepseek_db else store
    out["entities_vs_deepseek"] = entity_agreement(digests, ds)
    t0 = time.perf_counter()
    big = build_topic(index, TopicRequest(BROAD, n=500, until=args.until, days=args.days))
    render_topic(big, "md")
    out["broad_500"] = {"query": BROAD, "seconds": round(time.perf_counter() - t0, 2), **check(big)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for key, value in out.items():
        if key == "topics":
            for q, row in value.items():
                print(f"{q}: {row}")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
