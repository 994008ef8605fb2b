"""The contract every store backend must keep, one suite for all of them.

Each test takes the ``backend`` fixture, parametrised by backend name; a new
backend (PostgreSQL) adds its name to ``BACKENDS`` and a branch in
:func:`backend` that hands out a fresh, empty location, and must then pass
everything here unchanged. Tests talk to the store only through the
:class:`~paperradar.store.base.Store` protocol and :func:`open_store`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from paperradar.models import CodeLink, DeliveryRecord, Listing, Paper, ProfileRecord, Summary
from paperradar.store import GENERATION_KEY, Store, StoreError, open_store

BACKENDS = ["sqlite", "postgresql"]
NOW = "2026-06-01T00:00:00Z"
LATER = "2026-06-02T00:00:00Z"


@dataclass
class Backend:
    name: str
    location: str

    def open(self, **options: bool) -> Store:
        """A new store object (its own connection) on the same location."""
        return open_store(self.location, **options)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "contract.db"))
    if request.param == "postgresql":
        return Backend("postgresql", request.getfixturevalue("pg_cluster").new_store_url())
    raise AssertionError(f"no location for backend {request.param}")


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    s = backend.open()
    yield s
    s.close()


def paper(n: int, **changes: object) -> Paper:
    base: dict[str, object] = dict(
        arxiv_id=f"2606.{n:05d}", title=f"Paper {n}", authors=(f"Author {n}", "B. Second"),
        abstract=f"Abstract of paper {n}.", categories=("cs.CL", "cs.AI"), version=1,
        primary_category="cs.CL", comment=None, journal_ref=None, doi=None, license=None,
        submitted="2026-05-30", updated=None,
    )
    base.update(changes)
    return Paper(**base)  # type: ignore[arg-type]


def summary(n: int, language: str = "English", tldr: str = "short", **changes: object) -> Summary:
    base: dict[str, object] = dict(
        arxiv_id=f"2606.{n:05d}", source="llm", model="m", language=language, tldr=tldr,
        motivation="why", method="how", result="what", conclusion="so", paper_version=1,
        prompt_version="p1", created=NOW,
    )
    base.update(changes)
    return Summary(**base)  # type: ignore[arg-type]


def ids(*ns: int) -> list[str]:
    return [f"2606.{n:05d}" for n in ns]


# -- papers -----------------------------------------------------------------------


def test_papers_insert_get_iter_count(store: Store) -> None:
    assert store.count_papers() == 0 and list(store.iter_papers()) == []
    papers = [paper(n) for n in (3, 1, 2)]
    with store.transaction():
        store.insert_papers(papers, NOW)
    assert store.count_papers() == 3
    assert store.get_papers(ids(1, 2, 9)) == {p.arxiv_id: p for p in papers if p.arxiv_id in ids(1, 2)}
    assert [p.arxiv_id for p in store.iter_papers(batch=2)] == ids(1, 2, 3)  # ordered by id
    assert store.get_papers([]) == {}


def test_paper_fields_round_trip_including_unicode_and_nulls(store: Store) -> None:
    full = paper(1, title="Über 😀 models", authors=("Ł. Żółć", "李雷"), categories=("math.PR",),
                 comment="10 pages", journal_ref="J. 1", doi="10.1/x", license="CC-BY", updated="2026-06-01")
    bare = paper(2, version=None, primary_category=None, submitted=None)
    with store.transaction():
        store.insert_papers([full, bare], NOW)
    assert store.get_papers(ids(1, 2)) == {full.arxiv_id: full, bare.arxiv_id: bare}


def test_many_ids_are_looked_up_in_one_call(store: Store) -> None:
    papers = [paper(n) for n in range(1, 1201)]  # more than one parameter chunk
    with store.transaction():
        store.insert_papers(papers, NOW)
    assert len(store.get_papers([p.arxiv_id for p in papers])) == 1200


def test_replace_papers_keeps_versions_in_history(store: Store) -> None:
    v1 = paper(1)
    v2 = paper(1, version=2, title="Paper 1, revised", updated="2026-06-01")
    v3 = paper(1, version=3, abstract="Rewritten.", updated="2026-06-02")
    with store.transaction():
        store.insert_papers([v1, paper(2)], NOW)
    with store.transaction():
        store.replace_papers([(v1, v2)], NOW)
    with store.transaction():
        store.replace_papers([(v2, v3)], LATER)
    assert store.get_papers(ids(1))[v1.arxiv_id] == v3
    history = store.history(v1.arxiv_id)
    assert [(h.version, h.paper, h.replaced_at) for h in history] == [(1, v1, NOW), (2, v2, LATER)]
    assert store.history(paper(2).arxiv_id) == [] and store.count_papers() == 2


# -- listings ---------------------------------------------------------------------


def _listed_papers(store: Store, *ns: int) -> None:
    with store.transaction():
        store.insert_papers([paper(n) for n in ns], NOW)


def test_listings_add_idempotent_order_and_dates(store: Store) -> None:
    _listed_papers(store, 1, 2, 3)
    a, b, c = ids(1, 2, 3)
    day = [
        Listing(b, "2026-06-02", "cs.CL", 1, "cross-list"),
        Listing(a, "2026-06-02", "cs.CL", 0),
        Listing(a, "2026-06-02", "cs.AI", 0),
        Listing(c, "2026-06-02", "cs.AI", 2, "replacement"),
    ]
    earlier = [Listing(a, "2026-06-01", "cs.CL", 0)]
    with store.transaction():
        assert store.add_listings(day + earlier) == 5
    with store.transaction():
        assert store.add_listings(day) == 0  # re-adding the same listings changes nothing
    assert store.listings_on("2026-06-02") == [
        Listing(a, "2026-06-02", "cs.AI", 0), Listing(a, "2026-06-02", "cs.CL", 0),
        Listing(b, "2026-06-02", "cs.CL", 1, "cross-list"),
        Listing(c, "2026-06-02", "cs.AI", 2, "replacement"),
    ]
    assert store.listings_on("2026-05-01") == []
    assert store.listing_dates() == ["2026-06-01", "2026-06-02"]
    assert [(d.date, d.category, d.papers) for d in store.day_counts()] == [
        ("2026-06-01", "cs.CL", 1), ("2026-06-02", "cs.AI", 2), ("2026-06-02", "cs.CL", 2),
    ]
    assert store.first_listed([a, b, "2606.99999"]) == {a: "2026-06-01", b: "2026-06-02"}
    assert store.last_listed([a, b]) == {a: "2026-06-02", b: "2026-06-02"}


# -- summaries --------------------------------------------------------------------


def test_summaries_upsert_replace_and_not(store: Store) -> None:
    _listed_papers(store, 1, 2)
    first = summary(1)
    with store.transaction():
        assert store.upsert_summaries([first, summary(2)]) == 2
    with store.transaction():
        assert store.upsert_summaries([first]) == 0  # identical: not counted as a change
    changed = summary(1, tldr="better", created=LATER)
    with store.transaction():
        assert store.upsert_summaries([changed], replace=False) == 0  # kept the stored one
    assert store.summaries_for(ids(1))[first.arxiv_id] == [first]
    with store.transaction():
        assert store.upsert_summaries([changed]) == 1
    assert store.summaries_for(ids(1))[first.arxiv_id] == [changed]
    other_prompt = summary(1, prompt_version="p2", created=LATER)
    with store.transaction():
        assert store.upsert_summaries([other_prompt], replace=False) == 1  # a different key is new
    assert len(store.summaries_for(ids(1))[first.arxiv_id]) == 2


def test_summaries_for_language_newest_first(store: Store) -> None:
    _listed_papers(store, 1, 2)
    english = summary(1, created=NOW)
    chinese = summary(1, language="Chinese", tldr="短", created=LATER)
    with store.transaction():
        store.upsert_summaries([english, chinese, summary(2, language="Chinese")])
    everything = store.summaries_for(ids(1, 2, 3))
    assert everything[english.arxiv_id] == [chinese, english] and set(everything) == set(ids(1, 2))
    assert store.summaries_for(ids(1, 2), language="english") == {english.arxiv_id: [english]}
    assert store.summaries_for(ids(1), language="Chinese") == {chinese.arxiv_id: [chinese]}
    assert store.summaries_for([], language="English") == {}


# -- code links -------------------------------------------------------------------


def test_code_links_upsert_and_merge(store: Store) -> None:
    _listed_papers(store, 1, 2)
    a, b = ids(1, 2)
    with store.transaction():
        assert store.upsert_code_links([CodeLink(a, "https://github.com/x/a", 5, "2026-05-01"),
                                        CodeLink(b, "https://github.com/x/b")]) == 2
    with store.transaction():
        assert store.upsert_code_links([CodeLink(a, "https://github.com/x/a", 5, "2026-05-01")]) == 0
    with store.transaction():  # unknown stars/date keep the stored ones; a new url replaces
        assert store.upsert_code_links([CodeLink(a, "https://github.com/y/a")]) == 1
    with store.transaction():
        assert store.upsert_code_links([CodeLink(b, "https://github.com/x/b", 7)]) == 1
    assert store.code_links_for([a, b, "2606.99999"]) == {
        a: CodeLink(a, "https://github.com/y/a", 5, "2026-05-01"),
        b: CodeLink(b, "https://github.com/x/b", 7, None),
    }


# -- meta -------------------------------------------------------------------------


def test_meta_get_set(store: Store) -> None:
    assert store.get_meta(GENERATION_KEY) is None
    with store.transaction():
        store.set_meta(GENERATION_KEY, "1")
        store.set_meta("other", "x")
    with store.transaction():
        store.set_meta(GENERATION_KEY, "2")
    assert (store.get_meta(GENERATION_KEY), store.get_meta("other")) == ("2", "x")


def test_data_outlives_the_store_object(backend: Backend, store: Store) -> None:
    with store.transaction():
        store.insert_papers([paper(1)], NOW)
        store.set_meta("k", "v")
    store.close()
    again = backend.open()
    try:
        assert again.count_papers() == 1 and again.get_meta("k") == "v"
    finally:
        again.close()


# -- transactions -----------------------------------------------------------------


class Boom(Exception):
    pass


def test_outer_exception_rolls_back_everything(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        store.insert_papers([paper(1)], NOW)
        with store.transaction():
            store.set_meta("inner", "1")
        raise Boom
    assert store.count_papers() == 0 and store.get_meta("inner") is None


def test_inner_caught_exception_rolls_back_only_the_inner_block(store: Store) -> None:
    with store.transaction():
        store.insert_papers([paper(1)], NOW)
        try:
            with store.transaction():
                store.insert_papers([paper(2)], NOW)
                store.set_meta("inner", "1")
                raise Boom
        except Boom:
            pass
        store.insert_papers([paper(3)], NOW)
        with store.transaction():  # a later inner block still works and lands
            store.set_meta("after", "1")
    assert sorted(store.get_papers(ids(1, 2, 3))) == ids(1, 3)
    assert store.get_meta("inner") is None and store.get_meta("after") == "1"


def test_three_levels_each_all_or_nothing(store: Store) -> None:
    with store.transaction():
        store.set_meta("level", "1")
        with store.transaction():
            store.set_meta("level2", "yes")
            try:
                with store.transaction():
                    store.set_meta("level3", "yes")
                    store.set_meta("level", "3")
                    raise Boom
            except Boom:
                pass
            assert store.get_meta("level") == "1" and store.get_meta("level3") is None
    assert (store.get_meta("level"), store.get_meta("level2"), store.get_meta("level3")) == ("1", "yes", None)


def test_inner_exception_not_caught_undoes_all(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        store.set_meta("outer", "1")
        with store.transaction():
            store.set_meta("inner", "1")
            raise Boom
    assert store.get_meta("outer") is None and store.get_meta("inner") is None
    with store.transaction():  # the store is usable afterwards
        store.set_meta("outer", "2")
    assert store.get_meta("outer") == "2"


def test_failed_write_inside_inner_block_keeps_the_outer_one(store: Store) -> None:
    """A write the store itself refuses (a listing of an unknown paper) is undone
    with its block; the error surfaces; the outer block's writes still land."""
    with store.transaction():
        store.insert_papers([paper(1)], NOW)
        with pytest.raises(Exception), store.transaction():  # noqa: B017 - backend-specific error type
            store.add_listings([Listing("2606.99999", "2026-06-01", "cs.CL", 0)])
    assert store.count_papers() == 1 and store.listing_dates() == []


