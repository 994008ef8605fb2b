"""The keyword index is a list of immutable segments (issue 13): a catch-up writes only its
delta, merges keep the segments few, and whatever the history the index reads exactly as a
rebuild from scratch; damage to any segment is named and repaired; an index from before
segments is read and caught up as it is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from indexkit import ingest_day
from test_index_delta import WORDS, TinyEmbedder

from paperradar.index import segments
from paperradar.index.search import SearchIndex
from paperradar.index.segments import BASE, Segment, live_rows, merge_plan
from paperradar.index.state import catch_up, check, read_keyword, read_state
from paperradar.models import Paper
from paperradar.store import open_store

QUERIES = ["graph neural network", "robot policy", "language model retrieval", "speech diffusion"]


def _paper(n: int, edit: int = 0) -> Paper:
    words = " ".join(WORDS[(n * 7 + k * (edit + 1)) % len(WORDS)] for k in range(5 + n % 4))
    extra = f" Revised {edit} times with {WORDS[edit % len(WORDS)]}s." if edit else ""
    return Paper(arxiv_id=f"2606.{n:05d}", title=f"On {WORDS[n % len(WORDS)]} {n}", authors=(f"A{n}",),
                 abstract=f"We study {words} for task {n}.{extra}", categories=("cs.LG",), version=1 + edit,
                 primary_category="cs.LG", submitted="2026-06-01")


def _terms(folder: Path) -> list[tuple[str, dict[str, float]]]:
    docs, counts, vocab = read_keyword(folder)
    return [(d.as_json(), {vocab.words[j]: float(v) for j, v in zip(counts[i].indices, counts[i].data,
                                                                     strict=True)})
            for i, d in enumerate(docs)]


def _same_as_rebuild(store, folder: Path, rebuilt: Path, dense: bool) -> None:  # type: ignore[no-untyped-def]
    catch_up(store, rebuilt, TinyEmbedder() if dense else None, rebuild=True)
    health = check(folder, deep=True, full=True)
    assert health.ok, health.summary()
    assert _terms(folder) == _terms(rebuilt)  # rows, their order and every term count
    a = SearchIndex.open(store, folder, embedder=TinyEmbedder(), share=False)
    b = SearchIndex.open(store, rebuilt, embedder=TinyEmbedder(), share=False)
    for query in QUERIES:
        for mode in ("bm25", "hybrid") if dense else ("bm25",):
            mine, theirs = a.search(query, k=10, mode=mode), b.search(query, k=10, mode=mode)
            assert [r.arxiv_id for r in mine] == [r.arxiv_id for r in theirs], (query, mode)
            assert [r.score for r in mine] == pytest.approx([r.score for r in theirs], abs=1e-5)


def test_merge_plan_is_a_binary_counter() -> None:
    def run(days: int, delta: int) -> tuple[list[int], int]:
        sizes, rewritten = [10 * delta], 0
        for _ in range(days):
            sizes.append(delta)
            n = merge_plan([Segment(f"kw.{i:06d}", r, 0) for i, r in enumerate(sizes)])
            if n > 1:
                rewritten += sum(sizes[-n:])
                sizes = [*sizes[:-n], sum(sizes[-n:])]
            assert all(a > b for a, b in zip(sizes, sizes[1:], strict=False)), sizes
        return sizes, rewritten

    sizes, rewritten = run(7, 100)
    assert sizes == [1000, 400, 200, 100]  # 7 = 0b111
    sizes, rewritten = run(200, 100)
    assert len(sizes) <= 8 and sum(sizes) == 1000 + 200 * 100
    assert rewritten <= 8 * 200 * 100  # each row rewritten O(log) times, not once per catch-up
    many = [Segment(f"kw.{i:06d}", 1000 - i, 0) for i in range(segments.MAX_SEGMENTS + 1)]
    assert merge_plan(many) == len(many)


def test_keys_of_any_id_round_trip(tmp_path: Path) -> None:
    ids = ["2606.00001", "odd\nid\twith \u00e9", ""]
    names = segments.write_segment(tmp_path, "kw.000001", ['{"a": 1}', '{"b": 2}', '{"c": 3}'], ids,
                                   ["h 0", "h 1", "h 2"], sp.csr_matrix(np.eye(3, dtype=np.float32)), ["t"])
    part = segments.read_segment((tmp_path / names[0]).read_bytes(), (tmp_path / names[1]).read_bytes(),
                                 full=True)
    assert part.ids == ids and part.tags == ["h 0", "h 1", "h 2"] and part.keyed
    assert part.counts is not None and part.counts.shape == (3, 3)
    assert sp.load_npz(tmp_path / names[1]).shape == (3, 3)  # still scipy's layout
    with pytest.raises(ValueError, match="keys"):
        segments.read_segment(b'{"a": 1}\n', (tmp_path / names[1]).read_bytes(), full=False)


def test_live_rows_newest_wins_in_id_order() -> None:
    assert live_rows(["a", "b", "c"]) is None
    assert live_rows(["b", "d", "a", "b", "c"]).tolist() == [2, 3, 4, 1]
    assert live_rows([]) is None


@pytest.mark.parametrize("dense", [False, True], ids=["keyword", "hybrid"])
def test_daily_catch_ups_append_segments_merge_and_read_as_a_rebuild(tmp_path: Path, dense: bool) -> None:
    store = open_store(str(tmp_path / "s.db"))
    folder = tmp_path / "index"
    embedder = TinyEmbedder() if dense else None
    try:
        ingest_day(store, [_paper(n) for n in range(1, 201)], "2026-06-01")
        first = catch_up(store, folder, embedder)
        assert first.tokenised == 200
        assert [s["name"] for s in read_state(folder)["keyword"]["segments"]] == [BASE]
        base_inode = (folder / "bm25_counts.npz").stat().st_ino
        edited: dict[int, int] = {}
        seen_counts = []
        listed_before: set[str] = set()
        merged: list[int] = []
        for day in range(2, 12):
            new = [_paper(n) for n in range(200 + 10 * day, 210 + 10 * day)]
            replace = [_paper(n, edited.setdefault(n, 0) + 1) for n in (day * 3, day * 5 % 190 + 1)]
            for p in replace:
                edited[int(p.arxiv_id[-5:])] = p.version - 1
            ingest_day(store, new, f"2026-06-{day:02d}", replace=replace)
            report = catch_up(store, folder, embedder)
            merged.append(report.merged)
            assert report.read_from_store == len(new) + len(replace)
            assert report.tokenised == len(new) + len(replace)  # the delta only, never the whole index
            if dense:
                assert report.embedded == len(new) + len(replace)
            state = read_state(folder)
            names = [s["name"] for s in state["keyword"]["segments"]]
            seen_counts.append(len(names))
            assert names[0] == BASE and (folder / "bm25_counts.npz").stat().st_ino == base_inode
            assert len(names) <= 5, names  # merges keep them few
            rows = [s["rows"] for s in state["keyword"]["segments"]]
            assert all(a > b for a, b in zip(rows, rows[1:], strict=False)), rows
            on_disk = {p.name for p in folder.iterdir() if p.name.startswith("kw.")}
            listed = {n for s in state["keyword"]["segments"] if s["name"] != BASE for n in
                      Segment(s["name"], 0, 0).files}
            # merged-away files go a catch-up later, so a reader of the state before still finds them
            assert listed <= on_disk <= listed | listed_before, (on_disk, listed, listed_before)
            listed_before = listed
        assert max(seen_counts) >= 3 and report.papers == 200 + 10 * 10
        assert sum(merged) > 0 and all(m < 200 for m in merged)  # the first segment never rewritten
        _same_as_rebuild(store, folder, tmp_path / "rebuilt", dense)
        # an unchanged store: nothing written, nothing read but the listing-only rows
        again = catch_up(store, folder, embedder)
        assert (again.tokenised, again.embedded) == (0, 0)
    finally:
        store.close()


def test_a_damaged_later_segment_is_named_and_repaired(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    folder = tmp_path / "index"
    try:
        ingest_day(store, [_paper(n) for n in range(1, 101)], "2026-06-01")
        catch_up(store, folder, TinyEmbedder())
        ingest_day(store, [_paper(n) for n in range(101, 111)], "2026-06-02", replace=[_paper(3, 1)])
        catch_up(store, folder, TinyEmbedder())
        last = read_state(folder)["keyword"]["segments"][-1]["name"]
        assert last != BASE
        docs_file = folder / f"{last}.docs.jsonl"
        docs_file.write_bytes(docs_file.read_bytes()[:-20])
        health = check(folder, deep=True)
        assert not health.keyword_ok and docs_file.name in health.summary(), health.summary()
        report = catch_up(store, folder, TinyEmbedder())
        assert any(docs_file.name in r for r in report.repaired), report.repaired
        assert report.embedded == 0  # the vectors were intact: only the keyword side is rebuilt
        _same_as_rebuild(store, folder, tmp_path / "rebuilt", True)
        ingest_day(store, [_paper(111)], "2026-06-03")
        catch_up(store, folder, TinyEmbedder())
        # the damaged segment, no longer listed, was removed (its name is free for the new one)
        assert check(folder, deep=True, full=True).ok
        assert [s["rows"] for s in read_state(folder)["keyword"]["segments"]] == [110, 1]
    finally:
        store.close()


def test_files_of_a_catch_up_killed_before_its_state_are_ignored_then_removed(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    folder = tmp_path / "index"
    try:
        ingest_day(store, [_paper(n) for n in range(1, 61)], "2026-06-01")
        catch_up(store, folder, None)
        before = (folder / "state.json").read_bytes()
        # what a catch-up that died after writing its segment (and before state.json) leaves
        segments.write_segment(folder, "kw.000007", ['{"id": "x"}'], ["x"], ["0 0"],
                               sp.csr_matrix(np.ones((1, 1), dtype=np.float32)), ["zz"])
        assert (folder / "state.json").read_bytes() == before and check(folder, deep=True).ok
        ingest_day(store, [_paper(n) for n in range(61, 71)], "2026-06-02")
        catch_up(store, folder, None)
        assert not (folder / "kw.000007.docs.jsonl").exists()
        names = [s["name"] for s in read_state(folder)["keyword"]["segments"]]
        assert len(names) == 2 and names[0] == BASE
        _same_as_rebuild(store, folder, tmp_path / "rebuilt", False)
    finally:
        store.close()


def test_an_index_from_before_segments_is_read_and_caught_up(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    folder = tmp_path / "index"
    try:
        ingest_day(store, [_paper(n) for n in range(1, 81)], "2026-06-01")
        catch_up(store, folder, TinyEmbedder())
        # rewrite it as format 2 wrote it: counts without keys, no segment list
        path = folder / "bm25_counts.npz"
        with np.load(path) as z:
            matrix = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        sp.save_npz(path, matrix, compressed=False)
        state = read_state(folder)
        del state["keyword"]
        state["format"] = 2
        data = path.read_bytes()
        import zlib

        state["files"]["bm25_counts.npz"] = {"bytes": len(data), "crc32": f"{zlib.crc32(data):08x}"}
        (folder / "state.json").write_text(json.dumps(state))
        health = check(folder, deep=True)
        assert health.ok, health.summary()
        assert len(health.docs or []) == 80
        ingest_day(store, [_paper(n) for n in range(81, 91)], "2026-06-02", replace=[_paper(5, 1)])
        report = catch_up(store, folder, TinyEmbedder())
        assert (report.read_from_store, report.tokenised, report.embedded) == (11, 11, 11)
        assert read_state(folder)["format"] == 3
        # rewritten once with its keys: later catch-ups read them, never its lines
        assert [s["name"] for s in read_state(folder)["keyword"]["segments"]] != [BASE]
        assert not check(folder, assemble=False).keyword.unkeyed  # type: ignore[union-attr]
        _same_as_rebuild(store, folder, tmp_path / "rebuilt", True)
    finally:
        store.close()


def test_a_check_whose_state_changed_under_it_runs_again(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that read state.json, then found its segments changed (a catch-up finished in
    between), checks the new state instead of calling the index damaged."""
    import paperradar.index.state as state_module

    store = open_store(str(tmp_path / "s.db"))
    folder = tmp_path / "index"
    try:
        ingest_day(store, [_paper(n) for n in range(1, 41)], "2026-06-01")
        catch_up(store, folder, None)
        ingest_day(store, [_paper(n) for n in range(41, 81)], "2026-06-02")
        real = segments.read_segment
        calls = []

        def read_while_a_catch_up_lands(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 1:
                monkeypatch.setattr(state_module, "read_segment", real)
                catch_up(store, folder, None)
                monkeypatch.setattr(state_module, "read_segment", read_while_a_catch_up_lands)
                raise ValueError("simulated: these bytes were replaced while read")
            return real(*args, **kwargs)

        monkeypatch.setattr(state_module, "read_segment", read_while_a_catch_up_lands)
        health = check(folder)
        assert len(calls) >= 2 and health.ok and len(health.docs or []) == 80, health.summary()
        def always_damaged(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise ValueError("simulated: damaged for good")

        monkeypatch.setattr(state_module, "read_segment", always_damaged)
        assert not check(folder).ok  # damage that stays is still damage (no endless retries)
    finally:
        store.close()
