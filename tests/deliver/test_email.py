"""The e-mail against a real SMTP server on 127.0.0.1: what arrives (headers, both parts, escaping,
links), STARTTLS + login and implicit TLS, a refused recipient, a server that is down, 4xx retries,
and the never-twice rule (reruns, empty days, dry runs)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from deliverkit import DAY, HOSTILE, PASSWORD, USER, Server, free_port, make_store

from paperradar.deliver import deliver_profile, signing
from paperradar.deliver.smtp import SmtpSettings
from paperradar.radar.profiles import edit_profile
from paperradar.store import open_store

NOW = datetime(2026, 6, 30, 0, 30, tzinfo=UTC)


def settings(server: Server, **changes: object) -> SmtpSettings:
    base = dict(host=server.host, port=server.port, security=server.security, user=USER,
                sender="radar@lab.example", timeout=10.0, retries=3, ca_file=str(server.ca_file))
    base.update(changes)
    return SmtpSettings(**base)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("PAPERRADAR_WEB_BASE_URL", "https://radar.example/")


def _parts(msg) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return text, html


def test_message_arrives_with_headers_both_parts_escaping_and_links(db: Path, smtpd: Server) -> None:
    store = open_store(str(db))
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW, sleep=lambda s: None)
    assert (out.action, out.state, out.papers) == ("sent", "sent", 5), out
    assert smtpd.handler.logins == [USER]
    assert smtpd.handler.envelopes == [("radar@lab.example", ["ana@example.org"])]
    msg = smtpd.handler.received[0]
    assert msg["Message-ID"] == out.message_id and out.message_id.endswith("@lab.example>")
    assert msg["Date"] == "Tue, 30 Jun 2026 00:30:00 +0000"
    assert msg["To"] == "ana@example.org" and msg["Subject"] == f"paperradar {DAY}: 5 papers for ana"
    unsub = msg["List-Unsubscribe"]
    assert unsub.startswith("<https://radar.example/unsubscribe?") and "mailto:radar@lab.example" in unsub
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = _parts(msg)
    # hostile title and summary: plain text as is, HTML escaped, no live markup
    assert HOSTILE in text and "<img src=x onerror=alert(1)> tl;dr & more" in text
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; tl;dr &amp; more" in html
    assert "<style" not in html and 'style="' in html  # CSS inlined
    # title links to the paper page; feedback links are signed and verify
    assert 'href="https://radar.example/paper/2606.00001"' in html
    assert "https://radar.example/paper/2606.00001" in text
    assert "Why: trending" in text
    links = re.findall(r'href="(https://radar.example/feedback\?[^"]+)"', html)
    assert len(links) == 15
    key = signing.secret(store)
    q = {k: v[0] for k, v in parse_qs(urlsplit(links[0].replace("&amp;", "&")).query).items()}
    t = NOW.timestamp()
    assert signing.check_feedback(key, q["p"], q["id"], q["v"], q["exp"], q["sig"], now=t) is None
    later = t + 31 * 86400
    assert signing.check_feedback(key, q["p"], q["id"], q["v"], q["exp"], q["sig"], now=later) == "expired"
    assert signing.check_feedback(key, q["p"], q["id"], "down", q["exp"], q["sig"], now=t) == "forged"
    # rerun: nothing sent again
    again = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW)
    assert again.action == "already sent" and len(smtpd.handler.received) == 1
    rec = store.get_delivery("ana", DAY)
    assert rec is not None and rec.state == "sent" and rec.attempts == 1 and rec.sent_at


def test_implicit_tls(db: Path, smtpd_tls: Server) -> None:
    store = open_store(str(db))
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd_tls), now=NOW)
    assert out.action == "sent" and len(smtpd_tls.handler.received) == 1, out


def test_refused_recipient_is_recorded_and_retried_next_run(db: Path, smtpd: Server) -> None:
    store = open_store(str(db))
    smtpd.handler.refuse.add("ana@example.org")
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW, sleep=lambda s: None)
    assert (out.action, out.state) == ("failed", "failed")
    assert "550" in out.reason and "ana@example.org" in out.reason
    assert not smtpd.handler.received
    first = store.get_delivery("ana", DAY)
    assert first is not None and first.state == "failed"
    smtpd.handler.refuse.clear()
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW)
    assert out.action == "sent" and len(smtpd.handler.received) == 1
    assert smtpd.handler.received[0]["Message-ID"] == first.message_id  # the same stored message


def test_wrong_password_is_permanent(db: Path, smtpd: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_SMTP_PASSWORD", "wrong")
    store = open_store(str(db))
    sleeps: list[float] = []
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW, sleep=sleeps.append)
    assert out.state == "failed" and "login: 535" in out.reason and sleeps == []


def test_temporary_4xx_is_retried_with_backoff(db: Path, smtpd: Server) -> None:
    store = open_store(str(db))
    smtpd.handler.temporary = 2
    sleeps: list[float] = []
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW, sleep=sleeps.append)
    assert out.action == "sent" and sleeps == [5.0, 10.0] and len(smtpd.handler.received) == 1
    assert store.get_delivery("ana", DAY).attempts == 3  # type: ignore[union-attr]


def test_server_down_is_recorded_then_sent_when_back(db: Path, smtpd: Server) -> None:
    store = open_store(str(db))
    down = SmtpSettings("127.0.0.1", free_port(), "starttls", USER, sender="radar@lab.example", timeout=2,
                        retries=2, ca_file=str(smtpd.ca_file))
    sleeps: list[float] = []
    out = deliver_profile(store, "ana", DAY, smtp=down, now=NOW, sleep=sleeps.append)
    assert out.state == "failed" and out.reason.startswith("temporary: 127.0.0.1:") and sleeps == [5.0]
    assert "ConnectionRefused" in out.reason
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW)
    assert out.action == "sent" and len(smtpd.handler.received) == 1


def test_untrusted_certificate_is_refused(db: Path, smtpd: Server) -> None:
    store = open_store(str(db))
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd, ca_file=None), now=NOW,
                          sleep=lambda s: None)
    assert out.state == "failed" and "certificate does not verify" in out.reason
    assert not smtpd.handler.received


def test_empty_days_say_why_or_stay_quiet_when_opted_out(tmp_path: Path, smtpd: Server) -> None:
    store = open_store(str(make_store(tmp_path / "p.db")))
    assert deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW).action == "sent"
    # the next Monday-like rerun of a day everything was shown: nothing new, says why
    store.add_listings([])  # nothing
    weekend = deliver_profile(store, "ana", "2026-07-04", smtp=settings(smtpd), now=NOW)
    assert weekend.kind == "empty" and "Saturday" in weekend.reason and weekend.action == "sent"
    late = deliver_profile(store, "ana", "2026-07-01", smtp=settings(smtpd), now=NOW)
    assert late.kind == "late" and "not out yet" in late.reason
    subjects = [m["Subject"] for m in smtpd.handler.received]
    assert subjects[1] == "paperradar 2026-07-04: nothing new for ana"
    text, _ = _parts(smtpd.handler.received[1])
    assert "arXiv announces nothing on weekends" in text
    assert subjects[2] == "paperradar 2026-07-01: the listing is not out yet"
    # opted out: recorded, nothing sent
    edit_profile(store, "ana", {"empty_notice": False})
    quiet = deliver_profile(store, "ana", "2026-07-05", smtp=settings(smtpd), now=NOW)
    assert quiet.action == "skipped" and "opted out" in quiet.reason and len(smtpd.handler.received) == 3


def test_late_note_is_replaced_by_the_papers_when_the_listing_arrives(tmp_path: Path, smtpd: Server) -> None:
    from paperradar.models import Listing

    store = open_store(str(make_store(tmp_path / "p.db")))
    late = deliver_profile(store, "ana", "2026-06-30", smtp=settings(smtpd), now=NOW)
    assert late.kind == "late"
    with store.transaction():
        store.add_listings([Listing("2606.00002", "2026-06-30", "cs.LG", 0)])
    out = deliver_profile(store, "ana", "2026-06-30", smtp=settings(smtpd), now=NOW)
    assert out.kind == "papers" and out.action == "sent" and out.papers == 1
    assert deliver_profile(store, "ana", "2026-06-30", smtp=settings(smtpd)).action == "already sent"
    assert len(smtpd.handler.received) == 2


def test_nothing_above_threshold_says_why(tmp_path: Path, smtpd: Server) -> None:
    from paperradar.radar.recommend import Recommendation

    store = open_store(str(make_store(tmp_path / "p.db")))

    def nothing(store, name, **kw):
        return Recommendation(name, (DAY, DAY), 5, 2.3)

    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW, rank=nothing)
    assert out.kind == "empty" and "cleared your profile's threshold" in out.reason and out.action == "sent"


def test_dry_run_writes_eml_and_records_nothing(db: Path, tmp_path: Path) -> None:
    store = open_store(str(db))
    out = deliver_profile(store, "ana", DAY, dry_run=tmp_path / "out", now=NOW)
    assert out.action == "written" and out.files == [str(tmp_path / "out" / f"ana_{DAY}.eml")]
    raw = Path(out.files[0]).read_bytes()
    assert b"Message-ID: <paperradar." in raw and b"multipart/alternative" in raw
    assert store.get_delivery("ana", DAY) is None
    assert store.seen_for("ana", ["2606.00001"]) == {}  # the seen history was rolled back


def test_profile_without_email_is_recorded_for_its_feed(tmp_path: Path, smtpd: Server) -> None:
    store = open_store(str(make_store(tmp_path / "p.db", email=None)))
    out = deliver_profile(store, "ana", DAY, smtp=settings(smtpd), now=NOW)
    assert out.action == "skipped" and out.papers == 5 and not smtpd.handler.received
