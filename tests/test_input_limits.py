"""Input limits and sanitising (issue 15, items 4 and 5), through real files and the store.

* per-field size limits: the over-limit record is rejected with file, line/record and
  field; the other records of the same file are stored; memory stays bounded even for a
  gzip that expands to a 50 MB abstract;
* arXiv ids checked whole (no trailing newline, no junk prefix); old-style ids still work;
* NUL and bidi controls removed from every text field before storage;
* the XML feeds and their parsers import no cycle (issue 8).
"""

from __future__ import annotations

import ast
import gzip
import json
import time
import tracemalloc
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest

from paperradar.errors import ConfigError
from paperradar.ingest import ingest_records
from paperradar.sources import parse_path
from paperradar.sources.feedinfo import FeedInfo
from paperradar.sources.validate import Limits, clean_text, finish, split_version
from paperradar.sources.xmlfeeds import FeedInfo as ReExported
from paperradar.sources.xmlsafe import children, iter_events

MB = 1024 * 1024
LIMIT_ENVS = ("PAPERRADAR_MAX_TITLE_CHARS", "PAPERRADAR_MAX_ABSTRACT_CHARS", "PAPERRADAR_MAX_COMMENT_CHARS",
              "PAPERRADAR_MAX_AUTHORS", "PAPERRADAR_MAX_AUTHORS_CHARS", "PAPERRADAR_MAX_FIELD_CHARS",
              "PAPERRADAR_MAX_RECORD_BYTES")


@pytest.fixture(autouse=True)
def default_limits(monkeypatch, tmp_path):
    """Every test starts from the documented defaults, whatever the caller's environment says."""
    for name in LIMIT_ENVS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(_empty_config(tmp_path)))


def _empty_config(tmp_path: Path) -> Path:
    path = tmp_path / "paperradar.toml"
    path.write_text("")
    return path


# -- writers ---------------------------------------------------------------------

def good(i: int, **extra) -> dict:
    rec = {"id": f"2606.{10000 + i}", "categories": ["cs.CL"], "authors": ["Ann A", "Bob B"],
           "title": f"Paper {i}", "comment": None, "summary": f"Abstract {i}."}
    rec.update(extra)
    return rec


AI = {"tldr": "t", "motivation": "m", "method": "x", "result": "r", "conclusion": "c"}


def write_jsonl(path: Path, records: list[dict | bytes]) -> Path:
    data = b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)
    path.write_bytes(gzip.compress(data, compresslevel=6) if path.name.endswith(".gz") else data)
    return path


def oai_record(arxiv_id: str, title: str = "A title", abstract: str = "An abstract.",
               identifier: str | None = None, keynames: tuple[str, ...] = ("One", "Two")) -> str:
    authors = "".join(f"<author><keyname>{k}</keyname><forenames>A.</forenames></author>" for k in keynames)
    return (f"<record><header><identifier>{identifier or 'oai:arXiv.org:' + arxiv_id}</identifier>"
            "<datestamp>2025-01-07</datestamp></header><metadata>"
            '<arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
            f"<id>{arxiv_id}</id><created>2025-01-06</created><authors>{authors}</authors>"
            f"<title>{title}</title><categories>cs.AI cs.LG</categories>"
            f"<abstract>{abstract}</abstract></arXiv></metadata></record>")


def oai_page(*records: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
            "<responseDate>2025-01-08T10:12:41Z</responseDate>\n"
            '<request verb="ListRecords" metadataPrefix="arXiv">https://oaipmh.arxiv.org/oai</request>\n'
            "<ListRecords>\n" + "\n".join(records) + "\n</ListRecords>\n</OAI-PMH>\n")