def test_read_only_store_refuses_writes(backend: Backend, store: Store) -> None:
    with store.transaction():
        store.insert_papers([paper(1)], NOW)
    reader = backend.open(read_only=True)
    try:
        assert reader.read_only and not store.read_only
        assert reader.count_papers() == 1
        for write in (lambda: reader.insert_papers([paper(2)], NOW), lambda: reader.set_meta("k", "v"),
                      lambda: reader.add_listings([]), lambda: reader.upsert_summaries([summary(1)]),
                      lambda: reader.upsert_code_links([]), lambda: reader.replace_papers([], NOW)):
            with pytest.raises(StoreError, match="read-only"):
                write()
        with pytest.raises(StoreError, match="read-only"), reader.transaction():
            pass
    finally:
        reader.close()
    assert store.count_papers() == 1 and store.get_meta("k") is None


# -- concurrency ------------------------------------------------------------------


@pytest.mark.parametrize("reader_mode", ["writable", "read_only"])
def test_concurrent_reader_sees_nothing_or_everything(backend: Backend, store: Store,
                                                      reader_mode: str) -> None:
    """A second store object, in another thread, reads while a transaction is
    being written: it sees the old state until the commit, then all of it, and
    is never told the database is locked."""
    total = 400
    papers = [paper(n) for n in range(1, total + 1)]
    with store.transaction():
        store.set_meta("seed", "0")  # the store exists before the reader opens it
    reader = backend.open(read_only=reader_mode == "read_only")
    seen: list[int] = []
    errors: list[BaseException] = []
    halfway, checked, committed, stop = (threading.Event() for _ in range(4))

    def read() -> None:
        try:
            while not stop.is_set():
                seen.append(reader.count_papers())
                if halfway.is_set() and not checked.is_set():
                    seen.append(-reader.count_papers() - 1)  # marks the mid-write reading
                    checked.set()
                if committed.is_set() and seen[-1] == total:
                    break
        except BaseException as exc:  # reported below
            errors.append(exc)
            checked.set()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        with store.transaction():
            for start in range(0, total, 50):
                store.insert_papers(papers[start:start + 50], NOW)
                if start == total // 2:
                    halfway.set()
                    assert checked.wait(10), "the reader did not read during the write"
        committed.set()
        thread.join(10)
    finally:
        stop.set()
        thread.join(10)
        reader.close()
    assert not errors, errors
    assert not thread.is_alive()
    assert -1 in seen  # read mid-write, and saw none of it
    assert {n for n in seen if n >= 0} <= {0, total}
    assert seen[-1] == total


