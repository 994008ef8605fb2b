"""The ASGI app behind ``paperradar serve``: Starlette routes over the store and the search index.

The reading pages open the store read-only (the few write routes of :mod:`paperradar.web.writes`
have their own writable handle). Each
worker thread has its own SQLite connection (a :class:`threading.local`), and the
search index is loaded once per worker process, its vectors memory-mapped from
the index folder. Pages that only change when the store does (days, papers,
feeds, the JSON API) are rendered once and kept in a size-bounded cache that is
emptied whenever another connection commits to the store (``PRAGMA data_version``),
so a day of 600 papers costs a dictionary look-up after its first view.

Every response carries a Content-Security-Policy (``default-src 'self'``),
``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``; errors
become friendly pages (or JSON under ``/api/``), and a stack trace only ever reaches
the server's log.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperradar import __version__
from paperradar.days import day_infos
from paperradar.digest.daily import parse_category_list
from paperradar.digest.json_out import day_dict
from paperradar.errors import DigestError, EmbeddingError, FormError, SearchIndexError, StoreNotFound
from paperradar.index.hybrid import MODES
from paperradar.store import Store, open_store
from paperradar.web import api, feeds, topics, views
from paperradar.web.links import Links
from paperradar.web.render import MAX_QUERY, asset, render

if TYPE_CHECKING:
    from paperradar.embed import Embedder
    from paperradar.index.search import SearchIndex

log = logging.getLogger("paperradar.web")

PAGE_SIZE = 20
MAX_PAGES = 10  # the ranker looks at 200 candidates per side; deeper pages would only repeat the floor
MAX_FIELD = {"q": MAX_QUERY, "author": 100, "category": 40, "lang": 40, "mode": 10}
CACHE_BYTES = 64 * 1024 * 1024
SEARCH_CACHE_BYTES = 16 * 1024 * 1024  # repeated searches (a shared link, a feed reader, paging back)
INDEX_RECHECK_S = 2.0
GZIP_MIN = 2048  # bytes: smaller pages go as they are
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON = "application/json"
_CATEGORY = re.compile(r"^[A-Za-z][A-Za-z0-9.\-]*$")


class SecurityHeaders:
    """Adds the security headers to every response (plain ASGI: no per-request overhead
    of ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    media_type: str
    etag: str
    status: int = 200
    gzipped: bytes | None = None  # made once, with the page, for clients that accept gzip

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class PageCache:
    """Rendered responses, least recently used out first, bounded in bytes. ``clear`` bumps a
    generation so a page rendered from old data while the store changed is never kept."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.generation = 0

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.generation += 1

    def get(self, key: tuple) -> Cached | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple, item: Cached, generation: int) -> None:
        if item.size > self.max_bytes // 4:
            return
        with self._lock:
            if generation != self.generation:
                return
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._items[key] = item
            self._bytes += item.size
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.size


class PageError(Exception):
    """A friendly error page (or JSON error) with a status."""

    def __init__(self, status: int, heading: str, message: str, dates: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.heading = heading
        self.message = message
        self.dates = dates or []


class _CurrentStore:
    """Hands every attribute to the calling thread's own store, so one loaded search index
    can be shared by all worker threads without sharing a SQLite connection."""

    def __init__(self, state: WebState) -> None:
        self._state = state
        self.location = state.location

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state.store(), name)


class WebState:
    """Everything a worker process keeps between requests."""

    def __init__(self, location: str, data_dir: Path | None, embedder: Embedder | None = None) -> None:
        self.location = location
        self.index_folder = data_dir / "index" if data_dir is not None else None
        self.embedder = embedder
        self.cache = PageCache()
        self.search_cache = PageCache(SEARCH_CACHE_BYTES)  # result pages: keyed on the query + filters
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self._watch = open_store(location, read_only=True)  # only asked "has anything changed?"
        self._watch_version = self._watch.data_version()
        self._index: SearchIndex | None = None
        self._row_of: dict[str, int] = {}
        self._index_stamp: float | None = None
        self._index_checked = 0.0
        self._index_lock = threading.Lock()

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.location, read_only=True)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    def check_fresh(self) -> None:
        """Empty the page cache when another connection has committed since the last look."""
        with self._lock:
            version = self._watch.data_version()
            changed = version != self._watch_version
            self._watch_version = version
        if changed:
            self.clear_caches()

    @property
    def data_version(self) -> int:
        """The store's ``PRAGMA data_version`` as last seen by :meth:`check_fresh`."""
        return self._watch_version

    def clear_caches(self) -> None:
        """Forget every rendered page: the store or the index changed."""
        self.cache.clear()
        self.search_cache.clear()

    def close(self) -> None:
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()
            self._watch.close()

    # -- search index ----------------------------------------------------------------------
    def _stamp(self) -> float | None:
        if self.index_folder is None:
            return None
        try:
            return (self.index_folder / "state.json").stat().st_mtime
        except OSError:
            return None

    def index(self) -> SearchIndex:
        """The loaded index, reloaded when ``paperradar index`` has rewritten it;
        raises :class:`SearchIndexError` when there is none."""
        now = time.monotonic()
        with self._index_lock:
            if self._index is not None and now - self._index_checked < INDEX_RECHECK_S:
                return self._index
            self._index_checked = now
            stamp = self._stamp()
            if self._index is None or stamp != self._index_stamp:
                if self.index_folder is None or stamp is None:
                    self._index = None
                    raise SearchIndexError("this store has no search index yet; run `paperradar index`")
                from paperradar.index.search import SearchIndex

                index = SearchIndex.open(cast(Store, _CurrentStore(self)), self.index_folder,
                                         embedder=self.embedder)
                self._index, self._index_stamp = index, stamp
                self._row_of = {d.arxiv_id: row for row, d in enumerate(index.docs)}
                self.clear_caches()
            return self._index

    def similar(self, arxiv_id: str) -> tuple[list[tuple[str, str, float]], str | None]:
        try:
            index = self.index()
        except SearchIndexError:
            return [], "Similar papers need the search index: run `paperradar index`."
        if index.ranker.dense is None:
            return [], "Similar papers need the semantic index: run `paperradar index` with embeddings."
        return views.similar_rows(index, self._row_of, arxiv_id), None


# -- request helpers ---------------------------------------------------------------------------
def _state(request: Request) -> WebState:
    return cast(WebState, request.app.state.web)


def _param(request: Request, name: str) -> str:
    value = " ".join(request.query_params.get(name, "").split())
    limit = MAX_FIELD.get(name, 40)
    if len(value) > limit:
        raise FormError(name, f"{name} is too long: at most {limit} characters")
    return value


def _date_param(request: Request, name: str) -> str:
    value = _param(request, name)
    if value:
        try:
            return Date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise FormError(name, f"{name} must be a date in YYYY-MM-DD form, not {value!r}") from exc
    return value


def _valid_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return False
    try:
        Date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _respond(request: Request, item: Cached) -> Response:
    headers = {"etag": item.etag, "cache-control": "no-cache", "vary": "accept-encoding"}
    if item.status == 200 and request.headers.get("if-none-match") == item.etag:
        return Response(status_code=304, headers=headers)
    if item.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(item.gzipped, status_code=item.status, media_type=item.media_type, headers=headers)
    return Response(item.body, status_code=item.status, media_type=item.media_type, headers=headers)


def _make(body: str | bytes, media_type: str, status: int = 200) -> Cached:
    data = body.encode("utf-8") if isinstance(body, str) else body
    packed = gzip.compress(data, compresslevel=5, mtime=0) if len(data) > GZIP_MIN else None
    return Cached(data, media_type, '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"', status,
                  packed)


def cached(request: Request, key: tuple, make: Callable[[], Cached]) -> Response:
    """Serve ``key`` from the page cache, making (and keeping) it on a miss."""
    state = _state(request)
    state.check_fresh()
    item = state.cache.get(key)
    if item is None:
        generation = state.cache.generation
        item = make()
        state.cache.put(key, item, generation)
    return _respond(request, item)


def _json(data: Any, status: int = 200) -> Cached:
    return _make(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), JSON, status)