def atom_entry(arxiv_id: str, summary: str = "An abstract.", names: tuple[str, ...] = ("Ann A",)) -> str:
    authors = "".join(f"<author><name>{n}</name></author>" for n in names)
    return (f"<entry><id>http://arxiv.org/abs/{arxiv_id}</id><updated>2025-01-07T00:00:00Z</updated>"
            f"<published>2025-01-06T00:00:00Z</published><title>Title of {arxiv_id}</title>"
            f"<summary>{summary}</summary>{authors}"
            '<arxiv:primary_category term="cs.AI"/><category term="cs.AI"/></entry>')


def atom_feed(*entries: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
            "<title>query</title><opensearch:totalResults>3</opensearch:totalResults>\n"
            + "\n".join(entries) + "\n</feed>\n")


def rss_feed(*items: tuple[str, str]) -> str:
    body = "".join(
        f"<item><title>Title {i}</title><link>https://arxiv.org/abs/{i}</link>"
        f"<description>arXiv:{i}v1 Announce Type: new \nAbstract: {abstract}</description>"
        f'<guid isPermaLink="false">oai:arXiv.org:{i}v1</guid><category>cs.CL</category>'
        "<dc:creator>Ann A, Bob B</dc:creator></item>"
        for i, abstract in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>'
            "<title>cs.CL updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.CL</link>"
            "<pubDate>Tue, 07 Jan 2025 00:00:00 -0500</pubDate>" + body + "</channel></rss>\n")


def write_text(path: Path, text: str) -> Path:
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def ingest(store, path: Path):
    return ingest_records(store, parse_path(path), str(path))


def stored(store, *ids: str) -> dict:
    return store.get_papers(list(ids))


# -- 4. per-field size limits ------------------------------------------------------

@pytest.mark.parametrize(("extra", "field"), [
    ({"title": "T" * 2_001}, "title"),
    ({"summary": "a" * 100_001}, "summary"),
    ({"comment": "c" * 10_001}, "comment"),
    ({"authors": [f"A{i}" for i in range(5_001)]}, "authors"),
    ({"authors": ["x" * 100_000, "y" * 100_001]}, "authors"),
    ({"categories": ["cs." + "X" * 10_000]}, "categories"),
])
def test_jsonl_over_limit_field_is_rejected_and_rest_stored(store, tmp_path, extra, field):
    path = write_jsonl(tmp_path / "2026-06-01.jsonl", [good(1), good(2, **extra), good(3)])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (2, 1)
    rejection = report.rejections[0]
    assert (rejection.origin.file, rejection.origin.line, rejection.field) == (str(path), 2, field)
    assert "longer than" in rejection.message and "$PAPERRADAR_MAX_" in rejection.message
    assert set(stored(store, "2606.10001", "2606.10002", "2606.10003")) == {"2606.10001", "2606.10003"}


def test_limits_at_the_boundary_are_accepted(store, tmp_path):
    path = write_jsonl(tmp_path / "2026-06-01.jsonl", [good(1, title="T" * 2_000, summary="a" * 100_000,
                                                            authors=[f"A{i}" for i in range(5_000)])])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (1, 0)
    assert len(stored(store, "2606.10001")["2606.10001"].abstract) == 100_000


def test_imported_summary_field_limit_names_the_ai_field(store, tmp_path):
    path = write_jsonl(tmp_path / "2026-06-01_AI_enhanced_English.jsonl",
                       [good(1, AI=AI), good(2, AI={**AI, "tldr": "t" * 10_001})])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (1, 1)
    assert (report.rejections[0].origin.line, report.rejections[0].field) == (2, "AI.tldr")


def test_limits_come_from_the_environment_and_the_config_file(store, tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERRADAR_MAX_TITLE_CHARS", "10")
    path = write_jsonl(tmp_path / "2026-06-01.jsonl",
                       [good(1, title="0123456789"), good(2, title="0123456789X")])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (1, 1)
    message = report.rejections[0].message
    assert "longer than 10 characters (limit set by $PAPERRADAR_MAX_TITLE_CHARS)" in message
    monkeypatch.delenv("PAPERRADAR_MAX_TITLE_CHARS")
    config = tmp_path / "limits.toml"
    config.write_text("[limits]\nabstract_chars = 20\n")
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(config))
    assert Limits.from_config().abstract_chars == 20
    monkeypatch.setenv("PAPERRADAR_MAX_AUTHORS", "0")
    with pytest.raises(ConfigError, match="limits.authors.*PAPERRADAR_MAX_AUTHORS.*positive"):
        Limits.from_config()


