"""The morning e-mail: multipart/alternative, plain text first, then HTML with its CSS inlined.

Mail clients (Gmail, Outlook) drop ``<style>`` blocks or parts of them, so the HTML is written with
a stylesheet and run through ``css-inline`` to put every rule in ``style=""`` attributes. Titles,
authors, TL;DRs and the "why" come from data and are escaped (Jinja2 autoescape); link targets are
built here, never taken from data. Per paper: the title linking to its page (``web.base_url``, else
arXiv), authors, the TL;DR, the why, and signed feedback links (when ``web.base_url`` is set: they
need the web app). Headers: ``Message-ID`` (stable per profile, date and kind, so a retry is the same
message), ``Date``, ``List-Id``, ``List-Unsubscribe`` (+ ``List-Unsubscribe-Post: One-Click``, RFC
8058, when there is an https unsubscribe URL) and ``Auto-Submitted``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from urllib.parse import quote

import jinja2

from paperradar.deliver import signing
from paperradar.web.links import Links

FALLBACK_SENDER = "paperradar@localhost"


@dataclass(frozen=True)
class Envelope:
    profile: str
    date: str
    kind: str  # papers | empty | late
    sender: str
    recipient: str
    reason: str = ""


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("paperradar.deliver", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "html.j2"]),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def message_id(key: bytes, profile: str, date: str, kind: str, sender: str) -> str:
    """Stable for (profile, date, kind): a rebuilt or retried message keeps its id."""
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    digest = hashlib.sha256(key + f"\x1f{profile}\x1f{date}\x1f{kind}".encode()).hexdigest()[:16]
    return f"<paperradar.{date}.{kind}.{digest}@{domain}>"


def _base(base_url: str | None) -> str | None:
    if not base_url or not base_url.startswith(("http://", "https://")):
        return None
    return base_url if base_url.endswith("/") else base_url + "/"


def paper_links(entries: list[dict], key: bytes, profile: str, base_url: str | None,
                now: float | None = None) -> list[dict]:
    """Each entry with ``link`` (its page here, else arXiv) and ``feedback`` (verdict -> URL or none)."""
    base = _base(base_url)
    links = Links(root=base) if base else None
    out = []
    for e in entries:
        pid = e["id"]
        link = links.paper(pid) if links else f"https://arxiv.org/abs/{quote(pid, safe='.')}"
        feedback = {v: f"{base}feedback?{signing.feedback_query(key, profile, pid, v, now)}"
                    for v in ("up", "down", "save")} if base else {}
        out.append({**e, "link": link, "feedback": feedback})
    return out


def subject(env: Envelope, n: int) -> str:
    if env.kind == "papers":
        return f"paperradar {env.date}: {n} paper{'s' if n != 1 else ''} for {env.profile}"
    if env.kind == "late":
        return f"paperradar {env.date}: the listing is not out yet"
    return f"paperradar {env.date}: nothing new for {env.profile}"


def build(env: Envelope, entries: list[dict], key: bytes, base_url: str | None, now: datetime,
          extra_note: str = "") -> EmailMessage:
    """The whole message; ``entries`` are recommend's entries with ``tldr`` added."""
    import css_inline

    base = _base(base_url)
    papers = paper_links(entries, key, env.profile, base_url, now.timestamp())
    unsubscribe = f"{base}unsubscribe?{signing.unsubscribe_query(key, env.profile)}" if base else None
    settings = f"{base}profile/{quote(env.profile)}" if base else None
    context = {"env": env, "papers": papers, "subject": subject(env, len(papers)), "note": extra_note,
               "unsubscribe": unsubscribe, "settings": settings}
    text = _env().get_template("email.txt.j2").render(**context)
    html = css_inline.inline(_env().get_template("email.html.j2").render(**context))

    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = context["subject"]
    msg["From"] = env.sender
    msg["To"] = env.recipient
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(key, env.profile, env.date, env.kind, env.sender)
    msg["List-Id"] = f"paperradar {env.profile} <{env.profile}.paperradar.{env.sender.rsplit('@', 1)[-1]}>"
    targets = [f"<{unsubscribe}>"] if unsubscribe else []
    targets.append(f"<mailto:{env.sender}?subject={quote('unsubscribe ' + env.profile)}>")
    msg["List-Unsubscribe"] = ", ".join(targets)
    if unsubscribe and unsubscribe.startswith("https://"):
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg
