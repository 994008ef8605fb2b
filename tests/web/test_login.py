"""Sign-in, sessions, CSRF and the e-mail's signed links, through Starlette's TestClient on a small
store (five papers, profile ``ana``): no shared data, no network."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from deliverkit import DAY, make_store
from starlette.testclient import TestClient

from paperradar.deliver import deliver_profile, signing
from paperradar.radar.profiles import load_profile
from paperradar.store import open_store
from paperradar.web.app import create_app
from paperradar.web.auth import COOKIE, PASSWORD_KEY, LoginLimiter, set_password

PASSWORD = "correct horse battery"
TOP = "2606.00001"  # the paper the small store's trending order puts first


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PAPERRADAR_WEB_AUTH", "PAPERRADAR_WEB_BASE_URL", "PAPERRADAR_WEB_HOST"):
        monkeypatch.delenv(name, raising=False)
    path = make_store(tmp_path / "p.db")
    store = open_store(str(path))
    signing.secret(store)
    set_password(store, PASSWORD)
    store.close()
    return path


def _client(db: Path, public: bool, base_url: str = "http://testserver", **kw: object) -> TestClient:
    return TestClient(create_app(str(db), db.with_suffix(".data"), public=public), base_url=base_url,
                      follow_redirects=False, **kw)  # type: ignore[arg-type]


@pytest.fixture
def local(db: Path) -> Iterator[TestClient]:
    with _client(db, public=False) as client:
        yield client


@pytest.fixture
def public(db: Path) -> Iterator[TestClient]:
    with _client(db, public=True) as client:
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _verdicts(db: Path) -> dict[str, str]:
    store = open_store(str(db), read_only=True)
    try:
        return {f.arxiv_id: f.verdict for f in store.feedback_for("ana")}
    finally:
        store.close()


def _login(client: TestClient, password: str = PASSWORD, next_: str = "/") -> object:
    page = client.get("/login")
    return client.post("/login", data={"password": password, "csrf": _csrf(page.text), "next": next_})


# -- loopback only: today's behaviour -------------------------------------------------------------
def test_loopback_reads_and_profile_pages_need_no_login(local: TestClient) -> None:
    assert local.get(f"/day/{DAY}").status_code == 200
    page = local.get("/profile/ana")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert "Why:" in page.text and "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert local.get("/profile/nobody").status_code == 404


def test_session_cookie_flags(db: Path) -> None:
    with _client(db, public=False) as client:
        cookie = client.get("/profile/ana").headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie and "Max-Age=" in cookie and "Path=/" in cookie
    with _client(db, public=False, base_url="https://testserver") as client:
        assert "Secure" in client.get("/profile/ana").headers["set-cookie"]


def test_secure_cookie_when_base_url_is_https(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_WEB_BASE_URL", "https://radar.example/")
    with _client(db, public=False) as client:
        assert "Secure" in client.get("/login").headers["set-cookie"]


def test_post_without_a_valid_csrf_token_is_refused(local: TestClient, db: Path) -> None:
    page = local.get("/profile/ana")
    token = _csrf(page.text)
    for data in ({"id": TOP, "v": "down"}, {"id": TOP, "v": "down", "csrf": token[:-2] + "xx"}):
        refused = local.post("/profile/ana/feedback", data=data)
        assert refused.status_code == 403 and "security token" in refused.text
        assert "Traceback" not in refused.text
    assert _verdicts(db) == {}
    # a token is bound to its session: another browser's token does not work here
    with _client(db, public=False) as other:
        other_token = _csrf(other.get("/profile/ana").text)
    stolen = local.post("/profile/ana/feedback", data={"id": TOP, "v": "down", "csrf": other_token})
    assert stolen.status_code == 403
    # no cookie at all
    with _client(db, public=False) as fresh:
        cookieless = fresh.post("/profile/ana/feedback", data={"id": TOP, "v": "down", "csrf": token})
        assert cookieless.status_code == 403
    ok = local.post("/profile/ana/feedback", data={"id": TOP, "v": "down", "csrf": token})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/profile/ana")
    assert _verdicts(db) == {TOP: "down"}
    after = local.get("/profile/ana").text
    assert f'id="p-{TOP}"' not in after and "1 paper you marked" in after


def test_settings_form_edits_the_profile(local: TestClient, db: Path) -> None:
    token = _csrf(local.get("/profile/ana").text)
    form = {"csrf": token, "keywords": "graph neural, diffusion", "exclude": "survey",
            "authors": "Hinton, G.; LeCun, Y.", "categories": "cs.LG cs.CL", "email": "ana@lab.example",
            "interests": "graphs", "language": "", "empty_notice": "on"}
    assert local.post("/profile/ana/settings", data=form).status_code == 303
    store = open_store(str(db), read_only=True)
    profile = load_profile(store, "ana")
    store.close()
    assert profile.keywords == ("graph neural", "diffusion") and profile.exclude == ("survey",)
    assert profile.authors == ("Hinton, G.", "LeCun, Y.") and profile.categories == ("cs.LG", "cs.CL")
    assert profile.email == "ana@lab.example" and profile.interests == "graphs" and profile.empty_notice
    bad = local.post("/profile/ana/settings", data={**form, "email": "not an address"})
    assert bad.status_code == 400 and "does not look like an address" in bad.text
    assert local.post("/profile/ana/settings", data={**form, "csrf": ""}).status_code == 403


# -- password mode --------------------------------------------------------------------------------
def test_public_app_needs_a_login(public: TestClient) -> None:
    first = public.get(f"/day/{DAY}?category=cs.LG")
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=%2Fday%2F")
    assert public.get("/api/days").status_code == 401
    assert public.get("/profile/ana").status_code == 303
    assert public.get("/healthz").status_code == 200 and public.get("/static/web.css").status_code == 200
    wrong = _login(public, "wrong password")
    assert wrong.status_code == 403 and "Wrong password" in wrong.text
    ok = _login(public, next_="/profile/ana")
    assert ok.status_code == 303 and ok.headers["location"] == "/profile/ana"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert public.get(f"/day/{DAY}").status_code == 200 and public.get("/api/days").status_code == 200
    page = public.get("/profile/ana")
    assert page.status_code == 200 and "Sign out" in page.text
    out = public.post("/logout", data={"csrf": _csrf(page.text)})
    assert out.status_code == 303
    assert public.get(f"/day/{DAY}").status_code == 303


def test_forged_or_tampered_session_cookie_is_ignored(public: TestClient) -> None:
    assert _login(public).status_code == 303
    value = public.cookies[COOKIE]
    payload, mac = value.split(".")
    public.cookies.clear()
    for bad in (payload + "." + mac[:-2] + "AA", payload[:-2] + "QQ." + mac, "x.y", ""):
        assert public.get("/api/days", headers={"cookie": f"{COOKIE}={bad}"}).status_code == 401
    assert public.get("/api/days", headers={"cookie": f"{COOKIE}={value}"}).status_code == 200


def test_login_redirect_stays_on_this_site(public: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert _login(public, next_=target).headers["location"] == "/"


def test_changing_the_password_signs_sessions_out(public: TestClient, db: Path) -> None:
    assert _login(public).status_code == 303
    store = open_store(str(db))
    set_password(store, "another long password")
    store.close()
    public.app.state.auth.forget_keys()  # type: ignore[attr-defined]
    assert public.get("/api/days").status_code == 401


def test_failed_logins_are_rate_limited(public: TestClient) -> None:
    for _ in range(5):
        assert _login(public, "nope nope nope").status_code == 403
    limited = _login(public)  # even the right password waits
    assert limited.status_code == 429 and "Too many failed logins" in limited.text


def test_login_limiter_is_bounded() -> None:
    now = [0.0]
    limiter = LoginLimiter(attempts=2, window=10, max_keys=3, clock=lambda: now[0])
    for n in range(10):
        limiter.failed(f"10.0.0.{n}")
    assert len(limiter._fails) == 3
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.wait("a") == 10
    now[0] = 10.5
    assert limiter.wait("a") == 0


def test_proxy_header_trusted_only_from_the_proxy(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_WEB_AUTH", "proxy")
    monkeypatch.setenv("PAPERRADAR_WEB_TRUSTED_PROXIES", "10.1.0.0/16")
    headers = {"X-Forwarded-User": "ana"}
    with _client(db, public=True, client=("10.1.2.3", 4000)) as proxied:
        assert proxied.get("/api/days", headers=headers).status_code == 200
        assert proxied.get("/api/days").status_code == 401
    with _client(db, public=True, client=("192.0.2.7", 4000)) as direct:
        assert direct.get("/api/days", headers=headers).status_code == 401


def test_bad_auth_setting_is_a_config_error(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperradar.errors import ConfigError

    monkeypatch.setenv("PAPERRADAR_WEB_AUTH", "magic")
    with pytest.raises(ConfigError, match="web.auth"):
        create_app(str(db), public=False)


# -- signed links from the e-mail -----------------------------------------------------------------
def _key(db: Path) -> bytes:
    store = open_store(str(db), read_only=True)
    try:
        return signing.secret(store, create=False)
    finally:
        store.close()


def test_feedback_link_records_without_login(public: TestClient, db: Path) -> None:
    query = signing.feedback_query(_key(db), "ana", TOP, "save")
    page = public.get("/feedback?" + query)
    assert page.status_code == 200 and "saved" in page.text and "Changed your mind" in page.text
    assert _verdicts(db) == {TOP: "save"}
    other = re.search(r'href="(/feedback\?[^"]*v=up[^"]*)"', page.text)
    assert other
    assert public.get(other.group(1).replace("&amp;", "&")).status_code == 200
    assert _verdicts(db) == {TOP: "up"}
    assert public.head("/feedback?" + signing.feedback_query(_key(db), "ana", TOP, "down")).status_code == 200
    assert _verdicts(db) == {TOP: "up"}  # a HEAD probe records nothing


@pytest.mark.parametrize("change, why", [
    (lambda q: q.replace("v=down", "v=up"), "not genuine"),
    (lambda q: q.replace("id=2606.00001", "id=2606.00002"), "not genuine"),
    (lambda q: q.replace("p=ana", "p=bo"), "not genuine"),
    (lambda q: re.sub(r"sig=[0-9a-f]+", "sig=" + "0" * 32, q), "not genuine"),
    (lambda q: re.sub(r"&sig=[0-9a-f]+", "", q), "incomplete"),
])
def test_forged_feedback_links_are_refused(public: TestClient, db: Path, change: object, why: str) -> None:
    query = signing.feedback_query(_key(db), "ana", TOP, "down")
    refused = public.get("/feedback?" + change(query))  # type: ignore[operator]
    assert refused.status_code == 403 and why in refused.text and "Traceback" not in refused.text
    assert _verdicts(db) == {}


def test_expired_feedback_link_is_refused(public: TestClient, db: Path) -> None:
    query = signing.feedback_query(_key(db), "ana", TOP, "down", now=time.time() - 31 * 86400)
    refused = public.get("/feedback?" + query)
    assert refused.status_code == 403 and "expired" in refused.text
    assert "This link cannot be used" in refused.text
    assert _verdicts(db) == {}


def test_one_click_unsubscribe(public: TestClient, db: Path) -> None:
    query = signing.unsubscribe_query(_key(db), "ana")
    form = public.get("/unsubscribe?" + query)
    assert form.status_code == 200 and 'name="List-Unsubscribe" value="One-Click"' in form.text
    assert public.post("/unsubscribe?" + query.replace("p=ana", "p=bo"),
                       content=b"List-Unsubscribe=One-Click",
                       headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 403
    forged = public.post("/unsubscribe?" + query[:-1] + ("0" if query[-1] != "0" else "1"),
                         content=b"List-Unsubscribe=One-Click",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert forged.status_code == 403 and "not genuine" in forged.text
    done = public.post("/unsubscribe?" + query, content=b"List-Unsubscribe=One-Click",
                       headers={"content-type": "application/x-www-form-urlencoded"})  # no cookie
    assert done.status_code == 200 and "gets no more e-mail" in done.text
    store = open_store(str(db))
    try:
        assert not load_profile(store, "ana").email
        assert deliver_profile(store, "ana", DAY).action == "skipped"  # what deliver checks
    finally:
        store.close()
    assert public.post("/unsubscribe?" + query, content=b"List-Unsubscribe=One-Click").status_code == 200


def test_web_password_command(tmp_path: Path) -> None:
    from paperradar.cli import cli

    db = make_store(tmp_path / "c.db")
    result = CliRunner().invoke(cli, ["--db", str(db), "web", "password"], input="a fine long password\n")
    assert result.exit_code == 0, result.output
    store = open_store(str(db), read_only=True)
    digest = store.get_meta(PASSWORD_KEY)
    store.close()
    assert digest and digest.startswith("$argon2id$") and "a fine long password" not in digest
    short = CliRunner().invoke(cli, ["--db", str(db), "web", "password"], input="short\n")
    assert short.exit_code != 0 and "too short" in short.output