def _links(request: Request) -> Links:
    return Links()


def _absolute(request: Request) -> Links:
    return Links(root=str(request.base_url))


def _missing_day(state: WebState, date: str) -> PageError:
    store = state.store()
    if not store.listing_dates():
        return PageError(404, "No papers yet", "The store has no listings yet: run `paperradar run` or "
                                               "`paperradar ingest`, then reload.")
    return PageError(404, "No papers on that day", f"There are no listings for {date}.",
                     views.nearest(store, date))


# -- pages -------------------------------------------------------------------------------------
def home(request: Request) -> Response:
    dates = _state(request).store().listing_dates()
    if not dates:
        raise _missing_day(_state(request), "today")
    return _day_response(request, dates[-1])


def day_redirect(request: Request) -> Response:
    date = _date_param(request, "date")
    return RedirectResponse(f"/day/{date}" if date else "/", status_code=303)


def day(request: Request) -> Response:
    date = request.path_params["date"]
    if not _valid_date(date):
        raise _missing_day(_state(request), date)
    return _day_response(request, date)


def _day_response(request: Request, date: str) -> Response:
    lang = _param(request, "lang") or None
    category = _param(request, "category") or None
    if category and not _CATEGORY.match(category):
        raise FormError("category", "category must look like cs.CL")
    state = _state(request)

    def make() -> Cached:
        store = state.store()
        try:
            page = views.day_page(store, date, language=lang, category=category)
        except DigestError as exc:
            raise _missing_day(state, date) from exc
        if category and not page.sections:
            raise PageError(404, "No papers in that category",
                            f"No papers were listed under {category} on {date}.")
        feeds_ = [("Latest papers", "/feeds/latest.atom")]
        if category:
            feeds_.append((f"arXiv {category}", Links().feed_category(category)))
        return _make(render("day.html.j2", _links(request), feeds_, day=page), HTML)

    return cached(request, ("day", date, lang, category), make)


