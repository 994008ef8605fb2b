"""The LLM backend of the topic digest: every kept sentence cites only papers it was shown and
states only numbers and URLs of the cited paper; the rest is dropped and counted; a section that
loses too much stays extractive, marked.

Two servers on 127.0.0.1: a crafted OpenAI-format one (unknown keys, invented numbers and URLs,
good sentences, failures), and the real SmolLM2-135M through llama-cpp-python (tests/llama_helper.py).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from llama_helper import llama_server
from markupsafe import escape

from paperradar.cli import cli
from paperradar.digest.topic.formats import render_topic
from paperradar.digest.topic.llm import build_writer, check_paragraph, load_topic_prompt
from paperradar.digest.topic.model import TopicPaper
from paperradar.digest.topic.render import FALLBACK_NOTE
from paperradar.digest.topic.service import make_digest
from paperradar.index.state import index_dir
from paperradar.models import Paper
from paperradar.store import open_store

WINDOW = {"since": "2026-06-29", "until": "2026-07-01"}
QUERY = "diffusion models"
FAKE_URL = "github.com/nobody/invented-repo-xyz"


def tp(key: str, abstract: str, comment: str | None = None) -> TopicPaper:
    paper = Paper(f"2607.0000{key[1:]}", f"Paper {key}", ("A. Author", "B. Author"), abstract, ("cs.LG",),
                  comment=comment)
    return TopicPaper(key, paper, "2026-07-01", 1.0, "It does a thing.")


def test_sentence_checks() -> None:
    shown = {"P1": tp("P1", "We reach 91.5% accuracy on 1,000 images.", "Code: https://github.com/a/b"),
             "P2": tp("P2", "A study of sampling.")}
    text = ("P1 reaches 91.5% accuracy on 1000 images. Sampling is studied here in depth [P2]. "
            "Another claim that cites nothing at all. It is great [P7]. It reaches 99.9% accuracy [P1]. "
            "Code is at github.com/a/b for everyone [P1]. Code is at github.com/x/y for everyone [P1]. "
            "Both matter [P1, P2]. Both papers work on images and sampling [P1, P2].")
    checked = check_paragraph(text, shown)
    kept = [(s.text, s.papers) for s in checked.kept]
    assert kept == [
        ("{cite} reaches 91.5% accuracy on 1000 images.", ("2607.00001",)),
        ("Sampling is studied here in depth.", ("2607.00002",)),
        ("Code is at github.com/a/b for everyone.", ("2607.00001",)),
        ("Both papers work on images and sampling.", ("2607.00001", "2607.00002")),
    ]
    assert checked.dropped == 5, checked.reasons  # no citation, P7, 99.9, x/y, too short
    reasons = " | ".join(checked.reasons)
    for why in ("no citation", "unknown key P7", "number 99.9", "URL github.com/x/y", "too short"):
        assert why in reasons


def test_prompt_is_a_versioned_file() -> None:
    prompt = load_topic_prompt()
    assert prompt.version == "topic-v1"
    msgs = prompt.messages(query="q", language="English", task="T", papers="[P1] Title: x")
    assert "[P1] Title: x" in msgs[1]["content"] and "{" not in msgs[0]["content"]


# -- a crafted OpenAI-compatible server ---------------------------------------------------------------------

class Crafted(BaseHTTPRequestHandler):
    requests: list[dict] = []
    fail = False

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Crafted.requests.append(body)
        if Crafted.fail:
            self._send(400, {"error": {"message": "invalid request: no such model"}})
            return
        user = body["messages"][1]["content"]
        keys = re.findall(r"^\[(P\d+)\] Title:", user, re.M)
        first = keys[0]
        found = re.search(rf"^\[{first}\] Title:[^\n]*\nSummary:[^\n]*\nAbstract: ([^\n]*)", user, re.M)
        abstract = found.group(1) if found else ""
        abstract = re.sub(r"(?<=\d),(?=\d{3}\b)", "", abstract)
        number = next(iter(re.findall(r"(?<![A-Za-z])\d+(?:\.\d+)?", abstract)), None)
        good = [f"This line of work is described in detail here [{first}].",
                f"{first} takes a careful look at the problem it studies."]
        if number:
            good.append(f"The paper reports the figure {number} in its abstract [{first}].")
        else:
            good.append(f"The paper explains its approach at some length [{first}].")
        bad = ["These papers beat every baseline in the field [P999].",
               f"It reaches 97.31234 percent accuracy on every benchmark [{first}].",
               f"Its code is released at https://{FAKE_URL} for all [{first}]."]
        task = user.split("\n", 1)[0]
        if "road ahead" in task:
            text = " ".join(bad)  # all dropped: the outlook falls back
        elif "theme" in task and Crafted.theme_calls % 2 == 1:
            text = " ".join(good[:1] + bad)  # 1 kept, 3 dropped: falls back
        else:
            text = " ".join(good + bad)  # 3 kept, 3 dropped: kept
        if "theme" in task:
            Crafted.theme_calls += 1
        self._send(200, {"id": "x", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": text}}],
                         "usage": {"prompt_tokens": 100, "completion_tokens": 50}})

    theme_calls = 0

    def _send(self, status: int, data: dict) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def crafted():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Crafted)
    Crafted.requests, Crafted.fail, Crafted.theme_calls = [], False, 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def store(topic_db: Path):
    s = open_store(str(topic_db))
    yield s
    s.close()


def cited_ids(sentences) -> set[str]:
    return {i for s in sentences for i in s.papers}


def test_crafted_replies_are_checked_dropped_counted_and_fall_back(crafted, store, topic_db,
                                                                   tmp_path) -> None:
    cache = tmp_path / "llm-cache.sqlite"
    writer = build_writer(base_url=crafted, model="crafted", cache_path=cache, concurrency=1)
    d = make_digest(store, index_dir(str(topic_db)), QUERY, n=40, backend="llm", writer=writer, **WINDOW)
    themes = len(d.themes)
    assert len(Crafted.requests) == themes + 1 and d.backend == "llm"
    sent = Crafted.requests[0]["messages"][1]["content"]
    ids = {p.arxiv_id for p in d.papers}
    for p in d.papers:  # the model sees keys, titles, summaries, abstracts; never ids or links
        assert p.arxiv_id not in sent
    # kept themes: 3 of 6 sentences each; fallen back: 1 of 4; the outlook: 0 of 3
    kept_themes = [t for t in d.themes if not t.fallback]
    fell = [t for t in d.themes if t.fallback]
    assert len(kept_themes) == (themes + 1) // 2 and len(fell) == themes // 2
    assert d.dropped_sentences == 3 * len(kept_themes) + 3 * len(fell) + 3
    assert d.outlook_fallback
    for t in kept_themes:
        llm_sentences = t.sentences[:3]
        assert all(len(s.papers) == 1 for s in llm_sentences)
        assert cited_ids(llm_sentences) == {t.papers[0]}
        assert set(t.papers) == cited_ids(t.sentences)  # the rest listed: every theme paper cited
        assert t.sentences[-1].text == "Other papers in this theme" or len(t.papers) == 1
    assert cited_ids(s for t in d.themes for s in t.sentences) == {i for t in d.themes for i in t.papers}
    assert cited_ids(s for t in d.themes for s in t.sentences) <= ids
    md = render_topic(d, "md")
    assert "97.31234" not in md and FAKE_URL not in md and "P999" not in md
    assert not re.search(r"\bP\d+\b", md.split("## Papers in this issue")[0])
    assert md.count(FALLBACK_NOTE) == len(fell) + 1
    data = json.loads(render_topic(d, "json"))
    assert data["backend"] == "llm" and data["dropped_sentences"] == d.dropped_sentences
    assert [t["fallback"] for t in data["themes"]] == [t.fallback for t in d.themes]
    assert data["outlook"]["fallback"] is True
    html = render_topic(d, "html")
    assert "97.31234" not in html and html.count(str(escape(FALLBACK_NOTE))) == len(fell) + 1
    writer.close()

    # the same digest again: every answer comes from the cache
    again = build_writer(base_url=crafted, model="crafted", cache_path=cache, concurrency=1)
    d2 = make_digest(store, index_dir(str(topic_db)), QUERY, n=40, backend="llm", writer=again, **WINDOW)
    again.close()
    assert len(Crafted.requests) == themes + 1
    assert render_topic(d2, "json") == render_topic(d, "json")


def test_failing_endpoint_keeps_every_section_extractive(crafted, topic_db, tmp_path, monkeypatch) -> None:
    Crafted.fail = True
    monkeypatch.setenv("PAPERRADAR_LLM_CACHE", str(tmp_path / "c.sqlite"))
    result = CliRunner().invoke(cli, ["--db", str(topic_db), "digest", "topic", QUERY, "--n", "30",
                                      "--since", WINDOW["since"], "--until", WINDOW["until"], "--backend",
                                      "llm", "--base-url", crafted, "--model", "crafted", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{"):])
    assert data["backend"] == "llm" and data["dropped_sentences"] == 0
    assert all(t["fallback"] for t in data["themes"]) and data["outlook"]["fallback"]
    assert len(Crafted.requests) == len(data["themes"]) + 1  # a 400 is not retried


# -- the real local model -----------------------------------------------------------------------------------

_NUM = re.compile(r"\d+(?:\.\d+)?")


@pytest.mark.slow
def test_smollm2_digest_keeps_only_valid_citations(store, topic_db, tmp_path) -> None:
    with llama_server(tmp_path) as (base, log):
        writer = build_writer(base_url=base, model="smollm2", cache_path=tmp_path / "cache.sqlite",
                              concurrency=1, max_tokens=128, max_prompt_chars=2400, timeout=300)
        d = make_digest(store, index_dir(str(topic_db)), QUERY, n=6, backend="llm", writer=writer, **WINDOW)
        writer.close()
        requests = log.read_text().count("POST /v1/chat/completions")
    assert requests == len(d.themes) + (1 if d.outlook or d.outlook_fallback else 0), requests
    by_id = d.by_id()
    kept = [s for t in d.themes if not t.fallback for s in t.sentences
            if s.text != "Other papers in this theme"]
    if not d.outlook_fallback:
        kept += d.outlook
    # 100 % of the kept citations are selected papers, and their numbers and URLs are in the cited text
    for s in kept:
        assert s.papers and all(i in by_id for i in s.papers), s
        text = " ".join(by_id[i].text() + " " + by_id[i].claim for i in s.papers).replace(",", "")
        for n in _NUM.findall(s.text.replace(",", "")):
            assert n in text, (n, s)
        assert "http" not in s.text or any(u in text for u in re.findall(r"https?://\S+", s.text)), s
    assert cited_ids(s for t in d.themes for s in t.sentences) == {i for t in d.themes for i in t.papers}
    data = json.loads(render_topic(d, "json"))
    assert data["dropped_sentences"] == d.dropped_sentences >= 0
    print(f"SmolLM2: {len(kept)} sentences kept, {d.dropped_sentences} dropped, "
          f"{sum(t.fallback for t in d.themes) + d.outlook_fallback} of {len(d.themes) + 1} sections "
          "fell back")
