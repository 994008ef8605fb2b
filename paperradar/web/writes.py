"""The web app's routes that write, and the pages around them: login and logout, feedback and
unsubscribe from an e-mail's signed links, and the profile pages (today's ranked list with up /
down / save buttons, the profile's settings).

Reading pages keep the read-only store; these routes write through a separate writable handle per
worker thread (:class:`Writer`), one short transaction each (what ``paperradar feedback`` and
``paperradar profile edit`` do). Every form carries a session-bound CSRF token
(:mod:`paperradar.web.auth`); a POST without the right one is a 403 page. The e-mail's links carry
their own HMAC signature instead (:mod:`paperradar.deliver.signing`): a forged, changed or expired one
is a 403 page that says which.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from paperradar.errors import (
    AuthError,
    ConfigError,
    EmbeddingError,
    ProfileError,
    ProfileNotFound,
    SearchIndexError,
)
from paperradar.store import Store, open_store
from paperradar.web.auth import Auth, AuthGate, safe_next
from paperradar.web.links import Links
from paperradar.web.render import render

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.applications import Starlette

log = logging.getLogger("paperradar.web")

HTML = "text/html; charset=utf-8"
MAX_BODY = 64 * 1024
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']{1,190}$")
CATEGORY = re.compile(r"^[A-Za-z][A-Za-z0-9.\-]{0,39}$")
K = 20
VERDICT_WORDS = {"up": "more like this", "down": "less like this", "save": "saved"}
FIELD_MAX = {"interests": 2000, "keywords": 2000, "exclude": 2000, "authors": 2000, "categories": 500,
             "email": 254, "language": 40}
NO_STORE = {"cache-control": "private, no-store"}


class Writer:
    """A writable store per worker thread, opened on first use (the reading pages never touch it)."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.location)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()


# -- helpers -----------------------------------------------------------------------------------
def _auth(request: Request) -> Auth:
    return cast(Auth, request.app.state.auth)


def _writer(request: Request) -> Writer:
    return cast(Writer, request.app.state.writer)


def _web(request: Request) -> Any:
    """The app's read-only :class:`paperradar.web.app.WebState` (not imported: app imports us)."""
    return request.app.state.web


def _page(request: Request, template: str, status: int = 200, session: Any = None,
          **context: Any) -> Response:
    auth = _auth(request)
    csrf = auth.csrf_token(session) if session is not None else ""
    body = render(template, Links(), [], csrf=csrf, user=auth.user(request), **context)
    response = Response(body, status_code=status, media_type=HTML, headers=NO_STORE)
    if session is not None:
        auth.set_cookie(request, response, session)
    return response


def refusal(request: Request, status: int, heading: str, message: str) -> Response:
    """A friendly error page (JSON under /api/) that never shows a stack trace."""
    return cast(Response, request.app.state.deny(request, status, heading, message))


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body (bounded), first value of each field."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise AuthError("the form is too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise AuthError("the form is too large")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("", "application/x-www-form-urlencoded"):
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=50)
    return {k: v[0] for k, v in fields.items()}


async def _checked_form(request: Request) -> dict[str, str]:
    form = await _form(request)
    _auth(request).check_csrf(request, form.get("csrf", ""))
    return form


def _require_user(request: Request) -> str:
    auth = _auth(request)
    user = auth.user(request)
    if user is None:
        if auth.mode == "none":
            raise AuthError("profile pages need a login when the site is not only on loopback: set "
                            "web.auth to password (and run `paperradar web password`) or proxy")
        raise AuthError("sign in first")
    return user


def _profile_name(request: Request) -> str:
    name = request.path_params["name"]
    if not NAME.match(name):
        raise ProfileNotFound(f"no profile named {name!r}")
    return name


async def auth_error(request: Request, exc: Exception) -> Response:
    message = str(exc)
    if message == "sign in first" and _auth(request).mode == "password" and request.method == "GET":
        return RedirectResponse("/login?" + urlencode({"next": safe_next(request.url.path)}), status_code=303)
    link = request.url.path in ("/feedback", "/unsubscribe")
    return refusal(request, 403, "This link cannot be used" if link else "Not allowed", message)


async def profile_error(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, ProfileNotFound) else 400
    return refusal(request, status, "No such profile" if status == 404 else "That cannot be done", str(exc))


# -- login / logout ----------------------------------------------------------------------------
def login_page(request: Request) -> Response:
    auth = _auth(request)
    session = auth.ensure_session(request)
    return _page(request, "login.html.j2", session=session, next=safe_next(request.query_params.get("next")),
                 error=None, mode=auth.mode, has_password=auth.password_hash() is not None)