def test_jsonl_line_byte_cap_uses_a_bounded_reader(store, tmp_path, monkeypatch):
    line = json.dumps(good(2)).encode()
    monkeypatch.setenv("PAPERRADAR_MAX_RECORD_BYTES", str(len(line)))
    longer = json.dumps(good(3, title="Paper 3!")).encode()
    path = write_jsonl(tmp_path / "2026-06-01.jsonl", [good(1, title="P"), line, longer, good(4, title="P")])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (3, 1)  # a line exactly at the cap is fine
    rejection = report.rejections[0]
    assert rejection.origin.line == 3 and rejection.field is None
    assert f"line is {len(longer) + 1:,} bytes, longer than {len(line):,}" in rejection.message
    assert "$PAPERRADAR_MAX_RECORD_BYTES" in rejection.message


def _peak_while(fn):
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak, elapsed


def test_jsonl_gzip_bomb_of_one_50mb_abstract_is_rejected_in_bounded_memory(store, tmp_path):
    bomb = json.dumps(good(2, summary="a" * (50 * MB))).encode()
    path = write_jsonl(tmp_path / "2026-06-01.jsonl.gz", [good(1), bomb, good(3)])
    assert path.stat().st_size < 200_000  # a small file on disk
    del bomb
    report, peak, elapsed = _peak_while(lambda: ingest(store, path))
    assert (report.new, report.rejected) == (2, 1)
    assert (report.rejections[0].origin.line, report.rejections[0].field) == (2, None)
    assert "skipped without reading it in" in report.rejections[0].message
    assert peak < 16 * MB, f"peak {peak / MB:.1f} MB while skipping a 50 MB line"
    assert elapsed < 30


def test_jsonl_abstract_under_the_line_cap_but_over_the_field_limit(store, tmp_path):
    """Parsing costs several times the line (orjson's working memory), bounded by the line cap."""
    big = good(2, summary="a" * (MB - 200))
    path = write_jsonl(tmp_path / "2026-06-01.jsonl.gz", [good(1), big, good(3)])
    report, peak, _ = _peak_while(lambda: ingest(store, path))
    assert (report.new, report.rejected) == (2, 1)
    assert (report.rejections[0].origin.line, report.rejections[0].field) == (2, "summary")
    assert peak < 32 * MB


def test_oai_gzip_bomb_of_one_50mb_abstract_is_rejected_in_bounded_memory(store, tmp_path):
    page = oai_page(oai_record("2501.00001"), oai_record("2501.00002", abstract="a" * (50 * MB)),
                    oai_record("2501.00003"))
    path = write_text(tmp_path / "page.xml.gz", page)
    del page
    assert path.stat().st_size < 200_000
    report, peak, elapsed = _peak_while(lambda: ingest(store, path))
    assert (report.new, report.rejected) == (2, 1)
    rejection = report.rejections[0]
    assert (rejection.origin.file, rejection.origin.record, rejection.field) == (str(path), 2, "abstract")
    assert "longer than 200,000 characters" in rejection.message
    assert set(stored(store, "2501.00001", "2501.00002", "2501.00003")) == {"2501.00001", "2501.00003"}
    assert peak < 16 * MB, f"peak {peak / MB:.1f} MB while parsing a 50 MB abstract"
    assert elapsed < 60