# -- reader profiles (migration 0003) ------------------------------------------------


def test_profiles_put_get_list_and_replace_keeps_created(store: Store) -> None:
    from paperradar.models import ProfileRecord

    assert store.get_profile("ana") is None and store.list_profiles() == []
    with store.transaction():
        store.put_profile(ProfileRecord("ana", {"keywords": ["diffusion"], "note": "ü"}, NOW, NOW))
        store.put_profile(ProfileRecord("bo", {}, NOW, NOW))
    with store.transaction():
        store.put_profile(ProfileRecord("ana", {"keywords": ["graphs"]}, LATER, LATER))
    got = store.get_profile("ana")
    assert got is not None and got.settings == {"keywords": ["graphs"]}
    assert (got.created, got.updated) == (NOW, LATER)
    assert [p.name for p in store.list_profiles()] == ["ana", "bo"]


def test_library_items_upsert_order_and_count(store: Store) -> None:
    from paperradar.models import LibraryItem, ProfileRecord

    with store.transaction():
        store.put_profile(ProfileRecord("ana", {}, NOW, NOW))
        items = [LibraryItem("arxiv:2606.00001", "One", arxiv_id="2606.00001", source="seed", added=NOW),
                 LibraryItem("text:abc", "Two", "An abstract", ("A. B",), date="2024", source="x.bib#two",
                             added=NOW)]
        assert store.add_library_items("ana", items) == 2
        assert store.add_library_items("ana", items) == 0  # unchanged: nothing counted
        changed = LibraryItem("text:abc", "Two", "Edited", ("A. B",), date="2024", source="x.bib#two",
                              added=LATER)
        assert store.add_library_items("ana", [changed]) == 1
    got = store.library_items("ana")
    assert [i.key for i in got] == ["arxiv:2606.00001", "text:abc"]
    assert got[1].abstract == "Edited" and got[1].authors == ("A. B",) and got[1].added == NOW
    assert store.library_items("nobody") == []