async def login(request: Request) -> Response:
    from paperradar.web.auth import verify_password

    auth = _auth(request)
    form = await _checked_form(request)
    target = safe_next(form.get("next"))
    if auth.mode != "password":
        return RedirectResponse(target, status_code=303)
    client = auth.client(request)
    session = auth.ensure_session(request)

    def again(status: int, error: str) -> Response:
        return _page(request, "login.html.j2", status=status, session=session, next=target, error=error,
                     mode=auth.mode, has_password=auth.password_hash() is not None)

    wait = auth.limiter.wait(client)
    if wait:
        return again(429, f"Too many failed logins from your address; try again in {int(wait // 60) + 1} "
                          "minutes.")
    digest = auth.password_hash()
    if digest is None:
        return again(403, "No admin password is set yet: run `paperradar web password` on the server.")
    ok = await run_in_threadpool(verify_password, digest, form.get("password", "")[:1024])
    if not ok:
        auth.limiter.failed(client)
        log.warning("failed web login from %s", client)
        return again(403, "Wrong password.")
    auth.limiter.succeeded(client)
    response = RedirectResponse(target, status_code=303)
    auth.set_cookie(request, response, auth.new_session("admin"))  # a new sid: no session fixation
    return response


async def logout(request: Request) -> Response:
    auth = _auth(request)
    await _checked_form(request)
    response = RedirectResponse("/login" if auth.mode == "password" else "/", status_code=303)
    auth.set_cookie(request, response, auth.new_session(None))
    return response


# -- signed links from the e-mail --------------------------------------------------------------
def _link_key(request: Request) -> bytes:
    from paperradar.deliver import signing

    try:
        return signing.secret(_web(request).store(), create=False)
    except ConfigError as exc:
        raise AuthError("this server has no signing secret yet, so no e-mail link can be checked") from exc


def feedback(request: Request) -> Response:
    """``/feedback?p=&id=&v=&exp=&sig=``: record the verdict, no login needed."""
    from paperradar.deliver import signing
    from paperradar.radar.feedback import VERDICTS, give_feedback

    if request.method == "HEAD":  # a link checker's probe records nothing
        return Response(status_code=200, media_type=HTML, headers=NO_STORE)
    q = request.query_params
    profile, paper, verdict, exp, sig = (q.get(k, "")[:200] for k in ("p", "id", "v", "exp", "sig"))
    if not (profile and paper and verdict and exp and sig):
        raise AuthError("this feedback link is incomplete: open the whole link from the e-mail")
    key = _link_key(request)
    why = signing.check_feedback(key, profile, paper, verdict, exp, sig)
    if why == "forged":
        raise AuthError("this feedback link is not genuine: its signature does not match (it was changed "
                        "or made elsewhere), so nothing was recorded")
    if why == "expired":
        raise AuthError(f"this feedback link has expired (links work for {signing.FEEDBACK_DAYS} days), "
                        "so nothing was recorded; use the profile page instead")
    if verdict not in VERDICTS:
        raise AuthError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    entry = give_feedback(_writer(request).store(), profile, paper, verdict)
    log.info("feedback from e-mail: %s %s %s", profile, entry.arxiv_id, verdict)
    now = int(exp) - signing.FEEDBACK_DAYS * 86400  # the other verdicts' links keep this link's expiry
    others = [(VERDICT_WORDS[v], "/feedback?" + signing.feedback_query(key, profile, paper, v, now))
              for v in VERDICTS if v != verdict]
    papers = _web(request).store().get_papers([entry.arxiv_id])
    title = " ".join(papers[entry.arxiv_id].title.split()) if entry.arxiv_id in papers else entry.arxiv_id
    return _page(request, "feedback.html.j2", profile=profile, paper=entry.arxiv_id, title=title,
                 verdict=VERDICT_WORDS[verdict], others=others)


def _unsubscribe_link(request: Request, form: dict[str, str] | None = None) -> str:
    from paperradar.deliver import signing

    q = request.query_params
    profile = (q.get("p") or (form or {}).get("p") or "")[:200]
    sig = (q.get("sig") or (form or {}).get("sig") or "")[:200]
    if not profile or not sig:
        raise AuthError("this unsubscribe link is incomplete: open the whole link from the e-mail")
    if not signing.check_unsubscribe(_link_key(request), profile, sig):
        raise AuthError("this unsubscribe link is not genuine: its signature does not match, so nothing "
                        "was changed")
    return profile


def unsubscribe_page(request: Request) -> Response:
    profile = _unsubscribe_link(request)
    from paperradar.radar.profiles import load_profile

    current = load_profile(_web(request).store(), profile)
    sig = request.query_params.get("sig", "")
    return _page(request, "unsubscribe.html.j2", profile=profile, done=False, subscribed=bool(current.email),
                 action="/unsubscribe?" + urlencode({"p": profile, "sig": sig}))


async def unsubscribe(request: Request) -> Response:
    """RFC 8058 one-click: the signed link is the authority (mail clients send no cookie), the body
    is ``List-Unsubscribe=One-Click``. Clears the profile's e-mail address, which is what
    :mod:`paperradar.deliver` checks before it sends."""
    form = await _form(request)
    profile = _unsubscribe_link(request, form)
    await run_in_threadpool(_opt_out, _writer(request).store(), profile)
    log.info("unsubscribed profile %s", profile)
    return _page(request, "unsubscribe.html.j2", profile=profile, done=True, subscribed=False, action="")


def _opt_out(store: Store, profile: str) -> None:
    from paperradar.radar.profiles import edit_profile, load_profile

    if load_profile(store, profile).email:
        edit_profile(store, profile, {"email": ""})