@pytest.mark.parametrize(("record", "field"), [
    (oai_record("2501.00002", title="T" * 2_001), "title"),
    (oai_record("2501.00002", abstract="a" * 100_001), "abstract"),
    (oai_record("2501.00002", keynames=tuple(f"K{i}" for i in range(5_001))), "authors"),
])
def test_oai_over_limit_field_is_rejected_and_rest_stored(store, tmp_path, record, field):
    page = oai_page(oai_record("2501.00001"), record, oai_record("2501.00003"))
    path = write_text(tmp_path / "page.xml", page)
    report = ingest(store, path)
    assert (report.new, report.rejected) == (2, 1)
    rejection = report.rejections[0]
    assert (rejection.origin.file, rejection.origin.record, rejection.field) == (str(path), 2, field)
    assert "longer than" in rejection.message


@pytest.mark.parametrize(("entry", "field"), [
    (atom_entry("2501.00002v1", summary="a" * 100_001), "summary"),
    (atom_entry("2501.00002v1", names=tuple(f"N{i}" for i in range(5_001))), "author"),
])
def test_atom_over_limit_field_is_rejected_and_rest_stored(store, tmp_path, entry, field):
    path = write_text(tmp_path / "query.atom", atom_feed(atom_entry("2501.00001v2"), entry,
                                                         atom_entry("2501.00003v1")))
    report = ingest(store, path)
    assert (report.new, report.rejected) == (2, 1)
    rejection = report.rejections[0]
    assert (rejection.origin.file, rejection.origin.record, rejection.field) == (str(path), 2, field)
    assert stored(store, "2501.00001")["2501.00001"].version == 2


def test_rss_over_limit_description_is_rejected_and_rest_stored(store, tmp_path):
    path = write_text(tmp_path / "cs.CL.rss", rss_feed(("2501.00001", "ok"), ("2501.00002", "a" * 100_001),
                                                       ("2501.00003", "ok")))
    report = ingest(store, path)
    assert (report.new, report.rejected, report.listings_added) == (2, 1, 2)
    assert (report.rejections[0].origin.record, report.rejections[0].field) == (2, "description")


# -- 5. identifiers -------------------------------------------------------------------

@pytest.mark.parametrize("bad_id", ["2607.12345\n", " 2607.12345", "2607.12345 ", "2607.12345v2",
                                    "javascript:alert(1)//1712.88888", "hep-th/9901001\n", "2607.123456"])
def test_jsonl_ids_are_matched_whole(store, tmp_path, bad_id):
    path = write_jsonl(tmp_path / "2026-06-01.jsonl", [good(1), good(2, id=bad_id), good(3)])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (2, 1)
    rejection = report.rejections[0]
    assert (rejection.origin.line, rejection.field) == (2, "id")
    assert "not an arXiv identifier" in rejection.message


def test_jsonl_old_style_ids_are_accepted(store, tmp_path):
    path = write_jsonl(tmp_path / "2026-06-01.jsonl",
                       [good(1, id="hep-th/9901001"), good(2, id="math.GT/0309136"), good(3, id="0704.0001")])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (3, 0)
    assert set(stored(store, "hep-th/9901001", "math.GT/0309136", "0704.0001")) == {
        "hep-th/9901001", "math.GT/0309136", "0704.0001"}


@pytest.mark.parametrize(("raw", "expected"), [
    ("2501.00001", ("2501.00001", None)),
    ("2501.00001v3", ("2501.00001", 3)),
    ("\n  http://arxiv.org/abs/2501.00001v2\n", ("2501.00001", 2)),  # XML layout whitespace
    ("https://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", 1)),
    ("oai:arXiv.org:math.GT/0309136", ("math.GT/0309136", None)),
    ("arXiv:0704.0001v1", ("0704.0001", 1)),
])
def test_split_version_accepts(raw, expected):
    assert split_version(raw) == expected


@pytest.mark.parametrize("raw", ["javascript:alert(1)//1712.88888", "http://evil.example/abs/2501.00001",
                                 "oai:arXiv.org:2501.00001<script>", "2501.00001v", "2501.00001v2v3",
                                 "xoai:arXiv.org:2501.00001", "2501.00001\x00", "../2501.00001"])
