"""A catch-up does not re-read the vector store (issue 13): ``state.json`` records the rows proven
intact as a checkpoint (sizes and CRC-32s of both vector files' bytes), a check honours it while
the files still start with exactly those bytes, and only the key lines after it are parsed. Counted
here through hooks on ``VectorStore`` (lines parsed, key-file reads): a catch-up reads the key file
once, in one CRC pass, and parses no more lines than it appended in a run it resumes; damage under
the checkpoint is still found (at open, by ``index --check``, and repaired by ``index``), a kill -9
mid-catch-up then a rerun ends where a clean run does, and every result equals a rebuild's."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from indexkit import ingest_day

from paperradar.cli import cli
from paperradar.errors import EmbeddingError
from paperradar.index.dense import Checkpoint, VectorStore
from paperradar.index.search import SearchIndex
from paperradar.index.state import catch_up, check, read_docs, read_state
from paperradar.models import Paper
from paperradar.store import open_store
from paperradar.store.base import VECTOR_GENERATION_KEY

WORDS = ["graph", "neural", "network", "language", "model", "retrieval", "robot", "vision", "speech",
         "diffusion", "policy", "sampler", "kernel", "agent", "protein", "quantum", "sparse"]
BASE, DELTA = 1200, 60
QUERIES = ["graph neural network", "robot policy", "quantum kernel sampler"]


class StableEmbedder:
    """Deterministic 8-d vectors from the text's words (CRC-32, the same in every process)."""

    space, dim = "stable-8", 8

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls, self.fail_after = 0, fail_after

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise EmbeddingError("the endpoint went away")
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1.0)
        return out


def _paper(n: int, abstract: str | None = None) -> Paper:
    rng = random.Random(n)
    words = " ".join(rng.choice(WORDS) for _ in range(12))
    return Paper(arxiv_id=f"2606.{n:05d}", title=f"On {WORDS[n % len(WORDS)]} {n}", authors=(f"A{n}",),
                 abstract=abstract or f"We study {words}.", categories=("cs.LG",), version=1,
                 primary_category="cs.LG", submitted="2026-06-01")


_ingest = ingest_day


class Reads:
    """Counts, through hooks on :class:`VectorStore`, the key lines parsed one by one and the
    reads of the key file (calls and bytes)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lines = self.reads = self.bytes = 0
        parse, read = VectorStore._parse, VectorStore._read_keys

        def counted_parse(raw: bytes):  # type: ignore[no-untyped-def]
            self.lines += 1
            return parse(raw)

        def counted_read(store: VectorStore) -> bytes:
            data = read(store)
            self.reads += 1
            self.bytes += len(data)
            return data

        monkeypatch.setattr(VectorStore, "_parse", staticmethod(counted_parse))
        monkeypatch.setattr(VectorStore, "_read_keys", counted_read)

    def reset(self) -> None:
        self.lines = self.reads = self.bytes = 0


@pytest.fixture
def store(tmp_path: Path) -> Iterator:
    s = open_store(str(tmp_path / "s.db"))
    yield s
    s.close()


@pytest.fixture
def built(store, tmp_path: Path) -> Path:
    """An index of ``BASE`` papers, then ``DELTA`` more caught up: its state holds a checkpoint."""
    folder = tmp_path / "index"
    _ingest(store, [_paper(n) for n in range(1, BASE + 1)], "2026-06-01")
    catch_up(store, folder, StableEmbedder(), chunk=64)
    _ingest(store, [_paper(n) for n in range(BASE + 1, BASE + DELTA + 1)], "2026-06-02")
    catch_up(store, folder, StableEmbedder(), chunk=64)
    return folder


def _checkpoint(folder: Path) -> Checkpoint | None:
    return Checkpoint.from_dict((read_state(folder) or {}).get("dense_checked"))


def _vectors_by_key(folder: Path) -> dict[tuple[str, str], np.ndarray]:
    keys, vectors = VectorStore(folder).load()
    return {key: np.asarray(vectors[row], dtype=np.float32) for row, key in enumerate(keys)}


def assert_same_as_rebuild(store, folder: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Healthy by a full check (no checkpoint trusted), and the papers, every paper's vector and
    the search results of a rebuild from scratch."""
    rebuilt = tmp_path / "rebuilt"
    catch_up(store, rebuilt, StableEmbedder(), rebuild=True)
    health = check(folder, deep=True, full=True)
    assert health.ok, health.summary()
    assert check(folder, deep=True).ok
    assert [d.as_json() for d in read_docs(folder)] == [d.as_json() for d in read_docs(rebuilt)]
    mine, theirs = _vectors_by_key(folder), _vectors_by_key(rebuilt)
    for doc in health.docs or []:
        key = (doc.arxiv_id, doc.digest)
        assert key in mine and np.array_equal(mine[key], theirs[key]), doc.arxiv_id
    a = SearchIndex.open(store, folder, embedder=StableEmbedder(), share=False)
    b = SearchIndex.open(store, rebuilt, embedder=StableEmbedder(), share=False)
    assert a.mode_for("hybrid") == "hybrid"
    for query in QUERIES:
        for mode in ("dense", "hybrid"):
            ra, rb = a.search(query, k=10, mode=mode), b.search(query, k=10, mode=mode)
            assert [(r.arxiv_id, r.score) for r in ra] == [(r.arxiv_id, r.score) for r in rb], (query, mode)