def test_feedback_latest_verdict_wins(store: Store) -> None:
    from paperradar.models import FeedbackEntry, ProfileRecord

    with store.transaction():
        store.put_profile(ProfileRecord("ana", {}, NOW, NOW))
        store.add_feedback([FeedbackEntry("ana", "2606.00001", "up", NOW),
                            FeedbackEntry("ana", "2606.00002", "down", NOW)])
        store.add_feedback([FeedbackEntry("ana", "2606.00001", "down", LATER)])
    got = {e.arxiv_id: e for e in store.feedback_for("ana")}
    assert got["2606.00001"].verdict == "down" and got["2606.00001"].at == LATER
    assert got["2606.00002"].verdict == "down" and len(got) == 2


def test_seen_history_upsert_and_lookup(store: Store) -> None:
    from paperradar.models import ProfileRecord, SeenEntry

    with store.transaction():
        store.put_profile(ProfileRecord("ana", {}, NOW, NOW))
        store.mark_seen([SeenEntry("ana", "2606.00001", 1, "h1", NOW)])
        store.mark_seen([SeenEntry("ana", "2606.00001", 2, "h2", LATER)])
    assert store.seen_for("ana", ids(1, 2)) == {"2606.00001": SeenEntry("ana", "2606.00001", 2, "h2", LATER)}
    assert store.seen_for("ana", ids(*range(1, 1200))).keys() == {"2606.00001"}


