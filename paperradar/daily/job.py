"""The daily job (``paperradar run``): fetch, summarize, index, trending, topics, site, deliver.

Each step works on what the store holds, so each is idempotent and resumable on
its own: a re-run fetches only what it lacks (ingest is idempotent, an
OAI-PMH catch-up resumes its stored cursor), summarises only papers without a
current summary, indexes only new or changed papers, renders only changed
files, and delivers each profile's day at most once. A failed step does not
stop the job: the steps that do not depend on it still run (:data:`DEPENDS`),
and the exit status names the first failed step (:data:`EXIT_CODES`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from paperradar import config
from paperradar.errors import PaperradarError
from paperradar.models import IngestReport
from paperradar.store.base import Store

STEPS = ("fetch", "summarize", "index", "trending", "topics", "site", "deliver")
# Exit status of a job whose first failed step is the key (0: every step ok or had nothing to do;
# 1: the job could not start, e.g. a bad config file or a store that cannot be opened; 2: usage).
EXIT_CODES = {name: 10 + k for k, name in enumerate(STEPS, 1)}
# A step is skipped (not run) when a step it needs failed. Delivery waits for a complete and
# summarised day because an email cannot be taken back; topic digests need the search index.
DEPENDS: dict[str, tuple[str, ...]] = {"topics": ("index",), "deliver": ("fetch", "summarize")}
LAST_FETCH_KEY = "job.last_live_listing"  # newest listing date a live fetch brought
CATCH_UP_DAYS = 7
SAMPLE = "bundled sample"

Info = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Step:
    name: str
    status: str = "ok"  # ok | nothing (nothing to do, and why) | skipped | failed
    line: str = ""
    details: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.name, "status": self.status, "line": self.line, "details": list(self.details),
                "seconds": round(self.seconds, 2), **self.data}


@dataclass
class JobOptions:
    categories: list[str] = field(default_factory=list)
    offline: bool = False
    site_dir: Path = Path("site")
    data_dir: Path | None = None  # search index and caches; None: no index step (in-memory store)
    dense: bool | None = None  # None: dense when live or the index already is; keyword-only on the sample
    catch_up_days: int = CATCH_UP_DAYS
    base_url: str | None = None  # the website's public URL (default: web.base_url)
    llm_cache: Path | None = None
    rss_url: str | None = None
    oai_url: str | None = None
    http_delay: float | None = None
    progress: bool = True
    now: datetime | None = None  # for "why nothing new"; default: the current time
    skip: tuple[str, ...] = ()  # steps left out (reported as skipped)


@dataclass
class JobReport:
    store: str
    steps: list[Step] = field(default_factory=list)
    source: str = ""
    date: str | None = None
    started: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        return [s.name for s in self.steps if s.status == "failed"]

    @property
    def exit_code(self) -> int:
        failed = self.failed
        return EXIT_CODES[failed[0]] if failed else 0

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {"store": self.store, "source": self.source, "date": self.date, "started": self.started,
                "seconds": round(self.seconds, 2), "exit": self.exit_code, "failed": self.failed,
                "steps": [s.as_dict() for s in self.steps]}


def sets_for(categories: list[str]) -> list[str]:
    """arXiv OAI-PMH sets that hold ``categories``: ``cs.CL`` -> ``cs``, ``hep-th`` ->
    ``physics:hep-th``, ``astro-ph.GA`` -> ``physics:astro-ph``."""
    own = {"cs", "math", "stat", "q-bio", "q-fin", "eess", "econ"}
    out: dict[str, None] = {}
    for cat in categories:
        archive = cat.split(".", 1)[0]
        out[archive if archive in own else f"physics:{archive}"] = None
    return list(out)


class _Job:
    def __init__(self, store: Store, options: JobOptions, info: Info) -> None:
        self.store = store
        self.o = options
        self.info = info
        self.report = JobReport(store.location)
        self.ingest: IngestReport | None = None
        self.new_dates: list[str] = []
        self.live = False

    @property
    def index_folder(self) -> Path | None:
        return self.o.data_dir / "index" if self.o.data_dir is not None else None

    def newest(self) -> str | None:
        dates = self.store.listing_dates()
        return dates[-1] if dates else None

    # -- fetch -----------------------------------------------------------------------

    def fetch(self, step: Step) -> None:
        before = set(self.store.listing_dates())
        cats = self.o.categories
        report: IngestReport | None = None
        if cats and not self.o.offline:
            from paperradar.sources.harvest import FetchUnavailable, fetch_today

            try:
                report = fetch_today(self.store, cats, base_url=self.o.rss_url, progress=self.info,
                                     delay=self._delay())
                self.report.source = f"arXiv announcement feeds for {', '.join(cats)}"
                self.live = True
            except FetchUnavailable as exc:
                self.info(f"cannot reach arXiv ({exc}); using the bundled sample instead")
        elif not cats:
            env = config.BY_KEY["categories"].env
            self.info(f"no categories configured (use --categories or ${env}); "
                      "using the bundled sample of three real days")
        else:
            self.info("--offline given; using the bundled sample")
        if report is None:
            report = self._sample()
            self.report.source = SAMPLE
        self.ingest = report
        self.new_dates = sorted(set(self.store.listing_dates()) - before)
        step.data = {"source": self.report.source, "ingest": report.as_dict()}
        counts = (f"read {report.read}, new {report.new}, updated {report.updated}, "
                  f"listings added {report.listings_added}")
        step.line = f"{self.report.source}: {counts}"
        step.details = [f"rejected: {r}" for r in report.rejections]
        problems: list[str] = []
        if self.live:
            problems += self._catch_up(step)
        if report.rejected:
            problems.insert(0, f"{report.rejected} records rejected (the rest are stored)")
        if problems:
            step.status = "failed"
            step.line += "; " + "; ".join(problems)
        elif not report.new and not report.listings_added and not step.data.get("catch_up", {}).get("new"):
            step.status = "nothing"
            step.line += f"; nothing new: {self._why_nothing(report)}"

    def _delay(self) -> float:
        from paperradar.sources.http import DEFAULT_DELAY

        return DEFAULT_DELAY if self.o.http_delay is None else self.o.http_delay

    def _sample(self) -> IngestReport:
        from tqdm import tqdm

        from paperradar.ingest import ingest_paths
        from paperradar.sample import sample_files

        files = sample_files()
        with tqdm(total=len(files), unit="file", desc="sample", disable=not self.o.progress or len(files) < 2,
                  leave=False) as bar:
            return ingest_paths(self.store, files, on_file=lambda path, done, total: bar.update(done - bar.n))

    def _why_nothing(self, report: IngestReport) -> str:
        if not self.live:
            return "the bundled sample is already in the store"
        from paperradar.daily.calendar import why_nothing_new

        return why_nothing_new(self.o.now, feeds_empty=report.read == 0, categories=self.o.categories)

    def _catch_up(self, step: Step) -> list[str]:
        """OAI-PMH for the listing days between the last live fetch and today's, at most
        ``catch_up_days`` back; an interrupted catch-up resumes its stored cursor."""
        from paperradar.daily.calendar import announcement_days_between
        from paperradar.sources.harvest import OAI_URL, PoliteClient, harvest_oai, load_oai_state

        newest = self.newest()
        last = self.store.get_meta(LAST_FETCH_KEY)
        if newest is None:
            return []
        if not last or last >= newest:
            if not last:
                step.details.append("catch-up: first live run, nothing to catch up "
                                    "(`paperradar fetch oai --from DATE` backfills)")
            self.store.set_meta(LAST_FETCH_KEY, newest)
            return []
        missed = announcement_days_between(date.fromisoformat(last), date.fromisoformat(newest))[:-1]
        if not missed:
            self.store.set_meta(LAST_FETCH_KEY, newest)
            return []
        bound = date.fromisoformat(newest) - timedelta(days=self.o.catch_up_days)
        start = max(missed[0] - timedelta(days=1), bound).isoformat()
        total = IngestReport()
        base = self.o.oai_url or OAI_URL
        client = PoliteClient(delay=self._delay(), retries=2, connect_timeout=10.0, timeout=60.0,
                              max_wait=120.0)
        try:
            for set_spec in sets_for(self.o.categories):
                state = load_oai_state(self.store) or {}
                resume = (bool(state.get("token")) and state.get("set") == set_spec
                          and state.get("from") == start)
                total.merge(harvest_oai(self.store, client, base_url=base, set_spec=set_spec, from_date=start,
                                        until_date=newest, resume=resume, progress=self.info))
        except PaperradarError as exc:
            return [f"OAI-PMH catch-up from {start} failed: {exc} (the next run resumes it)"]
        finally:
            client.close()
        step.data["catch_up"] = {"from": start, "until": newest, "missed": [d.isoformat() for d in missed],
                                 **total.as_dict()}
        step.details.append(f"catch-up: {len(missed)} missed listing days ({missed[0]} ...), OAI-PMH from "
                            f"{start}: read {total.read}, new {total.new}, updated {total.updated}")
        self.store.set_meta(LAST_FETCH_KEY, newest)
        return []

    # -- summarize ------------------------------------------------------------------------

    def summarize(self, step: Step) -> None:
        from paperradar.enrich import make_summarizer
        from paperradar.enrich.job import run_summarize, select_papers

        newest = self.newest()
        if newest is None:
            step.status, step.line = "nothing", "no listings in the store"
            return
        days = self.new_dates or [newest]
        papers = []
        seen: set[str] = set()
        for day in days:
            for p in select_papers(self.store, date=day):
                if p.arxiv_id not in seen:
                    seen.add(p.arxiv_id)
                    papers.append(p)
        use_llm = bool(config.get("llm.base_url") and config.get("llm.model"))
        if use_llm:
            backend = make_summarizer("llm", config.get("language"), 4, cache_path=self.o.llm_cache)
        else:  # extractive summaries copy the abstract's sentences: English, whatever is configured
            backend = make_summarizer("extractive", "English")
        report = run_summarize(self.store, backend, papers, progress=self.o.progress)
        s = report.stats
        span = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
        what = f"{backend.source}" + (f" {backend.model}" if use_llm else "") + f" ({backend.language})"
        step.data = report.as_dict() | {"backend": backend.source, "model": backend.model,
                                        "language": backend.language, "dates": days}
        step.line = (f"{what} for {span}: {report.selected} papers, {report.current} already current, "
                     f"{report.stored} stored, {s.failed} failed, {s.fallback} fallback "
                     f"in {report.seconds:.1f} s")
        step.details = [f"error: {e}" for e in s.errors[:5]]
        if s.failed > s.fallback:
            step.status = "failed"
        elif not report.stored:
            step.status = "nothing"

    # -- index ----------------------------------------------------------------------------

    def index(self, step: Step) -> None:
        from paperradar.index.state import progress_bar, read_state, update_index

        folder = self.index_folder
        if folder is None:
            step.status, step.line = "skipped", "an in-memory store has no data folder for an index"
            return
        dense = self.o.dense
        why = ""
        if dense is None:
            existing = bool((read_state(folder) or {}).get("dense"))
            dense = existing or self.live
            if not dense:
                why = " (keyword only for the bundled sample: `paperradar index` adds semantic search)"
        with progress_bar(enabled=self.o.progress) as progress:
            report = update_index(self.store, folder, dense=dense, progress=progress)
        out = report.as_dict()
        step.data = out | {"dense": dense}
        step.line = (f"{folder}: {out['papers']} papers, tokenised {out['tokenised']}, "
                     f"embedded {out['embedded']}, "
                     f"removed {out['removed']} in {out['seconds']} s{why}")
        step.details = [f"repaired: {line}" for line in report.repaired]
        if not (out["tokenised"] or out["embedded"] or out["removed"] or report.repaired):
            step.status = "nothing"

    # -- trending ---------------------------------------------------------------------------

    def trending(self, step: Step) -> None:
        from paperradar.digest.trending import trending

        if len(self.store.listing_dates()) < 2:
            step.status, step.line = "nothing", "needs listings of at least two days"
            return
        report = trending(self.store, top=10)
        step.data = {"since": report.since, "until": report.until, "trends": [t.term for t in report.trends]}
        if not report.trends:
            step.status = "nothing"
            step.line = f"{report.since} to {report.until}: nothing rises significantly"
        else:
            top = ", ".join(t.term for t in report.trends[:3])
            step.line = f"{report.since} to {report.until}: {len(report.trends)} rising phrases ({top}, ...)"

    # -- topic digests ----------------------------------------------------------------------

    def topics(self, step: Step) -> None:
        newest = self.newest()
        if not self.store.list_topics():
            step.status, step.line = "nothing", "no saved topics (paperradar topic add)"
            step.data = {"written": []}
            return
        if newest is None or self.index_folder is None:
            step.status, step.line = "skipped", "no listings or no data folder"
            return
        from paperradar.digest.topic.saved import write_due_topics

        done = write_due_topics(self.store, self.index_folder, self.o.site_dir, newest)
        step.data = {"written": [str(p) for p in done.written], "rendered": [i.name for i in done.rendered]}
        for why in done.skipped:
            self.info(f"topic {why}")
        step.line = (f"{len(done.rendered)} due topics rendered under {Path(self.o.site_dir) / 'topics'}, "
                     f"{len(done.skipped)} not")
        if not done.rendered:
            step.status = "nothing"

    # -- site -----------------------------------------------------------------------------

    def site(self, step: Step) -> None:
        from tqdm import tqdm

        from paperradar.web.static_site import build_site

        bar: tqdm | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="paper", desc="site", disable=not self.o.progress or total < 200)
            bar.update(done - bar.n)

        try:
            site = build_site(self.store, self.o.site_dir, data_dir=self.o.data_dir,
                              base_url=self.o.base_url or config.get("web.base_url"), progress=progress)
        finally:
            if bar is not None:
                bar.close()
        out = Path(self.o.site_dir)
        step.data = site.as_dict() | {
            "index": str(out / "index.html"),
            "files": [str(p) for p in site.written if p.parent == out or p.parent.name == "day"]}
        step.line = (f"{out}: {site.days} days, {site.papers} paper pages "
                     f"({len(site.written)} files written, "
                     f"{site.unchanged} unchanged)")
        if not site.written:
            step.status = "nothing"

    # -- deliver ----------------------------------------------------------------------------

    def deliver(self, step: Step) -> None:
        from paperradar.deliver import deliver_profile
        from paperradar.deliver.smtp import SmtpSettings

        names = [p.name for p in self.store.list_profiles()]
        newest = self.newest()
        if not names or newest is None:
            step.status = "nothing"
            step.line = ("no profiles (paperradar profile add NAME --email ADDR)" if not names
                         else "no listings")
            return
        smtp = SmtpSettings.from_config()
        outcomes = []
        for name in names:
            try:
                outcomes.append(deliver_profile(self.store, name, newest, smtp=smtp))
            except PaperradarError as exc:  # one profile's problem is not the others'
                step.details.append(f"deliver {name} {newest}: failed: {exc}")
                step.data.setdefault("failed", []).append(name)
        step.details += [o.line() for o in outcomes]
        failed = step.data.get("failed", []) + [o.profile for o in outcomes if not o.ok]
        step.data = {"date": newest, "outcomes": [o.as_dict() for o in outcomes], "failed": failed}
        actions: dict[str, int] = {}
        for o in outcomes:
            actions[o.action] = actions.get(o.action, 0) + 1
        counts = ", ".join(f"{n} {a}" for a, n in sorted(actions.items()))
        step.line = f"{newest} for {len(names)} profiles: {counts or 'none'}"
        if failed:
            step.status = "failed"
            step.line += f"; failed for {', '.join(failed)} (recorded; the next run retries)"


def run_job(store: Store, options: JobOptions, *, on_step: Callable[[Step], None] | None = None,
            info: Info = _quiet) -> JobReport:
    """Run the daily job's steps in order on ``store``; never raises for a failed step.

    ``on_step`` sees each finished step (its one summary line) as soon as it is done;
    ``info`` gets notes (fallbacks, skipped topics); steps in ``options.skip`` are not run.
    """
    from paperradar.clock import now_iso

    job = _Job(store, options, info)
    report = job.report
    report.started = now_iso()
    started = time.monotonic()
    for name in STEPS:
        step = Step(name)
        blocked = [d for d in DEPENDS.get(name, ()) if d in report.failed]
        t0 = time.monotonic()
        if name in options.skip:
            step.status, step.line = "skipped", "left out (--skip)"
        elif blocked:
            step.status, step.line = "skipped", f"skipped: {', '.join(blocked)} failed"
        else:
            try:
                getattr(job, name)(step)
            except PaperradarError as exc:
                step.status, step.line = "failed", str(exc)
            except Exception as exc:  # a bug in one step must not stop the others
                step.status, step.line = "failed", f"{type(exc).__name__}: {exc}"
        step.seconds = time.monotonic() - t0
        report.steps.append(step)
        if on_step is not None:
            on_step(step)
    report.date = job.newest()
    report.seconds = time.monotonic() - started
    return report


def step_line(step: Step) -> str:
    """``fetch: ...`` / ``index: FAILED: ...``: the one line a step prints."""
    mark = {"failed": "FAILED: ", "skipped": ""}.get(step.status, "")
    return f"{step.name}: {mark}{step.line}"
