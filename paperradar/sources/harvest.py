"""Live fetching from arXiv: OAI-PMH harvests, export-API searches, daily RSS listings.

Every fetched page goes through the same parsers as ``paperradar ingest`` and
is applied with :func:`paperradar.ingest.ingest_records` in its own
transaction, so an interrupted fetch keeps every page it finished and a
re-run changes nothing it already has. An OAI-PMH harvest also records its
resumption token in the store's meta table *in the same transaction* as the
page, which is what makes ``--resume`` exact.

Network failures raise :class:`FetchUnavailable`; anything else that stops a
fetch raises :class:`FetchError`. Both carry a one-line message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date

from paperradar import config
from paperradar.ingest import ingest_records
from paperradar.models import IngestReport, Origin, Record, Rejection
from paperradar.sources.http import DEFAULT_DELAY, FetchError, FetchUnavailable, PoliteClient
from paperradar.sources.xmlfeeds import FeedInfo, parse_xml_bytes
from paperradar.store.base import Store

__all__ = [
    "FetchError", "FetchUnavailable", "PoliteClient", "harvest_oai", "fetch_api", "fetch_rss", "fetch_today",
    "OAI_URL", "API_URL", "RSS_URL", "OAI_STATE_KEY",
]

OAI_URL = "https://oaipmh.arxiv.org/oai"
API_URL = "https://export.arxiv.org/api/query"
RSS_URL = "https://rss.arxiv.org/rss/"
ENV_RSS_URL = config.BY_KEY["rss_url"].env
OAI_STATE_KEY = "fetch.oai"
CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?$")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _parse_page(body: bytes, label: str, info: FeedInfo) -> list[Record | Rejection]:
    """Parse a whole page before touching the store: a damaged page is an error, not half a page."""
    items = list(parse_xml_bytes(body, label, info))
    if info.problem is not None:
        where = f" at line {info.problem.line}, column {info.problem.column}" if info.problem.line else ""
        raise FetchError(f"{label}: {info.problem.message}{where}")
    if info.kind is None:
        reason = next((str(i) for i in items if isinstance(i, Rejection)), "not an XML feed")
        raise FetchError(reason)
    return items


# -- OAI-PMH -------------------------------------------------------------------------

def load_oai_state(store: Store) -> dict | None:
    raw = store.get_meta(OAI_STATE_KEY)
    if not raw:
        return None
    try:
        state = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return state if isinstance(state, dict) else None


def harvest_oai(store: Store, client: PoliteClient, *, base_url: str = OAI_URL, prefix: str = "arXiv",
                set_spec: str | None = None, from_date: str | None = None, until_date: str | None = None,
                resume: bool = False, progress: Progress = _quiet) -> IngestReport:
    """Harvest ``ListRecords`` page by page, following resumption tokens.

    With ``resume``: continue an interrupted harvest from its stored token; if
    the last harvest finished, start an incremental one from the date it
    began (its first ``responseDate``), with the same prefix and set.
    """
    state = load_oai_state(store)
    token: str | None = None
    if resume:
        if state is None:
            raise FetchError("nothing to resume: this store has no record of an OAI-PMH harvest; "
                             "start one with --from")
        base_url = state.get("base_url") or base_url
        prefix = state.get("prefix") or prefix
        set_spec = state.get("set")
        if state.get("token"):
            token = state["token"]
            from_date, until_date = state.get("from"), state.get("until")
            progress(f"resuming the harvest started {state.get('started')} after page {state.get('pages')}")
        else:
            from_date, until_date = state.get("next_from"), None
            progress(f"previous harvest finished; harvesting changes since {from_date}")
            state = None
    if state is None or not token:
        state = {"base_url": base_url, "prefix": prefix, "set": set_spec, "from": from_date,
                 "until": until_date, "token": None, "pages": 0, "started": None, "next_from": None}
    total = IngestReport()
    while True:
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": prefix}
            if from_date:
                params["from"] = from_date
            if until_date:
                params["until"] = until_date
            if set_spec:
                params["set"] = set_spec
        page = state["pages"] + 1
        label = f"{base_url} ListRecords page {page}"
        info = FeedInfo()
        items = _parse_page(client.get(base_url, params), label, info)
        if info.kind != "oai-pmh":
            raise FetchError(f"{label}: expected an OAI-PMH response, got a {info.kind} document")
        if info.oai_error is not None:
            code, message = info.oai_error
            if code == "badResumptionToken":
                raise FetchError(f"{label}: the server no longer accepts the resumption token ({message}); "
                                 "start again with --from (pages already stored are kept)")
            if code != "noRecordsMatch":
                raise FetchError(f"{label}: OAI-PMH error {code}: {message or '(no message)'}")
            items = []
        if state["started"] is None:
            state["started"] = info.response_date or date.today().isoformat()
        token = info.resumption_token
        state.update(token=token, pages=page)
        if not token:
            state["next_from"] = (state["started"] or "")[:10] or None
        with store.transaction():
            report = ingest_records(store, items, label)
            store.set_meta(OAI_STATE_KEY, json.dumps(state))
        total.merge(report)
        for note in info.notes():
            progress(f"{label}: {note}")
        size = f" of {info.complete_list_size}" if info.complete_list_size else ""
        progress(f"page {page}: {report.read} records ({total.read}{size} so far), "
                 f"new {report.new}, updated {report.updated}")
        if not token:
            return total


# -- export API ----------------------------------------------------------------------

def fetch_api(store: Store, client: PoliteClient, *, query: str, base_url: str = API_URL,
              max_results: int | None = None, page_size: int = 100, sort_by: str | None = None,
              progress: Progress = _quiet) -> IngestReport:
    """Page through an export-API search (``start``/``max_results``) until
    ``totalResults`` or ``max_results`` is reached."""
    if page_size < 1:
        raise FetchError("page size must be at least 1")
    total = IngestReport()
    start = 0
    while max_results is None or start < max_results:
        count = page_size if max_results is None else min(page_size, max_results - start)
        params = {"search_query": query, "start": str(start), "max_results": str(count)}
        if sort_by:
            params.update(sortBy=sort_by, sortOrder="descending")
        label = f"{base_url}?search_query={query}&start={start}"
        info = FeedInfo()
        items = _parse_page(client.get(base_url, params), label, info)
        if info.api_error:
            raise FetchError(f"arXiv export API rejected the query {query!r}: {info.api_error}")
        if info.kind != "atom":
            raise FetchError(f"{label}: expected an Atom feed, got a {info.kind} document")
        with store.transaction():
            report = ingest_records(store, items, label)
        total.merge(report)
        start += info.entries
        available = info.total_results
        progress(f"results {start}{f' of {available}' if available is not None else ''}: "
                 f"new {report.new}, updated {report.updated}")
        if info.entries == 0:
            if available is not None and start < available:
                progress(f"the API returned an empty page at start={start}; stopping (re-run to continue)")
            break
        if available is not None and start >= available:
            break
    return total


# -- announcement feeds ------------------------------------------------------------------

def check_categories(categories: Iterable[str]) -> list[str]:
    cats = [c.strip() for c in categories if c.strip()]
    bad = [c for c in cats if not CATEGORY.match(c)]
    if bad:
        raise FetchError(f"not an arXiv category: {', '.join(bad)} (expected e.g. cs.AI, math.AG, hep-th)")
    return list(dict.fromkeys(cats))


def fetch_rss_category(store: Store, client: PoliteClient, category: str,
                       base_url: str = RSS_URL) -> IngestReport:
    url = base_url.rstrip("/") + "/" + category
    info = FeedInfo(category=category)
    items = _parse_page(client.get(url), url, info)
    if info.kind not in ("rss", "atom"):
        raise FetchError(f"{url}: expected an RSS or Atom announcement feed, got a {info.kind} document")
    with store.transaction():
        return ingest_records(store, items, url)


def fetch_rss(store: Store, client: PoliteClient, categories: Iterable[str], *, base_url: str = RSS_URL,
              progress: Progress = _quiet) -> IngestReport:
    """Today's announcement feed for each category, one transaction per feed."""
    total = IngestReport()
    for category in check_categories(categories):
        report = fetch_rss_category(store, client, category, base_url)
        total.merge(report)
        progress(f"{category}: {report.read} items, new {report.new}, listings added {report.listings_added}")
    return total