def test_delete_profile_removes_library_feedback_and_seen(backend: Backend, store: Store) -> None:
    from paperradar.models import FeedbackEntry, LibraryItem, ProfileRecord, SeenEntry

    with store.transaction():
        for name in ("ana", "bo"):
            store.put_profile(ProfileRecord(name, {}, NOW, NOW))
            store.add_library_items(name, [LibraryItem("text:x", "X", added=NOW)])
            store.add_feedback([FeedbackEntry(name, "2606.00001", "up", NOW)])
            store.mark_seen([SeenEntry(name, "2606.00001", 1, "h", NOW)])
    with store.transaction():
        assert store.delete_profile("ana") is True
        assert store.delete_profile("ana") is False
    other = backend.open()
    try:
        assert other.get_profile("ana") is None and other.library_items("ana") == []
        assert other.feedback_for("ana") == [] and other.seen_for("ana", ids(1)) == {}
        assert len(other.library_items("bo")) == 1 and other.seen_for("bo", ids(1))
    finally:
        other.close()


def test_profile_writes_refused_read_only(backend: Backend, store: Store) -> None:
    from paperradar.models import ProfileRecord

    reader = backend.open(read_only=True)
    try:
        with pytest.raises(StoreError):
            reader.put_profile(ProfileRecord("ana", {}, NOW, NOW))
        assert reader.list_profiles() == []
    finally:
        reader.close()


def test_data_version_moves_when_another_handle_commits(backend: Backend, store: Store) -> None:
    """Readers that cache (the web app) compare data_version before reusing what they derived."""
    with store.transaction():
        store.set_meta("seed", "0")
    reader = backend.open(read_only=True)
    try:
        before = reader.data_version()
        assert reader.data_version() == before  # nothing committed in between
        with store.transaction():
            store.insert_papers([paper(1)], "2026-06-30T00:00:00Z")
        after = reader.data_version()
        assert after != before
        assert reader.count_papers() == 1
    finally:
        reader.close()