def days(request: Request) -> Response:
    state = _state(request)

    def make() -> Cached:
        infos = list(reversed(day_infos(state.store())))
        return _make(render("days.html.j2", _links(request), [("Latest papers", "/feeds/latest.atom")],
                            days=infos), HTML)

    return cached(request, ("days",), make)


def paper(request: Request) -> Response:
    arxiv_id = request.path_params["arxiv_id"]
    lang = _param(request, "lang") or None
    if len(arxiv_id) > 40:
        raise PageError(404, "No such paper", "That is not an arXiv id.")
    state = _state(request)

    def make() -> Cached:
        similar, note = state.similar(arxiv_id)
        page = views.paper_page(state.store(), arxiv_id, language=lang, similar=similar, similar_note=note)
        if page is None:
            raise PageError(404, "No such paper", f"The store has no paper {arxiv_id}.")
        feeds_ = [("Latest papers", "/feeds/latest.atom")]
        return _make(render("paper.html.j2", _links(request), feeds_, p=page), HTML)

    return cached(request, ("paper", arxiv_id, lang), make)


@dataclass(frozen=True, slots=True)
class SearchForm:
    q: str
    mode: str
    category: str
    author: str
    since: str
    until: str
    page: int

    def query(self, page: int | None = None) -> dict[str, str | int | None]:
        return {"q": self.q, "mode": None if self.mode == "hybrid" else self.mode, "category": self.category,
                "author": self.author, "since": self.since, "until": self.until,
                "page": None if (page or self.page) == 1 else (page or self.page)}


def search_form(request: Request) -> SearchForm:
    """The search parameters, or :class:`FormError` naming the one that is wrong."""
    mode = _param(request, "mode") or "hybrid"
    if mode not in MODES:
        raise FormError("mode", f"mode must be one of {', '.join(MODES)}")
    raw_page = _param(request, "page") or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGES:
        raise FormError("page", f"page must be a number from 1 to {MAX_PAGES}")
    category = _param(request, "category")
    if category and not _CATEGORY.match(category):
        raise FormError("category", "category must look like cs.CL or cs")
    return SearchForm(_param(request, "q"), mode, category, _param(request, "author"),
                      _date_param(request, "since"), _date_param(request, "until"), int(raw_page))