def fetch_today(store: Store, categories: Iterable[str], base_url: str | None = None, *,
                client: PoliteClient | None = None, delay: float = DEFAULT_DELAY,
                progress: Progress = _quiet) -> IngestReport:
    """Today's listing for ``categories`` from the announcement feeds, for the main job.

    Raises :class:`FetchUnavailable` quickly (5 s connect timeout, no retries on
    connection failures) when arXiv cannot be reached, or when no category
    could be fetched at all. A category that fails after others succeeded is
    reported as a rejection naming its URL, and the rest are kept.
    ``base_url`` defaults to ``$PAPERRADAR_RSS_URL`` or rss.arxiv.org.
    """
    base_url = base_url or config.get("rss_url") or RSS_URL
    try:
        cats = check_categories(categories)
    except FetchError as exc:
        raise FetchUnavailable(str(exc)) from None
    own = client is None
    client = client or PoliteClient(delay=delay, retries=2, connect_timeout=5.0, timeout=30.0, max_wait=60.0)
    total = IngestReport()
    failures: list[str] = []
    try:
        for category in cats:
            try:
                report = fetch_rss_category(store, client, category, base_url)
            except FetchUnavailable:
                raise
            except FetchError as exc:
                failures.append(str(exc))
                url = base_url.rstrip("/") + "/" + category
                total.rejected += 1
                total.rejections.append(Rejection(Origin(url), str(exc)))
                continue
            total.merge(report)
            progress(f"{category}: {report.read} items, new {report.new}")
    finally:
        if own:
            client.close()
    if failures and len(failures) == len(cats):
        raise FetchUnavailable("; ".join(failures))
    return total
