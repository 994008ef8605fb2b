"""Trending terms: phrases whose share of papers rises significantly in the recent window.

Each paper counts once per phrase (document frequency), in the window where it was
*first* listed, so a re-listing does not make a phrase trend. Phrases are uni- to
tri-grams of the title and abstract that do not cross punctuation or stop words.

Test: Dunning's log-likelihood ratio G² on the 2x2 table (papers with / without the
phrase, recent / baseline window), one-sided (rising only), with a minimum support of
``min_count`` recent papers and a Bonferroni-corrected threshold: G² above the chi-square
(1 d.o.f.) quantile for 0.05 divided by the number of phrases tested. Overlapping
phrases ("gaussian splatting" / "3d gaussian splatting") are merged when one contains the
other and share at least 80 % of the larger one's recent papers; the one with the larger G²
stands for both.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date as Date
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from paperradar.digest.phrase_cache import PhraseCache
from paperradar.errors import DigestError
from paperradar.models import Paper
from paperradar.store.base import Store

if TYPE_CHECKING:
    from paperradar.net import Http

_STOP_WORDS = """
a an the and or of for to in on at by with from as is are was were be been being this that these those it its
we our us they their them which who whom whose what when where how why than then there here such via into
onto over under about across between among within without through during after before above below up down
can could may might must shall should will would do does did done not no nor only also both each either
neither all any some many most more less few several other another same own so very too just yet still
however thus hence therefore while whereas although though because since if unless until per et al
i ii iii iv e g ie eg vs new novel propose proposed proposes present presents show shows paper study work
approach method methods results result based using use used via first two three one well yet high low
"""
STOP = frozenset(_STOP_WORDS.split())
MIN_COUNT = 5
ALPHA = 0.05
MERGE_OVERLAP = 0.8


_PUNCT = re.compile(r"[^a-z0-9\s-]+|\s-+\s|--+")


def _grams(run: list[str], out: set[str]) -> None:
    out.update(t for t in run if len(t) >= 3 and not t.isdigit())
    if len(run) > 1:
        out.update(map(" ".join, zip(run, run[1:], strict=False)))
        if len(run) > 2:
            out.update(map(" ".join, zip(run, run[1:], run[2:], strict=False)))


def phrases(text: str) -> set[str]:
    """Lower-cased 1-3-grams of ``text`` that do not cross punctuation or stop words."""
    out: set[str] = set()
    stop = STOP
    for chunk in _PUNCT.split(text.lower()):
        run: list[str] = []
        for t in chunk.split():
            t = t.strip("-")
            if not t or t in stop:
                if run:
                    _grams(run, out)
                    run = []
            else:
                run.append(t)
        if run:
            _grams(run, out)
    return out


def llr(a: int, n1: int, b: int, n2: int) -> float:
    """Dunning's G² for a term in ``a`` of ``n1`` recent and ``b`` of ``n2`` baseline papers."""
    def term(k: float, n: float, p: float) -> float:
        return k * math.log(k / (n * p)) if k > 0 else 0.0

    p = (a + b) / (n1 + n2)
    g = 0.0
    for k, n in ((a, n1), (b, n2)):
        g += term(k, n, p) + term(n - k, n, 1 - p)
    return 2.0 * g


def chi2_threshold(tests: int, alpha: float = ALPHA) -> float:
    """G² above which a rise is significant with Bonferroni correction over ``tests`` phrases."""
    from scipy.stats import chi2

    return float(chi2.isf(alpha / max(tests, 1), 1))


@dataclass
class Trend:
    term: str
    recent: int  # recent papers with the phrase
    baseline: int
    recent_share: float
    baseline_share: float
    ratio: float
    llr: float
    significant: bool
    papers: list[str]  # top recent papers (ids)
    merged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrendReport:
    since: str
    until: str
    baseline_since: str
    baseline_until: str
    recent_papers: int
    baseline_papers: int
    tested: int
    threshold: float
    trends: list[Trend]
    titles: dict[str, str] = field(default_factory=dict)  # id -> title for the shown papers
    # id -> {"github_stars": N, "hf_upvotes": M} for the shown papers; None: no signals asked
    signals: dict[str, dict[str, int]] | None = None

    def as_dict(self) -> dict:
        out = asdict(self)
        if self.signals is None:
            del out["signals"]  # offline: the report is exactly as without signals
        out["method"] = (f"log-likelihood ratio G², rising only, at least {MIN_COUNT} recent papers, "
                         f"Bonferroni-corrected p < {ALPHA}")
        return out


