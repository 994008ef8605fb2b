"""Who may use the web app: the admin password, a trusted proxy's header, sessions and CSRF tokens.

``web.auth`` picks the mode: ``auto`` (the default) is ``none`` while the app is only on loopback
(today's behaviour: reading needs no login, this machine is trusted) and ``password`` as soon as it
binds to anything else; ``password`` is one admin password, kept in the store (meta
``web.password_hash``) as an argon2id hash set by ``paperradar web password``; ``proxy`` trusts the
user name a reverse proxy puts in ``web.proxy_header``, from the addresses in ``web.trusted_proxies``
only.

A session is a cookie ``paperradar_session``: ``base64(sid:expiry:user).HMAC``, HMAC-SHA256 under the
store's ``web.session_secret`` bound to the current password hash (changing the password logs
everyone out). ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the request came over TLS (or
``web.base_url`` is https), expiring after ``web.session_hours``. Every visitor of a page with a
form gets an (anonymous) session, so CSRF tokens are session-bound: ``HMAC(secret, "csrf", sid)``,
compared in constant time. Failed logins are counted per client address in a bounded in-memory
table (5 per 15 minutes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from paperradar import config
from paperradar.errors import AuthError, ConfigError
from paperradar.store.base import Store

MODES = ("auto", "password", "proxy", "none")
COOKIE = "paperradar_session"
PASSWORD_KEY = "web.password_hash"
SESSION_KEY = "web.session_secret"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
KEY_TTL_S = 5.0  # how long the password hash and session secret read from the store are trusted
MIN_PASSWORD = 8
# Reachable without a login whatever the mode: the login page itself, signed links, token feeds.
OPEN_PATHS = ("/login", "/logout", "/feedback", "/unsubscribe", "/healthz")
OPEN_PREFIXES = ("/static/", "/feeds/profile/")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_mode(public: bool) -> str:
    """The effective mode: ``password``, ``proxy`` or ``none`` (ConfigError on a bad setting)."""
    mode = (config.get("web.auth") or "auto").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"web.auth is {mode!r}: use one of {', '.join(MODES)}")
    if mode == "auto":
        return "password" if public else "none"
    return mode


# -- password --------------------------------------------------------------------------------
def _hasher() -> object:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, the library's current (RFC 9106 low-memory) parameters


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AuthError("the password is too long: at most 1024 characters")
    return str(_hasher().hash(password))  # type: ignore[attr-defined]


def set_password(store: Store, password: str) -> None:
    """Store the argon2 hash of ``password`` (and make the session secret if there is none)."""
    digest = hash_password(password)
    with store.transaction():
        store.set_meta(PASSWORD_KEY, digest)
        if store.get_meta(SESSION_KEY) is None:
            store.set_meta(SESSION_KEY, secrets.token_hex(32))


def verify_password(digest: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if not digest:
        return False
    try:
        return bool(_hasher().verify(digest, password))  # type: ignore[attr-defined]
    except (VerificationError, InvalidHashError):
        return False


# -- failed logins ---------------------------------------------------------------------------
class LoginLimiter:
    """At most ``attempts`` failed logins per client address in ``window`` seconds; the table keeps
    ``max_keys`` addresses at most (the oldest go first), so memory stays bounded under a flood."""

    def __init__(self, attempts: int = 5, window: float = 900.0, max_keys: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self.max_keys, self.clock = attempts, window, max_keys, clock
        self._fails: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._fails.get(key, []) if now - t < self.window]
        if times:
            self._fails[key] = times
        else:
            self._fails.pop(key, None)
        return times

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            now = self.clock()
            times = self._recent(key, now)
            return max(0.0, times[0] + self.window - now) if len(times) >= self.attempts else 0.0

    def failed(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(key, now)
            times.append(now)
            self._fails[key] = times[-self.attempts:]
            self._fails.move_to_end(key)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


# -- sessions --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    expires: int
    user: str | None  # None: anonymous (it only carries the CSRF binding)
    new: bool = False  # made by this request: the response must set the cookie


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Auth:
    """The app's login policy and keys; one per worker process."""

    def __init__(self, public: bool, read_store: Callable[[], Store],
                 write_store: Callable[[], Store]) -> None:
        self.public = public
        self.mode = resolve_mode(public)
        self.header = (config.get("web.proxy_header") or "X-Forwarded-User").lower()
        self.proxies = [ipaddress.ip_network(p.strip(), strict=False)
                        for p in config.get("web.trusted_proxies") or [] if p.strip()]
        self.session_s = max(60, int(float(config.get("web.session_hours")) * 3600))
        base = config.get("web.base_url") or ""
        self.always_secure = base.startswith("https://")
        self.limiter = LoginLimiter()
        self._read_store, self._write_store = read_store, write_store
        self._keys: tuple[float, bytes, str | None] | None = None
        self._lock = threading.Lock()

    # keys ----------------------------------------------------------------------------------
    def _load(self) -> tuple[bytes, str | None]:
        now = time.monotonic()
        with self._lock:
            if self._keys is not None and now - self._keys[0] < KEY_TTL_S:
                return self._keys[1], self._keys[2]
        store = self._read_store()
        secret, digest = store.get_meta(SESSION_KEY), store.get_meta(PASSWORD_KEY) or None
        if secret is None:
            writer = self._write_store()
            with writer.transaction():
                secret = writer.get_meta(SESSION_KEY)
                if secret is None:
                    secret = secrets.token_hex(32)
                    writer.set_meta(SESSION_KEY, secret)
        key = bytes.fromhex(secret)
        with self._lock:
            self._keys = (now, key, digest)
        return key, digest

    def forget_keys(self) -> None:
        with self._lock:
            self._keys = None

    def password_hash(self) -> str | None:
        return self._load()[1]

    def _session_key(self) -> bytes:
        key, digest = self._load()
        return hmac.new(key, b"session\x1f" + (digest or "").encode(), hashlib.sha256).digest()

    # sessions ------------------------------------------------------------------------------
    def new_session(self, user: str | None) -> Session:
        return Session(secrets.token_urlsafe(18), int(time.time()) + self.session_s, user, new=True)

    def encode(self, session: Session) -> str:
        payload = _b64(f"{session.sid}:{session.expires}:{session.user or ''}".encode())
        return payload + "." + _b64(hmac.new(self._session_key(), payload.encode(), hashlib.sha256).digest())

    def decode(self, token: str | None) -> Session | None:
        """The session in a cookie value; None when missing, forged or expired."""
        if not token or len(token) > 512 or token.count(".") != 1:
            return None
        payload, mac = token.split(".")
        want = _b64(hmac.new(self._session_key(), payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(want.encode(), mac.encode("utf-8", "replace")):
            return None
        try:
            sid, expires, user = _unb64(payload).decode().split(":", 2)
        except (ValueError, UnicodeDecodeError):
            return None
        if not expires.isdigit() or int(expires) < time.time():
            return None
        return Session(sid, int(expires), user or None)

    def session(self, request: Request) -> Session | None:
        return self.decode(request.cookies.get(COOKIE))

    def ensure_session(self, request: Request) -> Session:
        """The request's session, or a new anonymous one (set it with :meth:`set_cookie`)."""
        return self.session(request) or self.new_session(None)

    def secure(self, request: Request) -> bool:
        if self.always_secure or request.url.scheme == "https":
            return True
        return self.trusted(request) and request.headers.get("x-forwarded-proto", "").lower() == "https"

    def set_cookie(self, request: Request, response: Response, session: Session) -> None:
        if session.new:
            response.set_cookie(COOKIE, self.encode(session), max_age=self.session_s, path="/",
                                secure=self.secure(request), httponly=True, samesite="lax")

    # CSRF ----------------------------------------------------------------------------------
    def csrf_token(self, session: Session) -> str:
        mac = hmac.new(self._session_key(), b"csrf\x1f" + session.sid.encode(), hashlib.sha256)
        return _b64(mac.digest())

    def check_csrf(self, request: Request, token: str) -> None:
        """AuthError unless ``token`` is the CSRF token of the request's session."""
        session = self.session(request)
        if session is None:
            raise AuthError("the form's session has expired or its cookie was blocked; reload the page "
                            "and send it again")
        if not hmac.compare_digest(self.csrf_token(session).encode(), token.encode("utf-8", "replace")):
            raise AuthError("the form's security token is missing or wrong; reload the page and send it "
                            "again")

    # who -----------------------------------------------------------------------------------
    def client(self, request: Request) -> str:
        return request.client.host if request.client else ""

    def trusted(self, request: Request) -> bool:
        try:
            address = ipaddress.ip_address(self.client(request))
        except ValueError:
            return False
        return any(address in net for net in self.proxies)

    def user(self, request: Request) -> str | None:
        """Who is signed in: the admin, the proxy's user, ``local`` on a loopback-only app, or None."""
        if self.mode == "none":
            return None if self.public else "local"
        if self.mode == "proxy":
            if not self.trusted(request):
                return None
            name = " ".join(request.headers.get(self.header, "").split())
            return name[:200] or None
        session = self.session(request)
        return session.user if session is not None else None

    def reading_open(self) -> bool:
        return self.mode == "none"


def safe_next(target: str | None) -> str:
    """Only a local path may be a redirect target (no ``//host``, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class AuthGate:
    """Pages other than :data:`OPEN_PATHS` need a signed-in user unless the mode is ``none``:
    a page is sent to ``/login?next=...`` (password mode), the JSON API answers 401."""

    def __init__(self, app: ASGIApp, auth: Auth, deny: Callable[[Request, int, str, str], Response]) -> None:
        self.app, self.auth, self.deny = app, auth, deny

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.auth.reading_open():
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.auth.user(request) is not None:
            await self.app(scope, receive, send)
            return
        response: Response
        page = not path.startswith("/api/") and scope["method"] in ("GET", "HEAD")
        if self.auth.mode == "password" and page:
            query = scope.get("query_string") or b""
            target = path + ("?" + query.decode("latin-1") if query else "")
            from urllib.parse import urlencode

            response = RedirectResponse("/login?" + urlencode({"next": safe_next(target)}), status_code=303)
        elif self.auth.mode == "proxy":
            response = self.deny(request, 401, "Sign in first",
                                 "This site is signed into through the reverse proxy in front of it.")
        else:
            response = self.deny(request, 401, "Sign in first", "Sign in at /login to see this page.")
        await response(scope, receive, send)
