"""The one owner of "what was delivered": one record per (profile, date), and the rule that no
(profile, date) is ever e-mailed twice.

The rule (at most once, never silently lost):

1. **Intent first.** The day's list is ranked (``recommend --unseen``, which also records the papers
   as seen), the whole message is built, and both are committed together as a ``pending`` record,
   before any connection is made. A rerun never ranks or builds again: it sends the stored bytes, so
   the ``Message-ID`` and ``Date`` stay the same.
2. **``sending`` just before ``DATA``.** Connecting, STARTTLS, login, ``MAIL FROM`` and ``RCPT TO`` happen
   while the record is still ``pending``; a crash there leaves nothing sent and the next run sends.
   Right before the message is handed over the record becomes ``sending`` (committed).
3. **``sent`` after the server's 250.** A crash (kill -9, power loss) after ``sending`` was committed
   and before ``sent`` is, leaves ``sending``: the server may have accepted the message. A later run
   does **not** resend it; it reports the record as "interrupted while sending; not resent" every time,
   until someone checks the mailbox and runs ``paperradar deliver --resend``.
4. **Failures are kept and retried.** A refused recipient, a bad login, a server that stays down:
   the record becomes ``failed`` with the reason (temporary failures are first retried within the
   run, ``smtp.retries`` attempts with backoff); the next run sends the same stored message again.

A day with nothing to send still gets a record and, unless the profile opted out
(``--no-empty-notice``), a short e-mail saying why: the day repeats an earlier one (weekend or
holiday), nothing cleared the profile's threshold, or the listing is not out yet. A "not out yet"
note (kind ``late``) is the one record that a later run replaces: when the day's listing arrives,
its papers are sent (a different message, its own Message-ID). A profile without an e-mail
address gets its records too (``skipped``): its Atom feed is made from them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from datetime import date as date_cls
from pathlib import Path

from paperradar import config
from paperradar.clock import iso, utcnow
from paperradar.deliver import message as email
from paperradar.deliver import signing
from paperradar.deliver.smtp import SmtpSettings, Temporary, Uncertain, send_once
from paperradar.digest.daily import pick_summary
from paperradar.digest.text import one_line
from paperradar.errors import DeliveryError
from paperradar.files import atomic_write
from paperradar.models import DeliveryRecord
from paperradar.radar.profiles import Profile, load_profile
from paperradar.store.base import Store

K = 20  # papers per e-mail at most (fewer when fewer clear the profile's threshold)
BACKOFF = 5.0  # seconds before the second attempt; doubled each time


@dataclass
class DeliveryOutcome:
    profile: str
    date: str
    kind: str
    state: str
    action: str  # sent | already sent | not resent | failed | skipped | written | nothing to send
    papers: int = 0
    reason: str = ""
    message_id: str = ""
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state != "failed"

    def as_dict(self) -> dict:
        return {"profile": self.profile, "date": self.date, "kind": self.kind, "state": self.state,
                "action": self.action, "papers": self.papers, "reason": self.reason,
                "message_id": self.message_id, "files": self.files}

    def line(self) -> str:
        what = {"papers": f"{self.papers} papers", "empty": "nothing new", "late": "listing not out yet"}
        text = f"deliver {self.profile} {self.date}: {self.action} ({what.get(self.kind, self.kind)})"
        return text + (f": {self.reason}" if self.reason else "")


class _DryRun(Exception):
    """Raised to roll back what a dry run ranked and recorded."""


def _today() -> str:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("America/New_York")).date().isoformat()


def empty_reason(store: Store, date: str, candidates: int) -> tuple[str, str]:
    """(kind, why) for a day with nothing to send."""
    from paperradar.days import day_info

    dates = store.listing_dates()
    if date not in dates:
        weekday = date_cls.fromisoformat(date).weekday()
        if weekday >= 5:
            return "empty", (f"{date} is a {'Saturday' if weekday == 5 else 'Sunday'}: arXiv announces "
                             "nothing on weekends")
        newest = dates[-1] if dates else "none yet"
        return "late", (f"the listing for {date} is not out yet (newest listed day: {newest}); arXiv "
                        "announces around 20:00 US Eastern, Sunday to Thursday, and skips holidays")
    info = day_info(store, date)
    if info.repeats:
        return "empty", (f"{date} repeats the listing of {info.repeats} (a weekend or holiday): "
                         "no new papers")
    return "empty", (f"none of the {candidates} papers listed on {date} that you have not seen cleared "
                     "your profile's threshold")


def _entries(store: Store, papers: list[dict], language: str | None) -> list[dict]:
    summaries = store.summaries_for([e["id"] for e in papers]) if papers else {}
    out = []
    for e in papers:
        s = pick_summary(summaries.get(e["id"], []), language)
        out.append({"id": e["id"], "title": e["title"], "why": e["why"], "authors": e["authors"][:20],
                    "n_authors": len(e["authors"]), "date": e["date"], "score": e["score"],
                    "updated": e["updated"], "tldr": one_line(s.tldr) if s and s.tldr else ""})
    return out


def _build(store: Store, profile: Profile, date: str, sender: str, key: bytes, now: datetime,
           k: int, rank: Callable[..., object] | None) -> DeliveryRecord:
    """Rank and build; the caller commits the record in the same transaction as the seen history."""
    from paperradar.radar.recommend import recommend

    papers: list[dict] = []
    kind, reason, candidates = "papers", "", 0
    if date in store.listing_dates():
        result = (rank or recommend)(store, profile.name, date=date, k=k, only_unseen=True,
                                     now=iso(now))
        papers, candidates = list(result.papers), result.candidates  # type: ignore[attr-defined]
    if not papers:
        kind, reason = empty_reason(store, date, candidates)
    entries = _entries(store, papers, profile.language or config.get("language"))
    stamp = iso(now)
    mid = email.message_id(key, profile.name, date, kind, sender)
    record = DeliveryRecord(profile.name, date, kind, "pending", mid, profile.email, "", tuple(entries),
                            reason, 0, stamp, stamp)
    if not profile.email:
        return replace(record, state="skipped",
                       reason=reason or "the profile has no e-mail address (its feed has the papers)")
    if kind != "papers" and not profile.empty_notice:
        return replace(record, state="skipped",
                       reason=reason + " (no e-mail: the profile opted out of empty-day notes)")
    env = email.Envelope(profile.name, date, kind, sender, profile.email, reason)
    msg = email.build(env, entries, key, config.get("web.base_url"), now)
    return replace(record, message=msg.as_string())


def _save(store: Store, record: DeliveryRecord, **changes: object) -> DeliveryRecord:
    new = replace(record, updated=iso(utcnow()), **changes)  # type: ignore[arg-type]
    with store.transaction():
        store.put_delivery(new)
    return new


def _outcome(r: DeliveryRecord, action: str, reason: str | None = None) -> DeliveryOutcome:
    if reason is None:
        reason = r.error if r.state == "failed" else r.reason
    return DeliveryOutcome(r.profile, r.date, r.kind, r.state, action, len(r.papers), reason, r.message_id)


def deliver_profile(store: Store, name: str, date: str | None = None, *, smtp: SmtpSettings | None = None,
                    dry_run: Path | None = None, resend: bool = False, now: datetime | None = None,
                    sleep: Callable[[float], None] = time.sleep, k: int = K,
                    rank: Callable[..., object] | None = None) -> DeliveryOutcome:
    """Deliver profile ``name``'s papers of ``date`` (default: the newest listed day, else today in
    US Eastern time) once. ``dry_run``: write the .eml there and record nothing. ``rank`` replaces
    :func:`paperradar.radar.recommend.recommend` (tests)."""
    profile = load_profile(store, name)
    if date is None:
        dates = store.listing_dates()
        date = dates[-1] if dates else _today()
    date_cls.fromisoformat(date)
    now = now or datetime.now(UTC).replace(microsecond=0)
    sender = (smtp.sender if smtp and smtp.sender else None) or config.get("smtp.sender") \
        or email.FALLBACK_SENDER
    key = signing.secret(store)
    record = store.get_delivery(name, date)
    listed = date in store.listing_dates()
    if record is not None and record.kind == "late" and listed:
        record = None  # the listing arrived: the papers replace the "not out yet" note
    if dry_run is not None:
        return _dry_run(store, profile, date, sender, key, now, k, rank, record, dry_run)
    if record is None:
        with store.transaction():
            record = _build(store, profile, date, sender, key, now, k, rank)
            store.put_delivery(record)
    if record.state == "skipped":
        return _outcome(record, "skipped")
    if record.state == "sent" and not resend:
        return _outcome(record, "already sent", "")
    if record.state == "sending" and not resend:
        return _outcome(record, "not resent", f"interrupted while sending at {record.updated}: the server "
                        "may have accepted it; check the mailbox, then `paperradar deliver --resend` if not")
    if smtp is None:
        record = _save(store, record, state="failed", error="no SMTP server configured (smtp.host or "
                       "--smtp-host); the message is kept and the next run sends it")
        return _outcome(record, "failed")
    return _send(store, record, smtp, sender, sleep)


def _dry_run(store: Store, profile: Profile, date: str, sender: str, key: bytes, now: datetime, k: int,
             rank: Callable[..., object] | None, record: DeliveryRecord | None,
             folder: Path) -> DeliveryOutcome:
    if record is None:
        with suppress(_DryRun), store.transaction():
            record = _build(store, profile, date, sender, key, now, k, rank)
            raise _DryRun  # roll back the seen history recommend wrote
    assert record is not None
    out = _outcome(record, "written" if record.message else "nothing to send")
    if record.message:
        path = folder / f"{profile.name}_{date}.eml"
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(path, record.message.encode("utf-8"))
        out.files.append(str(path))
    return out


def _send(store: Store, record: DeliveryRecord, smtp: SmtpSettings, sender: str,
          sleep: Callable[[float], None]) -> DeliveryOutcome:
    assert record.recipient
    data = record.message.encode("utf-8")
    current = record
    for attempt in range(1, smtp.retries + 1):
        started = False

        def on_data() -> None:
            nonlocal current, started
            started = True
            current = _save(store, current, state="sending", attempts=current.attempts + 1, error="")

        try:
            send_once(smtp, sender, record.recipient, data, on_data)
        except Uncertain as exc:
            return _outcome(current, "not resent", str(exc))
        except DeliveryError as exc:
            temporary = isinstance(exc, Temporary)
            current = _save(store, current, state="failed", attempts=current.attempts + (not started),
                            error=f"temporary: {exc}" if temporary else str(exc))
            if temporary and attempt < smtp.retries:
                sleep(BACKOFF * 2 ** (attempt - 1))
                continue
            return _outcome(current, "failed")
        current = _save(store, current, state="sent", sent_at=iso(utcnow()), error="")
        return _outcome(current, "sent")
    return _outcome(current, "failed")  # pragma: no cover - the loop always returns