# -- what a catch-up reads -----------------------------------------------------------------------

def test_catch_up_reads_the_key_file_once_and_parses_none_of_the_checked_rows(
        store, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mark = _checkpoint(built)
    keys = built / "dense_keys.tsv"
    assert mark is not None and mark.rows == BASE + DELTA and mark.keys_bytes == keys.stat().st_size
    reads = Reads(monkeypatch)
    rows = mark.rows
    for day in range(3):  # three more deltas, each caught up by reading only its own rows
        first = BASE + DELTA * (day + 1) + 1
        _ingest(store, [_paper(n) for n in range(first, first + DELTA)], f"2026-06-0{day + 3}",
                replace=[_paper(day + 7, abstract=f"An edited abstract about robots, take {day}.")])
        size = keys.stat().st_size
        reads.reset()
        report = catch_up(store, built, StableEmbedder(), chunk=64)
        assert (report.embedded, report.tokenised) == (DELTA + 1, DELTA + 1)
        assert reads.lines == 0, reads.lines  # no key line parsed: the checkpoint covered them all
        assert (reads.reads, reads.bytes) == (1, size)  # read once (its CRC), never again
        rows += DELTA + 1  # the edited paper's new text has a row of its own
        mark = _checkpoint(built)
        assert mark is not None and mark.rows == rows and mark.keys_bytes == keys.stat().st_size
    # a search checks the same way; `index --check` trusts nothing and parses every line
    reads.reset()
    assert check(built).ok and reads.lines == 0 and reads.reads == 1
    reads.reset()
    assert check(built, deep=True, full=True).ok and reads.lines == rows
    monkeypatch.undo()
    assert_same_as_rebuild(store, built, tmp_path)


def test_a_state_without_a_checkpoint_is_parsed_once_then_not_again(
        store, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As an index written before the checkpoint (or whose checkpoint is wrong) is first caught up."""
    state_file = built / "state.json"
    state = json.loads(state_file.read_text())
    state["dense_checked"]["keys"]["crc32"] = "00000000"  # a wrong one is not honoured
    state_file.write_text(json.dumps(state))
    reads = Reads(monkeypatch)
    assert check(built, deep=True).ok and reads.lines == BASE + DELTA  # every line, as before
    del state["dense_checked"]  # as a paperradar before this change wrote it
    state_file.write_text(json.dumps(state))
    _ingest(store, [_paper(n) for n in range(BASE + DELTA + 1, BASE + 2 * DELTA + 1)], "2026-06-03")
    reads.reset()
    catch_up(store, built, StableEmbedder(), chunk=64)
    assert reads.lines == BASE + DELTA and reads.reads == 1  # once, by the self-check: not 3 times
    _ingest(store, [_paper(BASE + 2 * DELTA + 1)], "2026-06-04")
    reads.reset()
    catch_up(store, built, StableEmbedder(), chunk=64)
    assert reads.lines == 0 and reads.reads == 1
    monkeypatch.undo()
    assert_same_as_rebuild(store, built, tmp_path)


def test_an_interrupted_catch_up_resumes_parsing_only_the_rows_it_appended(
        store, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _ingest(store, [_paper(n) for n in range(BASE + DELTA + 1, BASE + 4 * DELTA + 1)], "2026-06-03")
    with pytest.raises(EmbeddingError):
        catch_up(store, built, StableEmbedder(fail_after=2), chunk=16)  # 2 chunks of 16, then it fails
    state = read_state(built) or {}
    assert not state["complete"] and _checkpoint(built) is not None  # the old checkpoint is kept
    # a kill -9 between a chunk's vectors and its keys: vectors without keys after the last chunk
    with open(built / "dense_vectors.f16", "ab") as fh:
        fh.write(b"\x01" * (16 * 3 + 5))
    reads = Reads(monkeypatch)
    health = check(built, deep=True)
    assert reads.lines == 32, reads.lines  # the 32 rows appended since the checkpoint, and no others
    assert health.vectors is not None and health.vectors.tail_rows == 3
    reads.reset()
    report = catch_up(store, built, StableEmbedder(), chunk=16)
    assert report.embedded == 3 * DELTA - 32 and not report.repaired
    # parsed once; read twice: the self-check, then what the tail's repair kept (CRC and names only)
    assert reads.lines == 32 and reads.reads == 2
    reads.reset()
    _ingest(store, [_paper(n) for n in range(BASE + 4 * DELTA + 1, BASE + 5 * DELTA + 1)], "2026-06-04")
    catch_up(store, built, StableEmbedder(), chunk=16)
    assert reads.lines == 0
    monkeypatch.undo()
    assert_same_as_rebuild(store, built, tmp_path)


def test_compaction_rewrites_the_store_and_its_checkpoint(store, built: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Edited papers leave old rows behind; past 1.25x the papers the store is rewritten, and the
    checkpoint written with it still lets the next catch-up skip every line."""
    edits = [_paper(n, abstract=f"Edited {n}: a sparse protein kernel.") for n in range(1, 500)]
    _ingest(store, [], "2026-06-03", replace=edits)
    catch_up(store, built, StableEmbedder(), chunk=64)
    assert VectorStore(built).count() == BASE + DELTA  # compacted: one row a paper
    reads = Reads(monkeypatch)
    _ingest(store, [_paper(BASE + DELTA + 1)], "2026-06-04")
    catch_up(store, built, StableEmbedder(), chunk=64)
    assert reads.lines == 0
    monkeypatch.undo()
    assert_same_as_rebuild(store, built, tmp_path)


def test_a_keyword_only_catch_up_does_not_claim_vectors_for_its_new_papers(store, built: Path) -> None:
    _ingest(store, [_paper(n) for n in range(BASE + DELTA + 1, BASE + DELTA + 6)], "2026-06-03")
    catch_up(store, built, None)
    health = check(built)  # the checkpoint still holds, but not for this docs.jsonl
    assert health.dense_missing == 5 and "no intact vector for 5 of" in health.summary("dense")
    assert catch_up(store, built, StableEmbedder()).embedded == 5
    assert check(built, deep=True, full=True).ok


def test_an_append_after_a_lost_line_keeps_the_rows_after_it(tmp_path: Path) -> None:
    """A lost line in the middle leaves rows out of a prefix: an append rewrites them in order
    (it used to start at the prefix and cut off the vectors of the rows after the lost line)."""
    vs = VectorStore(tmp_path)
    vs.reset("space", 4)
    eye = np.eye(4, dtype=np.float32)
    keys = [("a", "0"), ("b", "1"), ("c", "2"), ("d", "3")]
    vs.append(keys[:3], eye[:3])
    lines = vs.keys_path.read_bytes().split(b"\n")
    del lines[1]
    vs.keys_path.write_bytes(b"\n".join(lines))
    later = VectorStore(tmp_path)
    later.append([keys[3]], eye[3:])
    scan = later.scan(verify_vectors=True)
    assert scan.ok and scan.intact == scan.prefix == 3
    got, vectors = later.load()
    assert got == [keys[0], keys[2], keys[3]]
    assert np.array_equal(np.asarray(vectors, np.float32), eye[[0, 2, 3]])
    mark = later.checked()  # the rewrite kept only rows a deep scan verified: it vouches for them
    assert mark is not None and mark.rows == 3
    again = VectorStore(tmp_path).scan(verify_vectors=True, trusted=mark)
    assert again.trusted == mark and again.parsed == 0 and again.ordered_keys() == got


def test_a_catch_up_does_not_read_its_own_vectors_back_from_the_store(
        store, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It used to: the next catch-up read every vector the previous one had written (the whole
    previous delta) looking for another writer's. Now it records the generation past its own, unless
    another writer's vectors came in between (then those are read, and used, next time)."""
    assert (read_state(built) or {})["store_vectors"] == int(store.get_meta(VECTOR_GENERATION_KEY))
    read: list[str] = []
    since = type(store).vectors_since

    def counted(self, space, after=0, batch=5000):  # type: ignore[no-untyped-def]
        for row in since(self, space, after, batch):
            read.append(row.arxiv_id)
            yield row

    monkeypatch.setattr(type(store), "vectors_since", counted)
    _ingest(store, [_paper(n) for n in range(BASE + DELTA + 1, BASE + 2 * DELTA + 1)], "2026-06-03")
    assert catch_up(store, built, StableEmbedder(), chunk=16).embedded == DELTA and read == []
    # another worker stores the vector of a paper's next version while this catch-up embeds
    later = _paper(5, abstract="A future edit about quantum agents.")
    worker = StableEmbedder()

    class Interleaved(StableEmbedder):
        def embed(self, texts: list[str]) -> np.ndarray:
            if not self.calls:
                from paperradar.index.state import content_hash, document_text

                vector = np.ascontiguousarray(worker.embed([document_text(later)]), dtype="<f2")[0]
                store.put_vectors(worker.space, worker.dim,
                                  [(later.arxiv_id, content_hash(document_text(later)), vector.tobytes())])
            return super().embed(texts)

    _ingest(store, [_paper(n) for n in range(BASE + 2 * DELTA + 1, BASE + 3 * DELTA + 1)], "2026-06-04")
    assert catch_up(store, built, Interleaved(), chunk=16).embedded == DELTA
    assert later.arxiv_id not in read
    _ingest(store, [], "2026-06-05", replace=[later])
    report = catch_up(store, built, StableEmbedder(), chunk=16)
    assert (report.embedded, report.from_store) == (0, 1)  # read back with ours, and used
    assert later.arxiv_id in read


# -- damage under the checkpoint is still found ---------------------------------------------------

def _flip(path: Path, at: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(at)
        byte = fh.read(1)
        fh.seek(at)
        fh.write(bytes([byte[0] ^ 0x04]))


def flipped_key_byte(folder: Path) -> None:
    """One byte of an old key line changed, the file's size unchanged (a stray edit, bit rot)."""
    data = (folder / "dense_keys.tsv").read_bytes()
    _flip(folder / "dense_keys.tsv", data.index(b"\t2606.00100\t") + 3)


def flipped_vector_byte(folder: Path) -> None:
    _flip(folder / "dense_vectors.f16", 100 * 16 + 3)


def lost_last_lines(folder: Path) -> None:
    """The key file cut at a line end: no torn line, two whole rows gone."""
    path = folder / "dense_keys.tsv"
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:-3]) + b"\n")


def truncated_vectors(folder: Path) -> None:
    path = folder / "dense_vectors.f16"
    path.write_bytes(path.read_bytes()[: 16 * 500])


def replaced_keys(folder: Path) -> None:
    """The same rows written again in another order: every line intact, but not the checked bytes."""
    path = folder / "dense_keys.tsv"
    lines = path.read_bytes().split(b"\n")[:-1]
    path.write_bytes(b"\n".join([*lines[1:], lines[0]]) + b"\n")


# damage, file named, found by a search's check (else only by the deep one), papers re-embedded
DAMAGES = [
    (flipped_key_byte, "dense_keys.tsv", True, 1),
    (flipped_vector_byte, "dense_vectors.f16", False, 1),
    (lost_last_lines, "dense_keys.tsv", True, 2),
    (truncated_vectors, "dense_vectors.f16", True, BASE + DELTA - 500),
    (replaced_keys, None, None, 0),
]


@pytest.mark.parametrize(("damage", "file", "at_open", "embedded"), DAMAGES,
                         ids=[d[0].__name__ for d in DAMAGES])
def test_damage_under_the_checkpoint_is_found_and_repaired(
        store, built: Path, tmp_path: Path, damage: Callable[[Path], None], file: str | None,
        at_open: bool | None, embedded: int) -> None:
    assert _checkpoint(built) is not None
    damage(built)
    for health in (check(built, deep=True), check(built, deep=True, full=True)):
        if file is None:
            assert health.ok, health.summary()
        else:
            assert not health.ok and file in health.summary("dense"), health.summary()
    opened = SearchIndex.open(store, built, embedder=StableEmbedder(), share=False)  # checks as a search does
    if file is not None:
        assert (opened.degraded is not None) == at_open, opened.degraded
        if at_open:
            assert file in opened.degraded and opened.mode_for("hybrid") == "bm25"
        code = CliRunner().invoke(cli, ["-q", "--db", str(tmp_path / "s.db"), "--data-dir", str(tmp_path),
                                        "index", "--check"]).exit_code
        assert code == 1
    report = catch_up(store, built, StableEmbedder(), chunk=64)
    # every lost row comes back from the store, however old (it used to: only the last run's rows)
    assert (report.embedded, report.from_store) == (0, embedded), report
    # (whole lines cut off leave vectors without keys: dropped and re-embedded as after a crash)
    assert bool(report.repaired) == (file is not None and damage is not lost_last_lines), report.repaired
    assert_same_as_rebuild(store, built, tmp_path)
    assert _checkpoint(built) is not None and _checkpoint(built).rows == BASE + DELTA  # type: ignore[union-attr]


# -- kill -9 mid-catch-up (real processes, the bundled model) --------------------------------------

@pytest.mark.needs_shared
def test_kill_9_mid_catch_up_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    import crashkit

    from paperradar.embed import make_embedder

    eight = crashkit.small_day_file(tmp_path, "2026-04-29.jsonl", 8, crashkit.DAYS / "2026-04-29.jsonl.gz")
    more = crashkit.small_day_file(tmp_path, "2026-05-04.jsonl", 12, crashkit.DAYS / "2026-05-04.jsonl.gz")
    job = crashkit.Job("catch-up", [["ingest", str(eight)], ["index"], ["ingest", str(more)]], ["index"],
                       embed_chunk=2, index=True)
    clean = str(tmp_path / "clean.db")
    total = crashkit.clean_run(job, clean, tmp_path / "clean.data", tmp_path)
    embedder = make_embedder("onnx")
    reference = crashkit.dump(clean, tmp_path / "clean.data", True, embedder)
    assert reference["index_ok"], reference["index_problems"]
    assert _checkpoint(tmp_path / "clean.data" / "index") is not None
    points = sorted(random.Random("catch-up").sample(range(1, total + 1), min(4, total)))
    for n, point in enumerate(points):
        location, data = str(tmp_path / f"crash{n}.db"), tmp_path / f"crash{n}.data"
        first = crashkit.crash_run(job, location, data, point, tmp_path)
        assert first.killed or (first.returncode == 0 and first.events < point), (point, first.stderr)
        after = crashkit.dump(location, data, True, embedder)
        assert crashkit.differences(reference, after) == [], f"killed at point {point} of {total}"
        assert _checkpoint(data / "index") is not None