def windows(until: str, days: int, baseline_days: int) -> tuple[str, str, str, str]:
    if days < 1 or baseline_days < 1:
        raise DigestError("--days and --baseline-days must be at least 1")
    end = Date.fromisoformat(until)
    since = end - timedelta(days=days - 1)
    b_until = since - timedelta(days=1)
    b_since = b_until - timedelta(days=baseline_days - 1)
    return since.isoformat(), until, b_since.isoformat(), b_until.isoformat()


def corpus(store: Store, start: str, end: str,
           categories: Sequence[str] | None = None) -> list[tuple[Paper, str]]:
    """Papers first listed between ``start`` and ``end`` with that date."""
    wanted = [c.lower() for c in categories or ()]
    dates = [d for d in store.listing_dates() if start <= d <= end]
    ids: dict[str, None] = {}
    for d in dates:
        for listing in store.listings_on(d):
            if not wanted or any(listing.category.lower() == w or listing.category.lower().startswith(w + ".")
                                 for w in wanted):
                ids.setdefault(listing.arxiv_id)
    first = store.first_listed(list(ids))
    papers = store.get_papers(list(ids))
    return [(papers[i], first[i]) for i in ids if i in papers and start <= first.get(i, "") <= end]


def detect(docs: Sequence[tuple[str, str, bool]], top: int = 15, min_count: int = MIN_COUNT,
           alpha: float = ALPHA, significant_only: bool = True) -> tuple[list[Trend], int, float, int, int]:
    """``docs``: (id, text, is_recent). Significant rising phrases (with ``significant_only=False``,
    the strongest rising ones, flagged), merged, best first; also the number tested, the
    threshold and the two window sizes."""
    recent_df: Counter[str] = Counter()
    base_df: Counter[str] = Counter()
    recent_docs: dict[str, list[int]] = {}
    n1 = n2 = 0
    for k, (_, text, is_recent) in enumerate(docs):
        grams = phrases(text)
        if is_recent:
            n1 += 1
            recent_df.update(grams)
            for g in grams:
                recent_docs.setdefault(g, []).append(k)
        else:
            n2 += 1
            base_df.update(grams)
    if n1 == 0 or n2 == 0:
        return [], 0, 0.0, n1, n2
    candidates = [g for g, a in recent_df.items() if a >= min_count and a / n1 > base_df.get(g, 0) / n2]
    threshold = chi2_threshold(len(candidates), alpha)
    scored = []
    for g in candidates:
        a, b = recent_df[g], base_df.get(g, 0)
        score = llr(a, n1, b, n2)
        if score >= threshold or not significant_only:
            scored.append((score, g, a, b))
    ids = {g: [docs[k][0] for k in recent_docs[g]] for _, g, _, _ in scored}
    return _rank(scored, ids, threshold, n1, n2, top), len(candidates), threshold, n1, n2


def detect_cached(docs: Sequence[tuple[str, str, bool]], cache: PhraseCache, top: int = 15,
                  min_count: int = MIN_COUNT, alpha: float = ALPHA,
                  significant_only: bool = True) -> tuple[list[Trend], int, float, int, int]:
    """:func:`detect` with each paper's phrases from ``cache`` (made once per paper text) and the
    counting done by numpy: the same phrases, counts, test and ranking."""
    import numpy as np

    arrays = cache.ids([(pid, text) for pid, text, _ in docs], phrases)
    recent = [k for k, d in enumerate(docs) if d[2]]
    n1, n2 = len(recent), len(docs) - len(recent)
    if n1 == 0 or n2 == 0:
        return [], 0, 0.0, n1, n2
    size = max((int(a.max()) + 1 for a in arrays if a.size), default=0)
    rec_cat = np.concatenate([arrays[k] for k in recent])
    rc = np.bincount(rec_cat, minlength=size)
    bc = np.bincount(np.concatenate([a for a, d in zip(arrays, docs, strict=True) if not d[2]] or
                                    [np.zeros(0, np.int32)]), minlength=size)
    cand = np.nonzero((rc >= min_count) & (rc / n1 > bc / n2))[0]
    threshold = chi2_threshold(len(cand), alpha)
    picked = []
    for g in cand.tolist():
        a, b = int(rc[g]), int(bc[g])
        score = llr(a, n1, b, n2)
        if score >= threshold or not significant_only:
            picked.append((score, g, a, b))
    names = cache.phrases([g for _, g, _, _ in picked])
    scored = [(score, names[g], a, b) for score, g, a, b in picked]
    wanted = np.array([g for _, g, _, _ in picked], dtype=np.int32)
    owner = np.repeat(np.array(recent, dtype=np.int64), [arrays[k].size for k in recent])
    hit = np.isin(rec_cat, wanted)
    ids: dict[str, list[str]] = {}
    for g, k in zip(rec_cat[hit].tolist(), owner[hit].tolist(), strict=True):
        ids.setdefault(names[g], []).append(docs[k][0])
    return _rank(scored, ids, threshold, n1, n2, top), len(cand), threshold, n1, n2