def test_saved_topics_and_their_issues(store: Store) -> None:
    from paperradar.store.base import SavedTopic, TopicIssue

    store.add_topic(SavedTopic("rep", "representation learning", ("cs.LG",), "week", "2026-06-01T00:00:00Z"))
    store.add_topic(SavedTopic("agents", "LLM agents", (), "day", "2026-06-02T00:00:00Z"))
    store.add_topic(SavedTopic("rep", "representation learning", ("cs.LG", "cs.CV"), "day",
                               "2026-06-03T00:00:00Z"))  # replaces the first
    assert [t.name for t in store.list_topics()] == ["agents", "rep"]
    rep = store.get_topic("rep")
    assert rep is not None and rep.categories == ("cs.LG", "cs.CV") and rep.every == "day"
    assert store.get_topic("nope") is None
    for until in ("2026-06-07", "2026-06-14"):
        store.record_topic_issue(TopicIssue("rep", "2026-06-01", until, 40, "T " + until, "x", ("2606.1",)))
    store.record_topic_issue(TopicIssue("rep", "2026-06-08", "2026-06-14", 42, "again", "y"))  # rerun
    issues = store.topic_issues("rep")
    assert [(i.until, i.papers, i.title) for i in issues] == [("2026-06-14", 42, "again"),
                                                               ("2026-06-07", 40, "T 2026-06-07")]
    assert issues[0].ids == () and issues[1].ids == ("2606.1",)
    assert store.remove_topic("rep") is True and store.remove_topic("rep") is False
    assert store.topic_issues("rep") == [] and [t.name for t in store.list_topics()] == ["agents"]
# -- vectors (issue 13: embeddings shared through the store) ------------------------------------

def _vec(seed: int, dim: int = 4) -> bytes:
    import numpy as np

    return np.arange(seed, seed + dim, dtype="<f2").tobytes()


def test_vectors_are_stored_per_space_and_replaced_per_paper(store: Store) -> None:
    with store.transaction():
        store.insert_papers([paper(1), paper(2)], NOW)
    g1 = store.put_vectors("space-a", 4, [("2606.00001", "h1", _vec(1)), ("2606.00002", "h2", _vec(2))])
    g2 = store.put_vectors("space-b", 4, [("2606.00001", "h1", _vec(9))])
    assert g2 == g1 + 1
    rows = list(store.vectors_since("space-a"))
    assert [(r.arxiv_id, r.digest, r.dim, r.data, r.generation) for r in rows] == [
        ("2606.00001", "h1", 4, _vec(1), g1), ("2606.00002", "h2", 4, _vec(2), g1)]
    g3 = store.put_vectors("space-a", 4, [("2606.00002", "h2b", _vec(5))])  # the paper's text changed
    assert [(r.arxiv_id, r.digest, r.data) for r in store.vectors_since("space-a", g1)] == [
        ("2606.00002", "h2b", _vec(5))]
    assert [r.generation for r in store.vectors_since("space-a")] == [g1, g3]
    assert [r.data for r in store.vectors_since("space-b")] == [_vec(9)]


def test_vectors_since_pages_through_every_row_once(store: Store) -> None:
    ids = [f"2606.{i:05d}" for i in range(25)]
    with store.transaction():
        store.insert_papers([paper(i) for i in range(25)], NOW)
    store.put_vectors("s", 4, [(i, "h", _vec(n)) for n, i in enumerate(ids[:10])])
    store.put_vectors("s", 4, [(i, "h", _vec(n)) for n, i in enumerate(ids[10:], 10)])
    assert [r.arxiv_id for r in store.vectors_since("s", batch=3)] == ids
    assert list(store.vectors_since("s", after=2)) == []


def test_put_vectors_is_refused_read_only_and_rolled_back_with_its_block(backend: Backend,
                                                                         store: Store) -> None:
    with store.transaction():
        store.insert_papers([paper(1)], NOW)
    with pytest.raises(RuntimeError), store.transaction():
        store.put_vectors("s", 4, [("2606.00001", "h", _vec(1))])
        raise RuntimeError("undo")
    assert list(store.vectors_since("s")) == []
    reader = backend.open(read_only=True)
    try:
        with pytest.raises(StoreError):
            reader.put_vectors("s", 4, [("2606.00001", "h", _vec(1))])
    finally:
        reader.close()