# -- profile pages -----------------------------------------------------------------------------
def profile_page(request: Request) -> Response:
    from paperradar.radar.profiles import load_profile
    from paperradar.radar.recommend import recommend

    _require_user(request)
    name = _profile_name(request)
    state = _web(request)
    store = state.store()
    profile = load_profile(store, name)
    verdicts = {f.arxiv_id: f.verdict for f in store.feedback_for(name)}
    downs = sum(1 for v in verdicts.values() if v == "down")
    papers: list[dict] = []
    notes: list[str] = []
    mode, window = "profile", ""
    try:
        result = recommend(store, name, k=min(200, K + downs), folder=state.index_folder)
        papers = [e for e in result.papers if verdicts.get(e["id"]) != "down"][:K]
        notes, mode, window = result.notes, result.mode, result.window[-1]
    except (ProfileError, SearchIndexError, EmbeddingError) as exc:
        notes = [f"No ranking right now: {exc}"]
    hidden = len([1 for v in verdicts.values() if v == "down"])
    auth = _auth(request)
    session = auth.ensure_session(request)
    return _page(request, "profile.html.j2", session=session, profile=profile, papers=papers,
                 verdicts=verdicts, notes=notes, mode=mode, window=window, hidden=hidden,
                 saved=request.query_params.get("saved") == "1", action=f"/profile/{quote(name)}",
                 words=VERDICT_WORDS)


async def profile_feedback(request: Request) -> Response:
    from paperradar.radar.feedback import give_feedback

    _require_user(request)
    name = _profile_name(request)
    form = await _checked_form(request)
    paper, verdict = form.get("id", "")[:40], form.get("v", "")
    await run_in_threadpool(give_feedback, _writer(request).store(), name, paper, verdict)
    return RedirectResponse(f"/profile/{quote(name)}#p-{quote(paper)}", status_code=303)


def settings_changes(form: dict[str, str]) -> dict[str, Any]:
    """The profile settings in a submitted form (ProfileError naming a bad field)."""
    from paperradar.radar.profiles import split_list

    for field, limit in FIELD_MAX.items():
        if len(form.get(field, "")) > limit:
            raise ProfileError(f"{field} is too long: at most {limit} characters")
    email = form.get("email", "").strip()
    if email and not EMAIL.match(email):
        raise ProfileError(f"e-mail {email!r} does not look like an address")
    categories = split_list(form.get("categories", "").replace(" ", ",")) or ()
    for c in categories:
        if not CATEGORY.match(c):
            raise ProfileError(f"category {c!r} should look like cs.CL")
    return {"interests": " ".join(form.get("interests", "").split()),
            "keywords": split_list(form.get("keywords", "")) or (),
            "exclude": split_list(form.get("exclude", "")) or (),
            "authors": split_list(form.get("authors", ""), ";") or (),
            "categories": categories, "email": email,
            "language": " ".join(form.get("language", "").split()) or None,
            "empty_notice": form.get("empty_notice") == "on"}


async def profile_settings(request: Request) -> Response:
    from paperradar.radar.profiles import edit_profile

    _require_user(request)
    name = _profile_name(request)
    form = await _checked_form(request)
    changes = settings_changes(form)
    await run_in_threadpool(edit_profile, _writer(request).store(), name, changes)
    log.info("profile %s settings changed on the web", name)
    return RedirectResponse(f"/profile/{quote(name)}?saved=1", status_code=303)


def profiles_page(request: Request) -> Response:
    _require_user(request)
    profiles = [p.name for p in _web(request).store().list_profiles()]
    session = _auth(request).ensure_session(request)
    return _page(request, "profiles.html.j2", session=session, profiles=profiles)


ROUTES = [
    Route("/login", login_page, methods=["GET", "HEAD"]), Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/feedback", feedback, methods=["GET", "HEAD"]),
    Route("/unsubscribe", unsubscribe_page, methods=["GET", "HEAD"]),
    Route("/unsubscribe", unsubscribe, methods=["POST"]),
    Route("/profiles", profiles_page, methods=["GET", "HEAD"]),
    Route("/profile/{name}", profile_page, methods=["GET", "HEAD"]),
    Route("/profile/{name}/feedback", profile_feedback, methods=["POST"]),
    Route("/profile/{name}/settings", profile_settings, methods=["POST"]),
]


def install(app: Starlette, state: Any, public: bool,
            deny: Callable[[Request, int, str, str], Response]) -> Writer:
    """Add the write routes, their error pages and the login gate to ``app`` (``state``: its
    WebState; ``deny``: makes the app's error page); the caller closes the returned
    :class:`Writer` when the app stops."""
    writer = Writer(state.location)
    auth = Auth(public, state.store, writer.store)
    app.state.auth, app.state.writer, app.state.deny = auth, writer, deny
    app.router.routes.extend(ROUTES)
    app.add_exception_handler(AuthError, auth_error)
    app.add_exception_handler(ProfileError, profile_error)
    app.add_middleware(AuthGate, auth=auth, deny=refusal)
    return writer
