"""XML sources: real arXiv OAI-PMH / export-API samples, composed RSS/Atom/arXivRaw
fixtures, hostile and broken XML, and `paperradar ingest` on XML files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.models import Record, Rejection
from paperradar.sources import parse_path
from paperradar.sources.xmlfeeds import FeedInfo, parse_xml_bytes, parse_xml_file
from paperradar.sources.xmlsafe import split_authors

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "arxiv_protocol_samples"
OAI_CS = SAMPLES / "oai_pmh" / "listrecords_arXiv_set-cs_2015-01-16_invenio-oaiharvester.xml"
OAI_HEP = SAMPLES / "oai_pmh" / "listrecords_arXiv_set-physics-hep-th_2017-12-14_hepcrawl.xml"
OAI_GET = SAMPLES / "oai_pmh" / "getrecord_arXiv_1401.2122_hepcrawl.xml"
API_ATOM = SAMPLES / "export_api_atom" / "query_cat-cs.AI_max2_2025-09-11_trimmed.xml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def parse(path: Path) -> tuple[list[Record], list[Rejection], FeedInfo]:
    info = FeedInfo()
    items = list(parse_xml_file(path, info))
    return ([i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)], info)


def parse_text(text: str, name: str = "page.xml") -> tuple[list[Record], list[Rejection], FeedInfo]:
    info = FeedInfo()
    items = list(parse_xml_bytes(text.encode("utf-8"), name, info))
    return ([i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)], info)


# -- real OAI-PMH samples ------------------------------------------------------------------------

def test_oai_listrecords_cs_sample_maps_every_field():
    records, rejections, info = parse(OAI_CS)
    assert rejections == []
    assert len(records) == 46 and info.kind == "oai-pmh" and info.entries == 46
    assert info.response_date == "2016-01-18T15:33:12Z" and info.resumption_token is None
    first = records[0]
    p = first.paper
    assert p.arxiv_id == "1101.4388" and p.version is None
    assert p.title == "Reproducing Kernel Banach Spaces with the l1 Norm"
    assert p.authors == ("Guohui Song", "Haizhang Zhang", "Fred J. Hickernell")
    assert p.categories == ("stat.ML", "cs.LG", "math.FA") and p.primary_category == "stat.ML"
    assert p.comment == "28 pages, an extra section was added"
    assert p.journal_ref == "Appl. Comput. Harmon. Anal., 34:96-116, 2013"
    assert p.doi == "10.1016/j.acha.2012.03.009"
    assert p.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert (p.submitted, p.updated) == ("2011-01-23", "2012-03-28")
    # abstract: OAI's leading indent and trailing newline are stripped, the hard wraps are kept
    assert p.abstract.startswith(
        "Targeting at sparse learning, we construct Banach spaces B of functions on an\n")
    assert p.abstract.endswith("construction of such spaces are given.")
    assert first.listing is None and first.origin.record == 1
    by_id = {r.paper.arxiv_id: r.paper for r in records}
    assert by_id["1111.1546"].authors == ("Tobias Brunsch", "Heiko Röglin")  # &#xf6; decoded
    assert by_id["1111.1546"].updated == "2015-01-15" and by_id["1111.1546"].doi is None
    # authors with an <affiliation>: the name only, order kept
    morvant = next(p for p in by_id.values() if "Emilie Morvant" in p.authors)
    assert morvant.authors[:3] == ("Emilie Morvant", "Amaury Habrard", "Stéphane Ayache")


def test_oai_hep_th_sample_unwraps_titles_and_comments():
    records, rejections, _ = parse(OAI_HEP)
    assert rejections == []
    assert [r.paper.arxiv_id for r in records] == ["1412.8323", "1507.07790", "1607.01710"]
    p = records[0].paper
    assert p.title == "Toolbox for reconstructing quantum theory from rules on information acquisition"
    assert p.comment.startswith(
        "78 pages, many figures, graphs and references. Version accepted for publication")
    assert "\n" not in p.comment
    assert p.license == "http://creativecommons.org/licenses/by/4.0/" and p.doi is None
    assert records[2].paper.authors == ("R. A. C. Correa", "D. M. Dantas", "P. H. R. S. Moraes",
                                        "A. de Souza Dutra", "C. A. S. Almeida")
    assert records[2].paper.comment is None


def test_oai_getrecord_sample():
    records, rejections, _ = parse(OAI_GET)
    assert rejections == [] and len(records) == 1
    p = records[0].paper
    assert p.arxiv_id == "1401.2122" and p.authors == ("A. Sergyeyev",)
    assert p.categories == ("math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI")
    assert p.journal_ref == "Lett. Math. Phys. 108 (2018), no. 2, 359-376"
    assert "\n  In particular" in p.abstract  # paragraph indent inside the abstract is data


def test_export_api_sample():
    records, rejections, info = parse(API_ATOM)
    assert rejections == [] and info.kind == "atom"
    assert (info.total_results, info.start_index, info.items_per_page) == (141182, 0, 2)
    a, b = (r.paper for r in records)
    assert (a.arxiv_id, a.version) == ("2509.08827", 1)
    assert a.submitted == "2025-09-10T17:59:43Z" and a.updated == "2025-09-10T17:59:43Z"
    assert a.primary_category == "cs.CL" and a.categories == ("cs.CL", "cs.AI", "cs.LG")
    assert a.authors == ("Kaiyan Zhang", "Yuxin Zuo", "Bingxiang He")
    assert a.abstract.startswith("In this paper, we survey") and "(RL) for\nreasoning" in a.abstract
    assert a.comment is None and records[0].listing is None
    assert b.primary_category == "quant-ph" and b.comment == "7 pages"


# -- composed fixtures ----------------------------------------------------------------------------

def test_arxivraw_versions_dates_and_deleted_records():
    records, rejections, info = parse(FIXTURES / "oai_arXivRaw.xml")
    assert rejections == []
    assert info.deleted == ["oai:arXiv.org:2412.09999"] and info.entries == 3
    p = records[0].paper
    assert (p.arxiv_id, p.version) == ("2412.15011", 3)
    assert p.submitted == "2024-12-19T18:02:11Z" and p.updated == "2025-01-06T16:20:05Z"
    assert p.authors == ("Maria Lopez", "Kenji Watanabe")
    assert p.title == "Causal Abstractions of Neural Planners"
    assert records[1].paper.authors == ("Amara Okafor", "Lars Eriksson") and records[1].paper.version == 1


def test_rss_feed_maps_announce_types_and_listing():
    records, rejections, info = parse(FIXTURES / "rss_cs.AI.xml")
    assert rejections == [] and info.kind == "rss"
    assert (info.category, info.date) == ("cs.AI", "2025-01-07")
    got = [(r.paper.arxiv_id, r.paper.version, r.listing.announce_type, r.listing.position) for r in records]
    assert got == [("2501.02001", 1, "new", 0), ("2501.01877", 1, "cross-list", 1),
                   ("2412.15011", 3, "replacement", 2), ("2410.08888", 2, "replacement", 3)]
    assert {(r.listing.date, r.listing.category) for r in records} == {("2025-01-07", "cs.AI")}
    first = records[0].paper
    assert first.authors == ("Ana Souza", "Wei Chen", "Jean-Luc Moreau")
    assert first.abstract.startswith("We study how language agents plan")
    assert first.categories == ("cs.AI", "cs.CL")
    assert records[2].paper.doi == "10.1609/aaai.v39i1.12345"
    assert records[2].paper.journal_ref == "Proc. AAAI 39 (2025) 1021-1030"
    # HTML and script text stay data, exactly as sent
    hostile = records[3].paper
    assert hostile.title == "Bounded Rationality in <script>alert(1)</script> Multi-Agent Games"
    assert "<b>quantal response</b>" in hostile.abstract and "$\\epsilon < 1/n$ &" in hostile.abstract
    assert hostile.authors == ("O. Adeyemi", "F. Rossi", 'G. M\\"uller')


def test_atom_announcement_feed():
    records, rejections, info = parse(FIXTURES / "atom_cs.CL.xml")
    assert rejections == [] and info.category == "cs.CL"
    got = [(r.paper.arxiv_id, r.listing.announce_type, r.listing.date, r.listing.category) for r in records]
    assert got == [("2501.02117", "new", "2025-01-07", "cs.CL"),
                   ("2501.02001", "cross-list", "2025-01-07", "cs.CL")]
    assert records[1].paper.authors == ("Ana Souza", "Wei Chen", "Jean-Luc Moreau")


def test_split_authors():
    assert split_authors("A. One, B. Two and C. Three") == ["A. One", "B. Two", "C. Three"]
    assert split_authors("Ann Andersen (MIT, CSAIL), Bo Li") == ["Ann Andersen", "Bo Li"]
    assert split_authors("X Y (1), Z W (2) ((1) Oxford, (2) Cambridge)") == ["X Y", "Z W"]
    assert split_authors("ATLAS Collaboration") == ["ATLAS Collaboration"]


# -- hostile input ----------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title></channel></rss>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE feed [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2501.00001v1</id>
<title>&xxe;</title><summary>x</summary><category term="cs.AI"/></entry></feed>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE OAI-PMH SYSTEM "http://127.0.0.1:9/evil.dtd">
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords/></OAI-PMH>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, XXE, EXTERNAL_DTD],
                         ids=["billion-laughs", "xxe", "external-dtd"])
def test_dtds_and_entities_are_refused(tmp_path, text):
    path = tmp_path / "hostile.xml"
    path.write_text(text)
    records, rejections, _ = parse(path)
    assert records == [] and len(rejections) == 1
    message = str(rejections[0])
    assert message.startswith(str(path)) and "DTD" in message and "refused" in message
    assert "root:" not in message  # nothing from /etc/passwd leaked into the message


def test_malformed_xml_names_line_and_column_and_keeps_earlier_records(tmp_path):
    text = OAI_CS.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if "<identifier>oai:arXiv.org:1111.1546" in line)
    lines[cut + 4] = lines[cut + 4].replace("<metadata>", "<metadata><broken></metadata>")
    path = tmp_path / "damaged.xml"
    path.write_text("".join(lines), encoding="utf-8")
    records, rejections, _ = parse(path)
    assert [r.paper.arxiv_id for r in records] == ["1101.4388"]
    assert len(rejections) == 1
    bad = rejections[0]
    assert bad.origin.file == str(path) and bad.origin.line is not None and bad.origin.line > cut
    assert "not well-formed XML: mismatched tag at column" in bad.message


def test_truncated_files(tmp_path):
    data = OAI_HEP.read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) * 2 // 3])
    records, rejections, _ = parse(cut)
    assert len(records) >= 1 and len(rejections) == 1 and "truncated" in rejections[0].message
    gz = tmp_path / "cut.xml.gz"
    gz.write_bytes(gzip.compress(data)[:900])
    records, rejections, _ = parse(gz)
    assert len(rejections) == 1 and rejections[0].origin.file == str(gz)
    assert "truncated or corrupt" in rejections[0].message


def test_one_bad_record_does_not_stop_the_others():
    text = OAI_HEP.read_text(encoding="utf-8")
    start = text.index("<title>Relativistic quantum dynamics")
    end = text.index("</title>", start) + len("</title>")
    records, rejections, _ = parse_text(text[:start] + text[end:], "page.xml")
    assert [r.paper.arxiv_id for r in records] == ["1412.8323", "1607.01710"]
    assert len(rejections) == 1
    assert (rejections[0].origin.record, rejections[0].field) == (2, "title")
    assert str(rejections[0]) == "page.xml record 2: field 'title': missing"


def test_rss_bad_item_is_rejected_with_field():
    text = (FIXTURES / "rss_cs.CL.xml").read_text(encoding="utf-8")
    text = text.replace("<arxiv:announce_type>new</arxiv:announce_type>",
                        "<arxiv:announce_type>withdrawn</arxiv:announce_type>")
    records, rejections, _ = parse_text(text, "cs.CL.rss")
    assert [r.paper.arxiv_id for r in records] == ["2501.02001"]
    assert (rejections[0].origin.record, rejections[0].field) == (1, "arxiv:announce_type")
    assert "withdrawn" in rejections[0].message


def test_oai_error_responses():
    template = ('<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
                '<responseDate>2025-01-08T00:00:00Z</responseDate><request verb="ListRecords">x</request>'
                '<error code="{code}">{message}</error></OAI-PMH>')
    records, rejections, info = parse_text(template.format(code="noRecordsMatch", message="none"))
    assert records == [] and rejections == [] and info.oai_error == ("noRecordsMatch", "none")
    records, rejections, info = parse_text(template.format(code="badArgument", message="Illegal argument"))
    assert records == [] and len(rejections) == 1
    assert rejections[0].message == "OAI-PMH error badArgument: Illegal argument"


def test_unsupported_and_empty_documents(tmp_path):
    _, rejections, _ = parse_text("<html><body>Service unavailable</body></html>", "x.xml")
    assert "unsupported XML document with root element <html>" in rejections[0].message
    _, rejections, _ = parse_text("", "empty.xml")
    assert rejections[0].origin.file == "empty.xml" and "no element found" in rejections[0].message
    missing = list(parse_path(tmp_path / "nope.xml"))
    assert isinstance(missing[0], Rejection) and "no such file" in missing[0].message


# -- `paperradar ingest` on XML --------------------------------------------------------------------

def test_cli_ingest_autodetects_xml_and_is_idempotent(tmp_path):
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    args = ["--db", db, "-q", "ingest", "--json", str(OAI_CS), str(API_ATOM), str(FIXTURES / "rss_cs.AI.xml"),
            str(FIXTURES / "oai_arXivRaw.xml")]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    # 46 + 2 + 4 + 2; 2412.15011 arrives from RSS (v3) and arXivRaw (v3, more fields): one paper
    assert report["read"] == 54 and report["rejected"] == 0 and report["listings_added"] == 4
    assert report["new"] == 53
    second = json.loads(runner.invoke(cli, args).stdout)
    assert (second["new"], second["updated"], second["listings_added"]) == (0, 0, 0)
    assert second["unchanged"] == 54


def test_cli_ingest_hostile_file_exits_1_naming_the_file(tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_text(BILLION_LAUGHS)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "s.db"), "-q", "ingest", str(path)])
    assert result.exit_code == 1
    assert f"rejected: {path}:2: refused: document type declaration <!DOCTYPE lolz>" in result.stderr
    assert "Traceback" not in result.output
