"""Our own digests (md, html, json), the CLI around them and write_site, on a small hand-made store."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from paperradar.cli import cli
from paperradar.digest import DigestError, render_day, write_site
from paperradar.digest.authors import shorten_authors
from paperradar.digest.markdown import escape
from paperradar.ingest import ingest_records
from paperradar.models import CodeLink, Listing, Origin, Paper, Record, Summary
from paperradar.store import open_store

HOSTILE_TITLE = (
    "<script>document.body.setAttribute('data-pwned','1')</script> Learning x_1 *fast* "
    "[click](javascript:alert(1)) & &amp; with $\\alpha_{i}^{*} < 1$ and \\emph{care}_"
)
IMG_TITLE = "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\"> Robust   vision\n  models"
AUTHORS = tuple(f"Author{i:03d} Surname" for i in range(1, 101))


def _summary(pid: str, source: str, language: str, created: str, tag: str) -> Summary:
    return Summary(pid, source, f"model-{source}", language, f"tldr {tag}", f"motivation {tag}",
                   f"method {tag}", f"result {tag}", f"conclusion {tag}", created=created)


def _record(paper: Paper, date: str, category: str, position: int, **extra) -> Record:
    listing = Listing(paper.arxiv_id, date, category, position)
    return Record(paper=paper, origin=Origin("test"), listing=listing, **extra)


PAPER_A = Paper("2606.00001", HOSTILE_TITLE, AUTHORS,
                "First line of the abstract with $x_i$ and a_b_c,\nwrapped here.\n"
                "  Second paragraph: *not bold*.",
                ("cs.CV", "cs.AI"), version=2, comment="10 pages, <b>5</b> figures")
PAPER_B = Paper("2606.00002", "A plain title", ("Ada Lovelace", "Alan Turing"), "Plain abstract.", ("cs.CL",))
PAPER_C = Paper("2606.00003", IMG_TITLE, ("Grace Hopper",), "Abstract C.", ("cs.CV",))
PAPER_D = Paper("2606.00004", "Newcomer", ("Edsger Dijkstra",), "Abstract D.", ("cs.CL",))


@pytest.fixture()
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "digest.db")
    store = open_store(path)
    day1 = [
        _record(PAPER_A, "2026-06-01", "cs.CV", 0,
                summary=_summary(PAPER_A.arxiv_id, "imported", "Chinese", "2026-01-01T00:00:00", "zh"),
                code=CodeLink(PAPER_A.arxiv_id, "https://github.com/org/repo", 1234, "2026-05-01")),
        _record(PAPER_B, "2026-06-01", "cs.CL", 1,
                code=CodeLink(PAPER_B.arxiv_id, "javascript:alert(1)", 5)),
        _record(PAPER_C, "2026-06-01", "cs.CV", 2),
    ]
    ingest_records(store, day1, "day1")
    store.upsert_summaries([
        _summary(PAPER_A.arxiv_id, "llm", "English", "2026-02-01T00:00:00", "en-llm"),
        _summary(PAPER_A.arxiv_id, "extractive", "English", "2026-01-15T00:00:00", "en-extractive"),
    ])
    # Saturday repeats Monday's list exactly; Wednesday lists one old and one new paper
    ingest_records(store, [_record(p, "2026-06-02", c, i) for i, (p, c) in
                           enumerate([(PAPER_A, "cs.CV"), (PAPER_B, "cs.CL"), (PAPER_C, "cs.CV")])], "day2")
    ingest_records(store, [_record(PAPER_A, "2026-06-05", "cs.CV", 0),
                           _record(PAPER_D, "2026-06-05", "cs.CL", 1)], "day3")
    store.close()
    return path


def _digest(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, "digest", "daily", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


class _Collector(HTMLParser):
    """Tags, attributes and text of each element we care about, from real parsed HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "img", "link", "hr", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        for tag in set(self.stack):
            self.texts.setdefault(tag, []).append(data)


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    return parser