def _run_search(request: Request, form: SearchForm, k: int) -> list[Any]:
    try:
        index = _state(request).index()
        return index.search(form.q, k=k, mode=form.mode, since=form.since or None, until=form.until or None,
                            category=form.category or None, author=form.author or None)
    except (SearchIndexError, EmbeddingError) as exc:
        log.warning("search unavailable: %s", exc)
        raise PageError(503, "Search is not available", f"Search cannot run right now: {exc}") from exc


def search(request: Request) -> Response:
    """The search page. A page for the same query and filters is kept (LRU, bounded) until
    the store or the index changes; ``x-search-cache`` says whether it came from there."""
    form = search_form(request)
    if not form.q:
        return _respond(request, _search_page(request, form))
    state = _state(request)
    state.check_fresh()
    try:
        index = state.index()  # reloads (and empties the caches) when `paperradar index` rewrote it
    except SearchIndexError:
        return _respond(request, _search_page(request, form))  # the friendly 503 page
    key = ("search", form.q, form.mode, form.category, form.author, form.since, form.until, form.page,
           id(index), state.data_version)
    item = state.search_cache.get(key)
    hit = item is not None
    if item is None:
        generation = state.search_cache.generation
        item = _search_page(request, form)
        state.search_cache.put(key, item, generation)
    response = _respond(request, item)
    response.headers["x-search-cache"] = "hit" if hit else "miss"
    return response


def _search_page(request: Request, form: SearchForm) -> Cached:
    hits: list[views.Hit] = []
    prev_url = next_url = None
    if form.q:
        results = _run_search(request, form, form.page * PAGE_SIZE + 1)
        start = (form.page - 1) * PAGE_SIZE
        hits = views.search_hits(results[start:start + PAGE_SIZE])
        links = Links()
        if form.page > 1:
            prev_url = links.search(**form.query(form.page - 1))
        if len(results) > start + PAGE_SIZE and form.page < MAX_PAGES:
            next_url = links.search(**form.query(form.page + 1))
    feeds_ = [("Search: " + form.q, Links().feed_search(form.q))] if form.q else []
    body = render("search.html.j2", _links(request), feeds_, form=form, hits=hits, query=form.q,
                  modes=MODES, message=None, note=None, first=(form.page - 1) * PAGE_SIZE + 1,
                  prev_url=prev_url, next_url=next_url)
    return _make(body, HTML)


def topics_page(request: Request) -> Response:
    state = _state(request)
    return cached(request, ("topics",), lambda: _make(render(
        "topics.html.j2", _links(request), [], topics=topics.saved_topics(state.store())), HTML))


def topic_page(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]

    def make() -> Cached:
        found = topics.topic(state.store(), name)
        if found is None:
            raise PageError(404, "No such topic", f"There is no saved topic named {name!r}.")
        return _make(render("topic.html.j2", _links(request), [(name, Links().feed_topic(name))],
                            topic=found), HTML)

    return cached(request, ("topic", name), make)


def trending_page(request: Request) -> Response:
    state = _state(request)
    return cached(request, ("trending",), lambda: _make(render(
        "trending.html.j2", _links(request), [], trending=topics.trending(state.store())), HTML))


# -- feeds -------------------------------------------------------------------------------------
def feed_profile(request: Request) -> Response:
    """A profile's delivered papers; ``?token=`` is the profile's secret feed token (constant-time
    compare, see :mod:`paperradar.deliver.signing`). Never cached: it is per reader."""
    from paperradar.deliver import signing
    from paperradar.errors import ConfigError

    store = _state(request).store()
    name = request.path_params["name"]
    token = request.query_params.get("token", "")
    try:
        key = signing.secret(store, create=False)
    except ConfigError:
        key = None
    if key is None or store.get_profile(name) is None or not signing.check_feed_token(key, name, token):
        raise PageError(404, "No such feed", "No feed for that profile and token.")
    body = feeds.render_feed(feeds.profile_feed(store, name, _absolute(request)))
    response = Response(body, media_type=ATOM)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def feed_latest(request: Request) -> Response:
    state = _state(request)
    return cached(request, ("feed-latest", str(request.base_url)), lambda: _make(
        feeds.render_feed(feeds.latest_feed(state.store(), _absolute(request))), ATOM))