def _rank(scored: list[tuple[float, str, int, int]], recent_ids: dict[str, list[str]], threshold: float,
          n1: int, n2: int, top: int) -> list[Trend]:
    """Best first, ties to the longer phrase; overlapping phrases merged."""
    scored.sort(key=lambda t: (-round(t[0], 6), -t[1].count(" "), t[1]))  # ties: the longer phrase
    kept: list[Trend] = []
    kept_docs: list[set[str]] = []
    for score, g, a, b in scored:
        mine = set(recent_ids[g])
        words = g.split()
        host = None
        for j, other in enumerate(kept):
            ow = other.term.split()
            contains = _contains(ow, words) or _contains(words, ow)
            if contains and len(mine & kept_docs[j]) >= MERGE_OVERLAP * max(len(mine), len(kept_docs[j])):
                host = j
                break
        if host is not None:
            kept[host].merged.append(g)
            continue
        if len(kept) >= top * 3:
            continue
        ratio = ((a + 0.5) / n1) / ((b + 0.5) / n2)
        kept.append(Trend(g, a, b, round(a / n1, 5), round(b / n2, 5), round(ratio, 2), round(score, 2),
                          score >= threshold, list(recent_ids[g])))
        kept_docs.append(mine)
    return kept[:top]


def _contains(outer: list[str], inner: list[str]) -> bool:
    n = len(inner)
    return n < len(outer) and any(outer[i:i + n] == inner for i in range(len(outer) - n + 1))


def _top_papers(trend: Trend, texts: dict[str, tuple[str, str]], limit: int = 3) -> list[str]:
    """Papers with the phrase in the title first, newest first."""
    def key(pid: str) -> tuple[bool, str]:
        title, day = texts[pid]
        return (trend.term not in title.lower(), "~" if not day else "".join(chr(255 - ord(c)) for c in day))

    return sorted(trend.papers, key=key)[:limit]


def trending(store: Store, *, until: str | None = None, days: int = 7, baseline_days: int = 28,
             categories: Sequence[str] | None = None, top: int = 15,
             min_count: int = MIN_COUNT, significant_only: bool = True,
             cache: str | Path | None = "auto") -> TrendReport:
    """The trending phrases of the ``days`` ending on ``until`` (default: the newest listing)
    against the ``baseline_days`` before them. ``cache``: the per-paper phrase cache file
    (:mod:`paperradar.digest.phrase_cache`; e.g. ``trending-phrases.sqlite`` in the data folder);
    ``"auto"`` (the default): that file in the store's data folder, when it has one; ``None``:
    the phrases are made again for every paper."""
    listed = store.listing_dates()
    if not listed:
        raise DigestError("the store has no listings; ingest some days first")
    end = until or listed[-1]
    since, end, b_since, b_until = windows(end, days, baseline_days)
    papers = corpus(store, b_since, end, categories)
    docs = [(p.arxiv_id, f"{p.title}. {p.abstract}", d >= since) for p, d in papers]
    phrase_cache = None
    if cache == "auto":
        cache = default_cache(store)
    if cache is not None:
        try:
            phrase_cache = PhraseCache(cache)
        except (OSError, sqlite3.Error):
            phrase_cache = None  # unwritable data folder: count without the cache
    if phrase_cache is None:
        trends, tested, threshold, n1, n2 = detect(docs, top=top, min_count=min_count,
                                                   significant_only=significant_only)
    else:
        try:
            trends, tested, threshold, n1, n2 = detect_cached(
                docs, phrase_cache, top=top, min_count=min_count, significant_only=significant_only)
        finally:
            phrase_cache.close()
    texts = {p.arxiv_id: (" ".join(p.title.split()), d) for p, d in papers}
    for t in trends:
        t.papers = _top_papers(t, texts)
    shown = {i for t in trends for i in t.papers}
    return TrendReport(since, end, b_since, b_until, n1, n2, tested, round(threshold, 2), trends,
                       {i: texts[i][0] for i in shown})