def _delivery(date: str, state: str = "pending", **changes: object) -> DeliveryRecord:
    base = DeliveryRecord("ana", date, "papers", state, f"<{date}.ana@paperradar.local>", "ana@example.org",
                          "Subject: hi\r\n\r\nbody é\r\n", ({"id": "2601.00001", "why": "keywords: x"},),
                          "", 0, "2026-06-30T20:00:00Z", "2026-06-30T20:00:00Z", None)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_deliveries_put_get_replace_and_list(store: Store) -> None:
    store.put_profile(ProfileRecord("ana", {"keywords": ["x"]}, NOW, NOW))
    assert store.get_delivery("ana", "2026-06-29") is None
    first = _delivery("2026-06-29")
    store.put_delivery(first)
    assert store.get_delivery("ana", "2026-06-29") == first
    sent = dataclasses.replace(first, state="sent", attempts=1, sent_at="2026-06-30T20:01:00Z",
                               updated="2026-06-30T20:01:00Z")
    store.put_delivery(sent)
    assert store.get_delivery("ana", "2026-06-29") == sent
    store.put_delivery(_delivery("2026-06-30", state="failed", error="550 no such user"))
    assert [r.date for r in store.deliveries("ana")] == ["2026-06-30", "2026-06-29"]
    assert [r.date for r in store.deliveries("ana", limit=1)] == ["2026-06-30"]
    assert store.deliveries("bo") == []
    with store.transaction():
        assert store.delete_profile("ana")
    assert store.get_delivery("ana", "2026-06-29") is None


# -- papers changed since a generation (migration 0006) -------------------------------

def _bump(store: Store) -> int:
    """What ingest does at the end of its transaction."""
    generation = int(store.get_meta(GENERATION_KEY) or 0) + 1
    store.set_meta(GENERATION_KEY, str(generation))
    return generation


def test_papers_changed_since_inserts_replacements_and_new_listings(store: Store) -> None:
    with store.transaction():
        store.insert_papers([paper(n) for n in (3, 1, 2)], NOW)
        first = _bump(store)
    assert [p.arxiv_id for p in store.papers_changed_since(0)] == ids(1, 2, 3)
    assert list(store.papers_changed_since(first)) == []
    with store.transaction():  # a new paper, an edited one, and a new listing of an unchanged one
        store.insert_papers([paper(4)], NOW)
        store.replace_papers([(paper(2), paper(2, abstract="Edited.", version=2))], NOW)
        assert store.add_listings([Listing(ids(3)[0], "2026-06-03", "cs.CL", 0)]) == 1
        second = _bump(store)
    changed = list(store.papers_changed_since(first))
    assert [p.arxiv_id for p in changed] == ids(2, 3, 4)
    assert changed[0].abstract == "Edited." and changed[0].version == 2
    with store.transaction():  # a listing already stored changes nothing
        assert store.add_listings([Listing(ids(3)[0], "2026-06-03", "cs.CL", 0)]) == 0
        _bump(store)
    assert list(store.papers_changed_since(second)) == []
    # ordered by generation then id, paged by ``batch`` without losing or repeating a row
    assert [p.arxiv_id for p in store.papers_changed_since(0, batch=1)] == ids(1, 2, 3, 4)
    assert [p.arxiv_id for p in store.papers_changed_since(0, batch=2)] == ids(1, 2, 3, 4)


def test_papers_changed_since_pages_through_many(store: Store) -> None:
    with store.transaction():
        store.insert_papers([paper(n) for n in range(1, 1201)], NOW)
        _bump(store)
    with store.transaction():
        store.insert_papers([paper(n) for n in range(1201, 1301)], NOW)
        store.add_listings([Listing(i, "2026-06-04", "cs.AI", k) for k, i in enumerate(ids(5, 6))])
        _bump(store)
    assert len(list(store.papers_changed_since(0, batch=500))) == 1300
    assert sorted(p.arxiv_id for p in store.papers_changed_since(1, batch=7)) == ids(5, 6, *range(1201, 1301))


def test_listing_date_before(store: Store) -> None:
    _listed_papers(store, 1)
    with store.transaction():
        store.add_listings([Listing(ids(1)[0], d, "cs.CL", 0) for d in ("2026-06-01", "2026-06-03")])
    assert store.listing_date_before("2026-06-01") is None
    assert store.listing_date_before("2026-06-03") == "2026-06-01"
    assert store.listing_date_before("2026-06-09") == "2026-06-03"