# -- Markdown -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    HOSTILE_TITLE, "snake_case and _emph_ and __strong__", "# not a heading", "1. not a list",
    "- not a list", "> not a quote", "---", "back\\slash \\alpha \\_ \\\\", "`code` and ``more``",
    "a <b>tag</b> &lt; &#42; R&D", "~~strike~~ | pipe |", "$a_1$ costs $5 and $$\\sum_i x_i$$",
    "price $5 and $6, or $ x $",
])
def test_markdown_escape_survives_a_commonmark_renderer(text: str) -> None:
    """Rendered by markdown-it (CommonMark + tables/strikethrough), the text reads exactly as given."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    html = md.render(escape(text))
    parsed = _parse(html)
    assert [t for t, _ in parsed.tags] in (["p"], ["p", "code"], ["p", "code", "code"]), html
    assert "".join(parsed.texts.get("p", [])) == text


def test_markdown_escape_keeps_latex_readable() -> None:
    assert escape("with $\\alpha_{i}$ and \\emph{x}") == "with `$\\alpha_{i}$` and \\emph{x}"
    assert escape("snake_case") == "snake_case"


def test_md_digest_content(db: str) -> None:
    out = _digest(db, "--date", "2026-06-01", "--format", "md")
    assert out.startswith("# arXiv digest: 2026-06-01\n")
    assert "**3 papers** in 2 categories, summaries in Chinese." in out
    assert "- [cs.CV](#cat-cs-CV): 2\n- [cs.CL](#cat-cs-CL): 1" in out
    md = MarkdownIt("commonmark")
    html = md.render(out)
    parsed = _parse(html)
    tags = {t for t, _ in parsed.tags}
    assert "script" not in tags and "img" not in tags
    h3 = "".join(parsed.texts["h3"])
    assert "1. " + HOSTILE_TITLE in h3
    assert "Robust vision models" in h3  # line breaks inside titles collapsed
    links = [a["href"] for t, a in parsed.tags if t == "a" and "href" in a]
    assert not any(h.startswith("javascript") for h in links)
    assert "https://github.com/org/repo" in links
    assert "★ 1,234" in out
    assert "javascript:alert(1)" not in out.replace("(javascript:alert(1))", "")  # title text only
    # 100 authors: first 10, …, last 2, and the count
    assert "Author010 Surname, …, Author099 Surname, Author100 Surname (100 authors)" in out
    assert "Author011 Surname" not in out
    # summary in the imported language, abstract paragraphs kept apart
    assert "**TL;DR:** tldr zh" in out
    assert "*Summary: imported, model-imported, Chinese*" in out
    assert "wrapped here.\n\nSecond paragraph: \\*not bold\\*." in out
    assert "`$x_i$` and a_b_c," in out


def test_md_language_choice_and_filter(db: str) -> None:
    out = _digest(db, "--date", "2026-06-01", "--format", "md", "--language", "english")
    assert "**TL;DR:** tldr en-llm" in out  # the newer English summary, not the extractive one
    assert "summaries in english" in out
    only = _digest(db, "--date", "2026-06-01", "--format", "md", "--categories", "cs.CL")
    assert "A plain title" in only and "Robust" not in only and "Newcomer" not in only
    assert "**1 paper** in 1 category." in only


def test_repeat_and_already_seen_notices(db: str) -> None:
    assert "lists exactly the papers of 2026-06-01" in _digest(db, "--date", "2026-06-02", "--format", "md")
    later = _digest(db, "--date", "2026-06-05", "--format", "md")
    assert "1 of these papers were already listed on earlier days." in later
    first = _digest(db, "--date", "2026-06-01", "--format", "md")
    assert "Repeat" not in first and "already listed" not in first


# -- HTML -----------------------------------------------------------------------------------------

def test_html_escapes_everything_and_is_self_contained(db: str) -> None:
    html = _digest(db, "--date", "2026-06-01", "--format", "html")
    parsed = _parse(html)
    tags = [t for t, _ in parsed.tags]
    assert "script" not in tags and "img" not in tags and "link" not in tags
    assert tags.count("style") == 1
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert not any(a.get("src") for _, a in parsed.tags)
    hrefs = [a["href"] for t, a in parsed.tags if t == "a"]
    assert all(h.startswith(("#", "https://")) for h in hrefs), hrefs
    assert "https://github.com/org/repo" in hrefs
    h3 = "".join(parsed.texts["h3"])
    assert HOSTILE_TITLE in h3 and "<img src=x" in h3
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in parsed.tags
    assert any(t == "div" and a.get("lang") == "zh" for t, a in parsed.tags)
    assert "(100 authors)" in "".join(parsed.texts["p"])
    assert tags.count("details") >= 3  # abstracts fold without JavaScript
    assert "10 pages, <b>5</b> figures" in "".join(parsed.texts["p"])


# -- JSON -----------------------------------------------------------------------------------------

def test_json_schema(db: str) -> None:
    data = json.loads(_digest(db, "--date", "2026-06-02", "--format", "json"))
    assert data["schema_version"] == 1
    assert (data["date"], data["repeats"], data["already_seen"], data["total"]) == (
        "2026-06-02", "2026-06-01", 3, 3)
    assert data["counts"] == {"cs.CV": 2, "cs.CL": 1}
    assert [c["name"] for c in data["categories"]] == ["cs.CV", "cs.CL"]
    a = data["categories"][0]["papers"][0]
    assert set(a) == {"id", "version", "title", "authors", "categories", "primary_category",
                      "listing_category", "comment", "journal_ref", "doi", "links", "code", "summary",
                      "abstract"}
    assert (a["id"], a["version"], a["title"], len(a["authors"])) == ("2606.00001", 2, HOSTILE_TITLE, 100)
    assert a["primary_category"] == "cs.CV" and a["categories"] == ["cs.CV", "cs.AI"]
    assert a["links"] == {"abs": "https://arxiv.org/abs/2606.00001", "pdf": "https://arxiv.org/pdf/2606.00001"}
    assert a["code"] == {"url": "https://github.com/org/repo", "stars": 1234, "last_update": "2026-05-01"}
    assert a["summary"]["source"] == "imported" and a["summary"]["language"] == "Chinese"
    assert a["summary"]["tldr"] == "tldr zh" and a["abstract"] == PAPER_A.abstract
    english = json.loads(_digest(db, "--date", "2026-06-02", "--format", "json", "--language", "English"))
    s = english["categories"][0]["papers"][0]["summary"]
    assert (s["source"], s["model"], s["language"]) == ("llm", "model-llm", "English")
    c = data["categories"][0]["papers"][1]
    assert c["summary"] is None and c["code"] is None


# -- errors, ordering, API ------------------------------------------------------------------------

def test_missing_date_names_nearest_dates(db: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db, "digest", "daily", "--date", "2026-06-04"])
    assert result.exit_code == 1
    assert "no listings for 2026-06-04" in result.output
    assert "nearest dates with listings: 2026-06-01, 2026-06-02, 2026-06-05" in result.output
    assert "Traceback" not in result.output
    none = CliRunner().invoke(cli, ["--db", db, "digest", "daily", "--date", "2026-06-01", "--categories",
                                    "math.AG"])
    assert none.exit_code == 1 and "categories listed that day: cs.CV, cs.CL" in none.output
    bad = CliRunner().invoke(cli, ["--db", db, "digest", "daily", "--date", "June 4"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_empty_store_and_latest_default(tmp_path: Path, db: str) -> None:
    open_store(str(tmp_path / "empty.db")).close()  # an empty store (a missing one is "no store at")
    empty = CliRunner().invoke(cli, ["--db", str(tmp_path / "empty.db"), "digest", "daily"])
    assert empty.exit_code == 1 and "no listings" in empty.output
    assert _digest(db, "--format", "md").startswith("# arXiv digest: 2026-06-05\n")


def test_category_order_and_unknown_format(db: str) -> None:
    store = open_store(db)
    try:
        out = render_day(store, "2026-06-01", "dae-md", category_order=["cs.CL", "cs.XX"])
        assert out.index("- [cs.CL]") < out.index("- [cs.CV]") and "cs.XX" not in out
        assert "### [1] [A plain title]" in out  # numbering follows the section order
        with pytest.raises(DigestError, match="unknown digest format"):
            render_day(store, "2026-06-01", "pdf")
    finally:
        store.close()


def test_output_file_option(db: str, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "day.json"
    result = CliRunner().invoke(cli, ["--db", db, "digest", "daily", "--date", "2026-06-01",
                                      "--format", "json", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["total"] == 3


def test_write_site(db: str, tmp_path: Path) -> None:
    store = open_store(db)
    out = tmp_path / "site"
    try:
        first = write_site(store, "2026-06-01", out)
        second = write_site(store, "2026-06-02", out)
    finally:
        store.close()
    assert [p.name for p in first] == ["2026-06-01.md", "2026-06-01.html", "2026-06-01.json", "index.html"]
    assert all(p.is_file() for p in first + second)
    index = (out / "index.html").read_text(encoding="utf-8")
    hrefs = [a.get("href") for t, a in _parse(index).tags if t == "a"]
    assert hrefs[:2] == ["2026-06-02.html", "2026-06-02.md"]
    assert "2026-06-01.html" in hrefs and "2026-06-01.json" in hrefs
    assert "repeat of 2026-06-01" in index
    assert re.search(r'href="index.html"', (out / "2026-06-02.html").read_text(encoding="utf-8"))
    cli_out = CliRunner().invoke(cli, ["--db", db, "digest", "site", "--date", "2026-06-05",
                                       "--out", str(out), "--json"])
    assert cli_out.exit_code == 0, cli_out.output
    assert len(json.loads(cli_out.stdout)["written"]) == 4 and (out / "2026-06-05.json").is_file()


@pytest.mark.parametrize(("count", "shortened"), [(0, False), (13, False), (14, True), (100, True)])
def test_shorten_authors(count: int, shortened: bool) -> None:
    names = [f"N{i}" for i in range(count)]
    short = shorten_authors(names)
    assert short.shortened is shortened and short.total == count
    text = short.text()
    if shortened:
        assert text == ", ".join(names[:10]) + ", …, " + ", ".join(names[-2:]) + f" ({count} authors)"
    else:
        assert text == ", ".join(names)