def add_signals(store: Store, report: TrendReport, names: Sequence[str], *, github_token: str | None = None,
                github_api: str | None = None, hf_url: str | None = None,
                http: Http | None = None) -> list[str]:
    """Ask the online signals ``names`` (``github``, ``hf``; :mod:`paperradar.sources.signals`)
    about the shown papers of ``report``, fill :attr:`TrendReport.signals` and order each
    phrase's papers by them; return the warnings. The order: by the value of the first signal
    named, then the next, a paper without a value after those with one; ties keep the usual
    order (title match, newest first). GitHub stars are written back to the store's code links
    when it is writable. Without ``names`` nothing is asked and the report is left as it is."""
    from paperradar.errors import StoreError
    from paperradar.models import CodeLink
    from paperradar.sources.signals import NAMES, GitHubStars, HFUpvotes, Signal

    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise DigestError(f"unknown signal {', '.join(unknown)}; known: {', '.join(NAMES)}")
    if not names:
        return []
    shown = list(dict.fromkeys(i for t in report.trends for i in t.papers))
    links = store.code_links_for(shown) if "github" in names else {}
    sources: list[Signal] = []
    for n in dict.fromkeys(names):
        if n == "github":
            sources.append(GitHubStars({i: c.url for i, c in links.items()}, api=github_api,
                                       token=github_token, http=http))
        else:
            start = Date.fromisoformat(report.since)
            span = (Date.fromisoformat(report.until) - start).days + 1
            sources.append(HFUpvotes([(start + timedelta(days=k)).isoformat() for k in range(span)],
                                     base=hf_url, http=http))
    values: dict[str, dict[str, int]] = {}
    warnings: list[str] = []
    for source in sources:
        got = source.fetch(shown) if shown else {}
        warnings += source.warnings
        for pid, v in got.items():
            values.setdefault(pid, {})[source.name] = v
        if isinstance(source, GitHubStars) and got:
            try:
                store.upsert_code_links([CodeLink(pid, links[pid].url, v, links[pid].last_update)
                                         for pid, v in got.items()])
            except StoreError as exc:
                warnings.append(f"github_stars: not stored: {exc}")
    keys = [s.name for s in sources]
    for t in report.trends:
        t.papers = sorted(t.papers, key=lambda pid: tuple(-values.get(pid, {}).get(k, -1) for k in keys))
    report.signals = {pid: values[pid] for pid in shown if pid in values}
    return warnings


def default_cache(store: Store) -> Path | None:
    """``trending-phrases.sqlite`` in the data folder of ``store`` (None for an in-memory one)."""
    from paperradar import config
    from paperradar.digest.phrase_cache import FILE_NAME
    from paperradar.errors import PaperradarError

    location = getattr(store, "location", None)
    if not isinstance(location, str) or location == ":memory:":
        return None
    try:
        folder = config.data_dir_for(location)
    except PaperradarError:
        return None
    return folder / FILE_NAME if folder is not None else None


@dataclass(frozen=True, slots=True)
class DayTrend:
    """One trending phrase as the daily digest shows it."""

    term: str
    recent: int
    baseline: int
    ratio: float
    papers: tuple[tuple[str, str], ...]  # (id, title)


DAY_TRENDS = 5


def day_trends(store: Store, date: str, *, days: int = 7, baseline_days: int = 28,
               top: int = DAY_TRENDS) -> tuple[DayTrend, ...]:
    """The significant trending phrases of the week ending on ``date`` (empty when none, or
    when the store holds too little history)."""
    try:
        report = trending(store, until=date, days=days, baseline_days=baseline_days, top=top)
    except DigestError:
        return ()
    return tuple(DayTrend(t.term, t.recent, t.baseline, t.ratio,
                          tuple((i, report.titles.get(i, "")) for i in t.papers)) for t in report.trends)


def trend_lines(report: TrendReport, limit: int = 10) -> Iterable[str]:
    """Plain one-liners: ``gaussian splatting  12 vs 3 papers (x10.5)``."""
    for t in report.trends[:limit]:
        yield (f"{t.term}: {t.recent} of {report.recent_papers} papers vs {t.baseline} of "
               f"{report.baseline_papers} before (x{t.ratio:g}, G² {t.llr:g})")