def feed_category(request: Request) -> Response:
    state = _state(request)
    category = request.path_params["category"]
    if len(category) > MAX_FIELD["category"] or not _CATEGORY.match(category):
        raise PageError(404, "No such feed", "That is not an arXiv category.")

    def make() -> Cached:
        feed = feeds.category_feed(state.store(), category, _absolute(request))
        if feed is None:
            raise PageError(404, "No such feed", f"No papers were listed under {category} lately.")
        return _make(feeds.render_feed(feed), ATOM)

    return cached(request, ("feed-cat", category, str(request.base_url)), make)


def feed_search(request: Request) -> Response:
    form = search_form(request)
    if not form.q:
        raise FormError("q", "a search feed needs a query: /feeds/search.atom?q=...")
    results = _run_search(request, form, 50)
    feed = feeds.search_feed(_state(request).store(), form.q, [(r.arxiv_id, r.date) for r in results],
                             _absolute(request))
    return Response(feeds.render_feed(feed), media_type=ATOM)


def feed_topic(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]

    def make() -> Cached:
        found = topics.topic(state.store(), name)
        if found is None:
            raise PageError(404, "No such topic", f"There is no saved topic named {name!r}.")
        return _make(feeds.render_feed(feeds.topic_feed(state.store(), found, _absolute(request))), ATOM)

    return cached(request, ("feed-topic", name, str(request.base_url)), make)


# -- JSON API ----------------------------------------------------------------------------------
def api_days(request: Request) -> Response:
    state = _state(request)
    return cached(request, ("api-days",),
                  lambda: _json(api.days_dict(state.store(), day_infos(state.store()))))


def api_day(request: Request) -> Response:
    state = _state(request)
    date = request.path_params["date"]
    lang = _param(request, "lang") or None
    categories = parse_category_list(_param(request, "category") or None)

    def make() -> Cached:
        if not _valid_date(date):
            raise _missing_day(state, date)
        try:
            day = views.digest_day(state.store(), date, lang)
        except DigestError as exc:
            raise _missing_day(state, date) from exc
        data = day_dict(day)
        if categories:
            data["categories"] = [c for c in data["categories"] if c["name"] in categories]
            data["counts"] = {c["name"]: c["count"] for c in data["categories"]}
            data["total"] = sum(data["counts"].values())
        return _json(data)

    return cached(request, ("api-day", date, lang, tuple(categories or ())), make)


def api_paper(request: Request) -> Response:
    state = _state(request)
    arxiv_id = request.path_params["arxiv_id"]

    def make() -> Cached:
        similar, _ = state.similar(arxiv_id)
        data = api.paper_api_dict(state.store(), arxiv_id, similar)
        if data is None:
            raise PageError(404, "No such paper", f"The store has no paper {arxiv_id}.")
        return _json(data)

    return cached(request, ("api-paper", arxiv_id), make)


def api_search(request: Request) -> Response:
    form = search_form(request)
    if not form.q:
        raise FormError("q", "q (the query) is required")
    raw_k = _param(request, "k") or "20"
    if not raw_k.isdigit() or not 1 <= int(raw_k) <= 200:
        raise FormError("k", "k must be a number from 1 to 200")
    results = _run_search(request, form, int(raw_k))
    data = {"query": form.q, "mode": form.mode, "count": len(results), "note": None,
            "results": [r.as_dict() for r in results]}
    return Response(orjson.dumps(data), media_type=JSON)


def openapi(request: Request) -> Response:
    return Response(orjson.dumps(api.openapi(__version__)), media_type=JSON)


def healthz(request: Request) -> Response:
    store = _state(request).store()
    dates = store.listing_dates()
    return Response(orjson.dumps({"status": "ok", "papers": store.count_papers(), "days": len(dates),
                                  "latest": dates[-1] if dates else None, "pid": os.getpid()}),
                    media_type=JSON, headers={"cache-control": "no-store"})


def static_asset(request: Request) -> Response:
    try:
        body, media = asset(request.path_params["name"])
    except KeyError as exc:
        raise PageError(404, "Not found", "There is no such file.") from exc
    return Response(body, media_type=media, headers={"cache-control": "public, max-age=3600"})