def test_split_version_rejects(raw):
    with pytest.raises(Exception, match="not an arXiv identifier") as info:
        split_version(raw)
    assert info.value.field == "id"


def test_oai_junk_ids_are_rejected_with_field(store, tmp_path):
    page = oai_page(oai_record("2501.00001"),
                    oai_record("javascript:alert(1)//1712.88888", identifier="oai:arXiv.org:1712.88888"),
                    oai_record("2501.00003", identifier="javascript:alert(1)//1712.88888"),
                    oai_record("hep-th/9901001"))
    path = write_text(tmp_path / "page.xml", page)
    report = ingest(store, path)
    assert (report.new, report.rejected) == (2, 2)
    assert [(r.origin.file, r.origin.record, r.field) for r in report.rejections] == [
        (str(path), 2, "id"), (str(path), 3, "identifier")]
    papers = stored(store, "2501.00001", "hep-th/9901001", "1712.88888", "2501.00003")
    assert set(papers) == {"2501.00001", "hep-th/9901001"}


def test_atom_junk_id_is_rejected_and_old_style_versioned_id_accepted(store, tmp_path):
    bad = atom_entry("2501.00002v1").replace("http://arxiv.org/abs/2501.00002v1",
                                             "javascript:alert(1)//1712.88888")
    path = write_text(tmp_path / "query.atom", atom_feed(atom_entry("hep-th/9901001v2"), bad))
    report = ingest(store, path)
    assert (report.new, report.rejected) == (1, 1)
    assert (report.rejections[0].origin.record, report.rejections[0].field) == (2, "id")
    assert stored(store, "hep-th/9901001")["hep-th/9901001"].version == 2


# -- 5. NUL and bidi controls ------------------------------------------------------------

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_clean_text_strips_nul_and_bidi_controls_and_keeps_marks():
    assert clean_text(f"a\x00b{BIDI}c") == "abc"
    assert clean_text("\u05e9\u05dc\u05d5\u05dd\u200f (RLM) \u200e and \u061c") == (
        "\u05e9\u05dc\u05d5\u05dd\u200f (RLM) \u200e and \u061c")
    plain = "nothing to do"
    assert clean_text(plain) is plain


def test_jsonl_text_fields_are_cleaned_before_storage(store, tmp_path):
    record = good(1, title="Safe\u202e txt.exe", summary="Abs\x00tract \u2066x\u2069.", comment="c\u202d",
                  authors=["Ann\u202e A"], categories=["cs.CL"],
                  AI={**AI, "tldr": "t\u202e\x00"})
    only_bidi = good(2, title="\u202e\u2066", AI=AI)
    path = write_jsonl(tmp_path / "2026-06-01_AI_enhanced_English.jsonl", [record, only_bidi])
    report = ingest(store, path)
    assert (report.new, report.rejected) == (1, 1)
    assert (report.rejections[0].origin.line, report.rejections[0].field) == (2, "title")
    assert "empty" in report.rejections[0].message
    paper = stored(store, "2606.10001")["2606.10001"]
    assert (paper.title, paper.abstract, paper.comment, paper.authors) == (
        "Safe txt.exe", "Abstract x.", "c", ("Ann A",))
    assert store.summaries_for(["2606.10001"])["2606.10001"][0].tldr == "t"


