"""Profiles and library imports on real papers: every format, bad entries reported by file and
entry while the good ones import, the Zotero web API through pyzotero against a local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.errors import LibraryError, ProfileError, ProfileNotFound
from paperradar.ingest import ingest_paths
from paperradar.radar import library
from paperradar.radar.profiles import Profile, ZoteroSource, add_profile, edit_profile, load_profile
from paperradar.store import open_store

REPO = Path(__file__).resolve().parents[2]
DAY = REPO.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days" / "2026-06-01.jsonl.gz"
NOW = "2026-06-02T08:00:00Z"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DAY.exists():
        pytest.skip(f"{DAY} not found")
    path = tmp_path_factory.mktemp("profiles") / "papers.db"
    store = open_store(str(path))
    ingest_paths(store, [DAY])
    store.close()
    return path


@pytest.fixture(scope="module")
def real(db: Path) -> list:
    store = open_store(str(db), read_only=True)
    papers = list(store.iter_papers())[:5]
    store.close()
    return papers


@pytest.fixture
def store(db: Path, tmp_path: Path):
    copy = tmp_path / "copy.db"
    src = open_store(str(db), read_only=True)
    src.conn.execute(f"VACUUM INTO '{copy}'")  # type: ignore[attr-defined]
    src.close()
    s = open_store(str(copy))
    yield s
    s.close()


def test_bibtex_bad_entry_named_by_key_good_entries_import(store, real, tmp_path: Path) -> None:
    p0 = real[0]
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@string{conf = \"ICML\"}\n"
        "@article{matched, title={Something}, author={Doe, Jane and Roe, R.},\n"
        f"  eprint={{{p0.arxiv_id}v2}},\n"
        "  archivePrefix={arXiv}, year={2026}}\n"
        "@article{broken, title={Never {closed, author={X}\n"
        "@inproceedings{textonly, title={Graph {Neural} Networks for Molecules}, booktitle=conf,\n"
        "  abstract={We learn on graphs.}, year=2021, doi={10.1000/XYZ.1}}\n"
        "@misc{empty, note={nothing to go by}}\n", encoding="utf-8")
    change = add_profile(store, Profile("ana", keywords=("graphs",)), [bib], now=NOW)
    report = change.imported
    assert [str(r) for r in report.rejections] == [
        f"{bib}:5: entry 'broken': unbalanced braces (the entry never closes)",
        f"{bib}:8: field 'title': entry 'empty': no title, arXiv id or DOI: nothing to match or read"]
    items = {i.key: i for i in store.library_items("ana")}
    assert set(items) == {f"arxiv:{p0.arxiv_id}", "doi:10.1000/xyz.1"}
    matched = items[f"arxiv:{p0.arxiv_id}"]
    assert matched.abstract == " ".join(p0.abstract.split())  # filled from the stored paper
    assert matched.authors == ("Jane Doe", "R. Roe") and matched.source == "refs.bib#matched"
    text = items["doi:10.1000/xyz.1"]
    assert (text.title, text.abstract, text.date, text.arxiv_id) == (
        "Graph Neural Networks for Molecules", "We learn on graphs.", "2021", None)
    assert report.matched == 1


def test_ris_csl_json_and_zotero_csv(store, real, tmp_path: Path) -> None:
    p1, p2, p3 = real[1], real[2], real[3]
    ris = tmp_path / "lib.ris"
    ris.write_text(
        "TY  - JOUR\nTI  - First\nAU  - Doe, Jane\n"
        f"UR  - https://arxiv.org/abs/{p1.arxiv_id}\nPY  - 2026\nER  - \n"
        "TI  - no type line\nER  - \n"
        "TY  - CONF\nT1  - Sparse attention for long documents\nAB  - Long text.\nDO  - 10.5/abc\nER  - \n",
        encoding="utf-8")
    got = library.read_library(ris)
    assert [type(g).__name__ for g in got] == ["LibraryItem", "Rejection", "LibraryItem"]
    assert str(got[1]) == f"{ris}:7: entry 2: does not start with a 'TY  - ' line"
    assert got[0].arxiv_id == p1.arxiv_id and got[2].title == "Sparse attention for long documents"

    csl = tmp_path / "lib.json"
    csl.write_text(json.dumps([
        {"id": "a", "type": "article", "title": "Via DOI", "DOI": f"10.48550/arXiv.{p2.arxiv_id}",
         "author": [{"family": "Roe", "given": "Rita"}], "issued": {"date-parts": [[2026, 5, 3]]}},
        "not an object",
        {"id": "c", "title": 42},
    ]), encoding="utf-8")
    got = library.read_library(csl)
    assert got[0].arxiv_id == p2.arxiv_id and got[0].date == "2026-05-03" and got[0].authors == ("Rita Roe",)
    assert str(got[1]) == f"{csl} record 2: entry 2: expected an object, got str"
    assert "entry 3 ('c'): title must be a string" in str(got[2])

    zcsv = tmp_path / "zotero.csv"
    zcsv.write_text(
        '"Key","Item Type","Publication Year","Author","Title","DOI","Url","Abstract Note","Date","Extra"\n'
        '"K1","preprint","2026","Doe, Jane; Roe, Rita","Z one","","","","2026-06-01",'
        f'"arXiv: {p3.arxiv_id}"\n'
        '"K2","journalArticle","2019","","","","","","",""\n', encoding="utf-8")
    got = library.read_library(zcsv)
    assert got[0].arxiv_id == p3.arxiv_id and got[0].authors == ("Jane Doe", "Rita Roe")
    assert str(got[1]).startswith(f"{zcsv}:3: field 'title': entry 2 ('K2'): no title")

    change = add_profile(store, Profile("bo"), [ris, csl, zcsv], now=NOW)
    assert change.imported.matched == 3 and len(change.imported.rejections) == 4
    assert len(store.library_items("bo")) == 4


def test_unreadable_files_are_errors_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(LibraryError, match=r"x\.json: not valid JSON"):
        library.read_library(bad)
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(LibraryError, match="unknown library format"):
        library.read_library(other)
    latin = tmp_path / "l.bib"
    latin.write_bytes(b"@article{k, title={Caf\xe9}}")
    with pytest.raises(LibraryError, match="not UTF-8"):
        library.read_library(latin)


def test_zotero_web_api_through_pyzotero(store, real, httpserver, monkeypatch) -> None:
    """A local server answering /users/ID/items/top as Zotero does: JSON items, a Link header for
    the next page, Total-Results; pyzotero follows the pages."""
    p4 = real[4]
    page1 = [{"key": "AAA1", "version": 1, "library": {"type": "user", "id": 42}, "links": {}, "meta": {},
              "data": {"key": "AAA1", "itemType": "preprint", "title": "Zotero paper",
                       "creators": [{"creatorType": "author", "firstName": "Jane", "lastName": "Doe"}],
                       "abstractNote": "", "archiveID": f"arXiv:{p4.arxiv_id}", "url": "",
                       "date": "2026-06-01"}}]
    page2 = [{"key": "NOTE", "data": {"key": "NOTE", "itemType": "note", "note": "x"}},
             {"key": "BBB2", "data": {"key": "BBB2", "itemType": "journalArticle", "title": "Offline text",
                                      "abstractNote": "Kept as text.", "creators": [{"name": "Team X"}],
                                      "DOI": "10.9999/q", "date": "2020"}}]
    base = httpserver.url_for("").rstrip("/")
    headers = {"Total-Results": "3", "Link": f'<{base}/users/42/items/top?start=1&limit=1>; rel="next"'}
    httpserver.expect_ordered_request("/users/42/items/top", query_string={"limit": "1", "format": "json",
                                                                   "locale": "en-US"},
                              headers={"Authorization": "Bearer sekrit"}
                              ).respond_with_json(page1, headers=headers)
    httpserver.expect_ordered_request("/users/42/items/top").respond_with_json(
        page2, headers={"Total-Results": "3"})
    monkeypatch.setenv("ZOTERO_KEY", "sekrit")
    monkeypatch.setattr(library, "fetch_zotero", _small_pages(library.fetch_zotero))
    change = add_profile(store, Profile("zo"), zotero=ZoteroSource("42", "ZOTERO_KEY", base), now=NOW)
    items = {i.key: i for i in store.library_items("zo")}
    assert set(items) == {f"arxiv:{p4.arxiv_id}", "doi:10.9999/q"}
    assert items[f"arxiv:{p4.arxiv_id}"].source == "zotero:AAA1" and change.imported.matched == 1
    assert items["doi:10.9999/q"].authors == ("Team X",)


def _small_pages(fetch):  # one item a page, so the test sees pyzotero follow the Link header
    return lambda user, key, base_url=None, limit=100: fetch(user, key, base_url, limit=1)


def test_zotero_key_variable_must_be_set(store, monkeypatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(Exception, match=r"\$NO_SUCH_KEY is not set"):
        add_profile(store, Profile("zo"), zotero=ZoteroSource("42", "NO_SUCH_KEY", "http://127.0.0.1:9"))
    assert store.get_profile("zo") is None  # nothing stored when the import cannot start


def test_edit_and_errors(store, real) -> None:
    add_profile(store, Profile("ana", keywords=("a",), authors=("X Y",)), now=NOW)
    with pytest.raises(ProfileError, match="exists already"):
        add_profile(store, Profile("ana"))
    with pytest.raises(ProfileError, match="profile name"):
        add_profile(store, Profile("bad name!"))
    change = edit_profile(store, "ana", {"keywords": ("b", "c"), "seed_papers": (real[0].arxiv_id,)},
                          now="2026-06-03T00:00:00Z")
    p = load_profile(store, "ana")
    assert p.keywords == ("b", "c") and p.authors == ("X Y",) and p.created == NOW
    assert p.updated == "2026-06-03T00:00:00Z" and change.imported.matched == 1
    assert [i.source for i in store.library_items("ana")] == ["seed"]
    with pytest.raises(ProfileNotFound, match=r"no profile named 'nope' \(profiles: ana\)"):
        load_profile(store, "nope")


def test_cli_round_trip_and_exit_status(db: Path, real, tmp_path: Path) -> None:
    copy = tmp_path / "cli.db"
    src = open_store(str(db), read_only=True)
    src.conn.execute(f"VACUUM INTO '{copy}'")  # type: ignore[attr-defined]
    src.close()
    bib = tmp_path / "r.bib"
    bib.write_text(f"@misc{{ok, title={{T}}, eprint={{{real[0].arxiv_id}}}}}\n" "@misc{bad, title={x}\n",
                   encoding="utf-8")
    runner = CliRunner()
    base = ["--db", str(copy)]
    r = runner.invoke(cli, [*base, "profile", "add", "ana", "--keywords", "graphs, diffusion", "--authors",
                            "Doe, Jane; Roe", "--library", str(bib), "--json"])
    assert r.exit_code == 1, r.output
    assert "entry 'bad'" in r.stderr and json.loads(r.stdout)["imported"] == 1
    r = runner.invoke(cli, [*base, "profile", "show", "ana", "--json"])
    shown = json.loads(r.output)
    assert shown["authors"] == ["Doe, Jane", "Roe"] and shown["keywords"] == ["graphs", "diffusion"]
    r = runner.invoke(cli, [*base, "profile", "edit", "ana", "--exclude", "survey"])
    assert r.exit_code == 0, r.output
    assert "ana" in runner.invoke(cli, [*base, "profile", "list"]).output
    assert runner.invoke(cli, [*base, "profile", "remove", "ana"]).exit_code == 0
    r = runner.invoke(cli, [*base, "profile", "show", "ana"])
    assert r.exit_code == 1 and "no profile named 'ana'" in r.output


HELP_ARGS = [["--help"], ["profile", "add", "--help"], ["recommend", "--help"], ["feedback", "--help"]]


def test_help_does_not_import_heavy_libraries() -> None:
    """The radar commands load their libraries only when they run (numpy is loaded by other commands'
    modules at import today; tests/test_config.py checks that separately)."""
    code = ("import sys; from paperradar.cli import cli\n"
            f"for args in {HELP_ARGS!r}:\n"
            "    try:\n        cli.main(args, standalone_mode=False)\n    except SystemExit: pass\n"
            "heavy = [m for m in ('sklearn', 'bibtexparser', 'rispy', 'pyzotero', 'paperradar.radar.rank',\n"
            "                     'paperradar.radar.library') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, check=True).stdout
    assert "HEAVY []" in out
