"""Bad input: each problem is reported with file, line and field; the rest is ingested;
nothing already stored is lost or half-written."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.ingest import ingest_records
from paperradar.sources import parse_path


def good(i: int, **extra) -> dict:
    rec = {"id": f"2606.{10000 + i}", "categories": ["cs.CL", "cs.AI"], "pdf": "p", "abs": "a",
           "authors": ["Ann A", "Bob B"], "title": f"Paper {i}", "comment": None,
           "summary": f"Abstract {i}.\n  Second line."}
    rec.update(extra)
    return rec


def write_lines(path: Path, lines: list[bytes]) -> Path:
    data = b"".join(x + b"\n" for x in lines)
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def enc(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def run(store, path: Path):
    return ingest_records(store, parse_path(path), str(path))


@pytest.mark.parametrize(("line", "field", "words"), [
    (b'{"id": "2606.10009", "title": ', None, "malformed JSON"),
    (enc({k: v for k, v in good(9).items() if k != "title"}), "title", "missing"),
    (enc(good(9, authors="Ann A, Bob B")), "authors", "expected a list"),
    (enc(good(9, authors=["Ann", 7])), "authors[1]", "expected a string"),
    (enc(good(9, categories=[])), "categories", "empty"),
    (enc(good(9, id="not-an-id")), "id", "not an arXiv identifier"),
    (enc(good(9, comment=12)), "comment", "expected a string or null"),
    (enc([1, 2]), None, "expected a JSON object"),
    (b'{"id": "2606.10009", "title": "caf\xe9"}', None, "not valid UTF-8"),
])
def test_bad_line_is_named_and_rest_ingested(store, tmp_path, line, field, words):
    path = write_lines(tmp_path / "2026-06-01.jsonl", [enc(good(1)), line, enc(good(2))])
    report = run(store, path)
    assert report.rejected == 1 and report.new == 2
    rejection = report.rejections[0]
    assert rejection.origin.file == str(path) and rejection.origin.line == 2
    assert rejection.field == field
    assert words in rejection.message
    assert str(path) + ":2" in str(rejection)


def test_bad_summary_field_in_ai_file(store, tmp_path):
    bad = good(2, AI={"tldr": "t", "motivation": "m", "method": "x", "result": 3, "conclusion": "c"})
    ok = good(1, AI={k: k for k in ("tldr", "motivation", "method", "result", "conclusion")})
    path = write_lines(tmp_path / "2026-06-01_AI_enhanced_English.jsonl", [enc(ok), enc(bad)])
    report = run(store, path)
    assert (report.new, report.rejected) == (1, 1)
    assert report.rejections[0].field == "AI.result"
    assert store.summaries_for(["2606.10001"])["2606.10001"][0].language == "English"


def test_truncated_gzip_keeps_lines_before_the_cut(store, tmp_path):
    full = gzip.compress(b"".join(enc(good(i)) + b"\n" for i in range(200)))
    path = tmp_path / "2026-06-01.jsonl.gz"
    path.write_bytes(full[: len(full) // 2])
    report = run(store, path)
    assert report.rejected == 1
    assert "truncated" in report.rejections[0].message
    assert 0 < report.new < 200
    assert store.count_papers() == report.new


def test_markup_in_fields_is_stored_verbatim(store, tmp_path):
    title = 'Attacks <script>alert("x")</script> & <img src=x onerror=alert(1)>'
    path = write_lines(tmp_path / "2026-06-01.jsonl", [enc(good(1, title=title))])
    run(store, path)
    assert store.get_papers(["2606.10001"])["2606.10001"].title == title


def test_unusable_file_name_is_rejected_clearly(store, tmp_path):
    path = write_lines(tmp_path / "papers.jsonl", [enc(good(1))])
    report = run(store, path)
    assert report.rejected == 1 and "YYYY-MM-DD" in report.rejections[0].message
    assert store.count_papers() == 0


def test_crash_mid_file_leaves_store_as_before(store, tmp_path, days_dir):
    run(store, days_dir / "2026-06-29_AI_enhanced_Chinese.jsonl.gz")
    before = (store.count_papers(), len(store.listings_on("2026-06-29")))

    def exploding():
        yield from parse_path(days_dir / "2026-06-30_AI_enhanced_Chinese.jsonl.gz")
        raise OSError("disk went away")

    with pytest.raises(OSError):
        ingest_records(store, exploding(), "boom")
    assert (store.count_papers(), len(store.listings_on("2026-06-29"))) == before
    assert store.listings_on("2026-06-30") == []


def test_cli_exit_status_and_messages(tmp_path):
    path = write_lines(tmp_path / "2026-06-01.jsonl", [enc(good(1)), b"{oops", enc(good(2))])
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", str(tmp_path / "s.db"), "ingest", str(path)])
    assert res.exit_code == 1
    assert f"{path}:2" in res.stderr and "malformed JSON" in res.stderr
    assert "new 2" in res.stdout and "rejected 1" in res.stdout
    ok = write_lines(tmp_path / "2026-06-02.jsonl", [enc(good(3))])
    res = runner.invoke(cli, ["--db", str(tmp_path / "s.db"), "ingest", str(ok)])
    assert res.exit_code == 0


def test_not_a_database_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    res = CliRunner().invoke(cli, ["--db", str(bogus), "stats"])
    assert res.exit_code == 1
    assert "cannot open store" in res.stderr and "Traceback" not in res.output