def test_xml_text_fields_are_cleaned_before_storage(store, tmp_path):
    oai = write_text(tmp_path / "page.xml", oai_page(
        oai_record("2501.00001", title="Evil\u202e gnp.exe", abstract="x\u2067y\u2069z",
                   keynames=("Bad\u202d",))))
    atom = write_text(tmp_path / "query.atom", atom_feed(atom_entry("2501.00002v1", summary="s\u202e!")))
    rss = write_text(tmp_path / "cs.CL.rss", rss_feed(("2501.00003", "r\u2068q")))
    for path in (oai, atom, rss):
        assert ingest(store, path).rejected == 0
    papers = stored(store, "2501.00001", "2501.00002", "2501.00003")
    assert (papers["2501.00001"].title, papers["2501.00001"].abstract) == ("Evil gnp.exe", "xyz")
    assert papers["2501.00001"].authors == ("A. Bad",)
    assert papers["2501.00002"].abstract == "s!"
    assert papers["2501.00003"].abstract == "rq"


def test_finish_is_the_one_place_every_record_passes(tmp_path):
    """A record built by hand goes through the same cleaning and checks as a parsed one."""
    from paperradar.models import Origin, Paper, Record

    paper = Paper("2501.00001", "T\u202e", ("A",), "x" * 11, ("cs.AI",))
    record = finish(Record(paper, Origin("f")), Limits(abstract_chars=20))
    assert record.paper.title == "T"
    with pytest.raises(Exception, match="longer than 10 characters") as info:
        finish(Record(paper, Origin("f")), Limits(abstract_chars=10), {"abstract": "summary"})
    assert info.value.field == "summary"


# -- issue 8: FeedInfo's own module, one child loop, no cycle ---------------------------

def test_feedinfo_has_its_own_module_and_is_re_exported():
    assert ReExported is FeedInfo and FeedInfo.__module__ == "paperradar.sources.feedinfo"


def test_children_yields_completed_elements_at_the_asked_depths(tmp_path):
    import io

    events = iter_events(io.BytesIO(b"<r><a><b/><b/></a><c>t<d/></c></r>"))
    assert next(events)[0] == "start"  # the root, as xmlfeeds consumes it
    got: list[tuple[int, Element]] = list(children(events, (1, 2)))
    assert [(depth, elem.tag) for depth, elem in got] == [(2, "b"), (2, "b"), (1, "a"), (2, "d"), (1, "c")]
    assert got[-1][1].text == "t" and len(got[-1][1]) == 1


def test_no_import_cycle_in_sources():
    package = Path(__file__).resolve().parents[1] / "paperradar" / "sources"
    names = {f.stem for f in package.glob("*.py")} - {"__init__"}
    graph: dict[str, set[str]] = {}
    for name in names:
        deps = graph.setdefault(name, set())
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text())):  # lazy and TYPE_CHECKING too
            if isinstance(node, ast.ImportFrom) and node.module == "paperradar.sources":
                deps.update(a.name for a in node.names if a.name in names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("paperradar.sources."):
                deps.add(node.module.rsplit(".", 1)[1])
            elif isinstance(node, ast.Import):
                deps.update(a.name.rsplit(".", 1)[1] for a in node.names
                            if a.name.startswith("paperradar.sources."))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(d == goal or (d not in seen and not seen.add(d) and reaches(d, goal, seen))
                   for d in graph.get(start, ()))

    assert [n for n in sorted(names) if reaches(n, n, set())] == []


def test_every_text_field_of_a_paper_is_scanned() -> None:
    """The one-scan fast path must see every text field Paper has (a new field would slip by)."""
    import dataclasses

    from paperradar.models import Paper
    from paperradar.sources.validate import _clean_paper

    base = Paper(arxiv_id="2606.00001", title="T", authors=("A B",), abstract="Abs", categories=("cs.CL",),
                 comment="c", journal_ref="j", doi="d", license="l", submitted="s", updated="u",
                 primary_category="cs.CL")
    for f in dataclasses.fields(Paper):
        value = getattr(base, f.name)
        if isinstance(value, str):
            dirty = dataclasses.replace(base, **{f.name: value + "\u202e"})
        elif isinstance(value, tuple):
            dirty = dataclasses.replace(base, **{f.name: (*value, "x\x00")})
        else:
            continue
        assert _clean_paper(dirty) != dirty, f"field {f.name} is not cleaned"
