"""Signed links that work without a login: feedback from an e-mail, one-click unsubscribe, and
the secret token of a profile's Atom feed.

All are HMAC-SHA256 under one secret kept in the store (meta ``deliver.secret``, made on first
use), so the CLI that builds the e-mail and every web server reading the same store agree.
Feedback links expire (30 days by default); a link is checked with a constant-time compare.
Deleting the meta key (a new secret is made) voids every
link and feed token at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

from paperradar.errors import ConfigError
from paperradar.store.base import Store

SECRET_KEY = "deliver.secret"
FEEDBACK_DAYS = 30


def secret(store: Store, create: bool = True) -> bytes:
    """The store's signing secret; made (and stored) on first use when ``create``."""
    value = store.get_meta(SECRET_KEY)
    if value is None:
        if not create or store.read_only:
            raise ConfigError("the store has no signing secret yet; run `paperradar deliver` once "
                              "(it makes one) before serving signed links")
        with store.transaction():
            value = store.get_meta(SECRET_KEY)
            if value is None:
                value = secrets.token_hex(32)
                store.set_meta(SECRET_KEY, value)
    return bytes.fromhex(value)


def _mac(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\x1f".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def feed_token(key: bytes, profile: str) -> str:
    return _mac(key, "feed", profile)


def check_feed_token(key: bytes, profile: str, token: str) -> bool:
    return hmac.compare_digest(feed_token(key, profile).encode(), token.encode("utf-8", "replace"))


def feedback_query(key: bytes, profile: str, paper: str, verdict: str, now: float | None = None,
                   days: int = FEEDBACK_DAYS) -> str:
    """``p=...&id=...&v=...&exp=...&sig=...`` for ``/feedback``."""
    exp = str(int((now if now is not None else time.time()) + days * 86400))
    return urlencode({"p": profile, "id": paper, "v": verdict, "exp": exp,
                      "sig": _mac(key, "feedback", profile, paper, verdict, exp)})


def check_feedback(key: bytes, profile: str, paper: str, verdict: str, exp: str, sig: str,
                   now: float | None = None) -> str | None:
    """None when the link is genuine and current, else why not (``forged`` or ``expired``)."""
    want = _mac(key, "feedback", profile, paper, verdict, exp)
    if not hmac.compare_digest(want.encode(), sig.encode("utf-8", "replace")):
        return "forged"
    if not exp.isdigit() or int(exp) < (now if now is not None else time.time()):
        return "expired"
    return None


def unsubscribe_query(key: bytes, profile: str) -> str:
    return urlencode({"p": profile, "sig": _mac(key, "unsubscribe", profile)})


def check_unsubscribe(key: bytes, profile: str, sig: str) -> bool:
    return hmac.compare_digest(_mac(key, "unsubscribe", profile).encode(), sig.encode("utf-8", "replace"))