# -- errors ------------------------------------------------------------------------------------
def _error_response(request: Request, status: int, heading: str, message: str,
                    dates: list[str] | None = None) -> Response:
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/healthz"):
        return Response(orjson.dumps({"error": heading, "message": message, "status": status,
                                      "nearest_dates": dates or []}), status_code=status, media_type=JSON)
    body = render("error.html.j2", Links(), [], status=status, heading=heading, message=message, dates=dates)
    return Response(body, status_code=status, media_type=HTML, headers={"cache-control": "no-store"})


async def page_error(request: Request, exc: Exception) -> Response:
    e = cast(PageError, exc)
    return _error_response(request, e.status, e.heading, e.message, e.dates)


async def form_error(request: Request, exc: Exception) -> Response:
    return _error_response(request, 400, "That request cannot be answered", str(exc))


async def http_error(request: Request, exc: Exception) -> Response:
    e = cast(HTTPException, exc)
    if e.status_code == 404:
        return _error_response(request, 404, "Page not found", "There is no page at this address.")
    if e.status_code == 405:
        return _error_response(request, 405, "Method not allowed",
                               "This address does not answer that method.")
    return _error_response(request, e.status_code, "Request not answered", "This request cannot be answered.")


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_response(request, 500, "Something went wrong",
                           "The server could not make this page; the error is in its log.")


ROUTES = [
    Route("/", home), Route("/day", day_redirect), Route("/day/{date}", day), Route("/days", days),
    Route("/paper/{arxiv_id:path}", paper), Route("/search", search),
    Route("/topics", topics_page), Route("/topics/{name}", topic_page), Route("/trending", trending_page),
    Route("/feeds/latest.atom", feed_latest), Route("/feeds/category/{category}.atom", feed_category),
    Route("/feeds/search.atom", feed_search), Route("/feeds/topic/{name}.atom", feed_topic),
    Route("/feeds/profile/{name}.atom", feed_profile),
    Route("/api/days", api_days), Route("/api/day/{date}", api_day),
    Route("/api/paper/{arxiv_id:path}", api_paper),
    Route("/api/search", api_search), Route("/api/openapi.json", openapi),
    Route("/healthz", healthz), Route("/static/{name}", static_asset),
]


def create_app(db: str, data_dir: str | Path | None = None, *, embedder: Embedder | None = None,
               public: bool | None = None) -> Starlette:
    """The app for the store at ``db`` (opened read-only; :class:`StoreNotFound` if missing) with
    its search index in ``data_dir / "index"`` (no data folder: search says it is unavailable).
    ``embedder`` replaces the index's own for query embedding (tests). ``public``: the app is
    reachable from other machines (default: ``web.host`` is not loopback), which turns the login on
    under ``web.auth = auto``; the write routes (:mod:`paperradar.web.writes`) get their own
    writable store handle."""
    if db != ":memory:" and not Path(db).expanduser().exists():
        raise StoreNotFound(f"no store at {db}: check --db / $PAPERRADAR_DB, or make one with "
                            "`paperradar run` or `paperradar ingest FILE`")
    state = WebState(db, Path(data_dir) if data_dir is not None else None, embedder)
    handlers: dict[Any, Callable[..., Any]] = {
        PageError: page_error, FormError: form_error, HTTPException: http_error, Exception: server_error}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        writer.close()
        state.close()

    app = Starlette(routes=list(ROUTES), exception_handlers=handlers, lifespan=lifespan)
    app.state.web = state
    writer = _install_writes(app, state, public)
    app.add_middleware(SecurityHeaders)
    return app


def _install_writes(app: Starlette, state: WebState, public: bool | None) -> Any:
    """Login, feedback, unsubscribe and profile routes with the login gate (paperradar.web.writes)."""
    from paperradar import config
    from paperradar.web import writes
    from paperradar.web.auth import is_loopback

    if public is None:
        public = not is_loopback(config.get("web.host"))
    return writes.install(app, state, public, _error_response)


def app_from_config() -> Starlette:
    """uvicorn factory for ``paperradar serve --workers N``: the store and data folder come from
    the environment (``$PAPERRADAR_DB``, ``$PAPERRADAR_DATA_DIR``), which the command sets."""
    from paperradar import config
    from paperradar.store import default_location

    location = default_location()
    return create_app(location, config.data_dir_for(location))
