"""Live fetching from arXiv: OAI-PMH harvests, export-API searches, daily RSS listings.

Every fetched page goes through the same parsers as ``paperradar ingest`` and
is applied with :func:`paperradar.ingest.ingest_records` in its own
transaction, so an interrupted fetch keeps every page it finished and a
re-run changes nothing it already has. An OAI-PMH harvest also records its
resumption token in the store's meta table *in the same transaction* as the
page, which is what makes ``--resume`` exact.

A harvest also refuses to run forever: a server that hands out a
resumptionToken it already gave, pages that bring nothing this harvest has
not already seen several times in a row, or more records than the
``completeListSize`` it announced, stop it with :class:`HarvestError` before
the offending page is stored, so the cursor stays at the last good page.

Network failures raise :class:`FetchUnavailable`; anything else that stops a
fetch raises :class:`FetchError` (or the HTTP policy's :class:`ResponseTooLarge`
/ :class:`DeadlineExceeded`). All carry a one-line message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import date

from paperradar import config
from paperradar.errors import HarvestError, NetworkError
from paperradar.ingest import ingest_records
from paperradar.models import IngestReport, Origin, Record, Rejection
from paperradar.sources.http import DEFAULT_DELAY, FetchError, FetchUnavailable, PoliteClient
from paperradar.sources.xmlfeeds import FeedInfo, parse_xml_bytes
from paperradar.store.base import Store

__all__ = [
    "FetchError", "FetchUnavailable", "PoliteClient", "harvest_oai", "fetch_api", "fetch_rss", "fetch_today",
    "OAI_URL", "API_URL", "RSS_URL", "OAI_STATE_KEY", "HarvestError", "NO_PROGRESS_PAGES",
]

OAI_URL = "https://oaipmh.arxiv.org/oai"
API_URL = "https://export.arxiv.org/api/query"
RSS_URL = "https://rss.arxiv.org/rss/"
ENV_RSS_URL = config.BY_KEY["rss_url"].env
OAI_STATE_KEY = "fetch.oai"
CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?$")
NO_PROGRESS_PAGES = 3  # pages in a row with nothing new before a harvest is called a loop

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


class _SeenIds:
    """The record identifiers one harvest has seen, in a fixed 8 MiB however long it runs.

    A Bloom filter (2**26 bits, 7 probes): about one false "seen" in 10**4 at
    three million ids, never a false "new". A plain set of every arXiv id would
    hold some 250 MB on a full harvest just to notice a server going round in
    circles; a false "seen" matters only when it hits every record of several
    pages in a row.
    """

    BITS = 1 << 26
    PROBES = 7

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS // 8)

    def add(self, key: str) -> bool:
        """Remember ``key``; True when it had not been seen before."""
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
        first, step = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        new = False
        for probe in range(self.PROBES):
            bit = (first + probe * step) & (self.BITS - 1)
            mask = 1 << (bit & 7)
            if not self._bits[bit >> 3] & mask:
                new = True
                self._bits[bit >> 3] |= mask
        return new


def _list_size_allows(size: int) -> int:
    """Records a list announced as ``size`` may really bring: 10 % slack (at least 100)
    for a list that grows while it is harvested."""
    return size + max(100, size // 10)


def harvest_oai(store: Store, client: PoliteClient, *, base_url: str = OAI_URL, prefix: str = "arXiv",
                set_spec: str | None = None, from_date: str | None = None, until_date: str | None = None,
                resume: bool = False, progress: Progress = _quiet) -> IngestReport:
    """Harvest ``ListRecords`` page by page, following resumption tokens.

    With ``resume``: continue an interrupted harvest from its stored token; if
    the last harvest finished, start an incremental one from the date it
    began (its first ``responseDate``), with the same prefix and set.

    Raises :class:`HarvestError`, storing nothing of the page at fault, when the
    server loops: a resumptionToken seen before in this harvest,
    :data:`NO_PROGRESS_PAGES` pages in a row without a record this harvest had
    not seen, or more records than ``completeListSize`` allows.
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
                 "until": until_date, "token": None, "pages": 0, "records": 0, "started": None,
                 "next_from": None}
    tokens_seen: dict[str, int] = {token: state["pages"]} if token else {}  # token -> page that sent it
    ids_seen = _SeenIds()
    stale = 0
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
        keys = [item.paper.arxiv_id for item in items if isinstance(item, Record)] + info.deleted
        fresh = sum([ids_seen.add(key) for key in keys])  # a list: every key must be added
        records = (state.get("records") or 0) + info.entries
        token = info.resumption_token
        if token:
            stale = 0 if fresh else stale + 1
            _check_progress(label, page, token, tokens_seen, stale, records, info.complete_list_size)
            tokens_seen[token] = page
        if state["started"] is None:
            state["started"] = info.response_date or date.today().isoformat()
        state.update(token=token, pages=page, records=records)
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


def _check_progress(label: str, page: int, token: str, tokens_seen: dict[str, int], stale: int,
                    records: int, list_size: int | None) -> None:
    """Stop a harvest that would not end: raise :class:`HarvestError` for page ``page``."""
    why = None
    if token in tokens_seen:
        first = tokens_seen[token]
        where = f"page {first}" if first else "the resumed cursor"
        why = f"the server sent resumptionToken {token!r} again (first sent with {where})"
    elif stale >= NO_PROGRESS_PAGES:
        why = f"{stale} pages in a row brought no record this harvest had not already seen"
    elif list_size is not None and records > _list_size_allows(list_size):
        why = (f"{records} records received, more than the completeListSize of {list_size} allows, "
               "and the server still offers more pages")
    if why is not None:
        raise HarvestError(f"{label}: {why}; stopped so the harvest cannot loop, without storing this page "
                           f"(the stored cursor stays after page {page - 1})")


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
            except NetworkError as exc:  # also a feed too large or too slow: the others still count
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
