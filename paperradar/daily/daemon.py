"""``paperradar daemon``: the daily job on arXiv's schedule (APScheduler 3).

By default the job runs Sunday to Thursday at 20:30 America/New_York, half an
hour after arXiv's announcement (:mod:`paperradar.daily.calendar`). A run that
the machine missed (asleep, restarted) is made up within six hours, several
missed runs count as one, and two runs never overlap. Each run is logged
(start, every step's line, end with its exit status); a failed or crashed run
is logged and the daemon waits for the next one. SIGTERM and SIGINT stop it
cleanly: a run in progress finishes first (every step is resumable anyway).
"""

from __future__ import annotations

import logging
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from paperradar.errors import ConfigError

DEFAULT_AT = "20:30"
DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_DAYS = "sun,mon,tue,wed,thu"
MISFIRE_GRACE = 6 * 3600
LOGGER = "paperradar.daemon"
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_DAYS = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun|\*)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?"
                   r"(?:,(?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?)*$")

Job = Callable[[logging.Logger], int]


def parse_at(text: str) -> tuple[int, int, int]:
    """``HH:MM`` or ``HH:MM:SS`` (24-hour clock) -> (hour, minute, second)."""
    match = _AT.match(text.strip())
    if not match:
        raise ConfigError(f"--at {text!r}: expected HH:MM (24-hour clock), e.g. 20:30")
    return int(match[1]), int(match[2]), int(match[3] or 0)


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r} (expected e.g. America/New_York, Europe/Berlin, "
                          "UTC)") from exc


def parse_days(text: str) -> str:
    days = text.strip().lower().replace(" ", "")
    if days in ("daily", "every", "all"):
        return "*"
    if not _DAYS.match(days):
        raise ConfigError(f"--days {text!r}: expected day names such as sun,mon,tue,wed,thu or mon-fri "
                          "or daily")
    return days


def make_logger(log_file: Path | None = None, stream: Any = None) -> logging.Logger:
    """The daemon's logger: stderr (or ``stream``), and ``log_file`` when given (appended)."""
    log = logging.getLogger(LOGGER)
    log.setLevel(logging.INFO)
    log.propagate = False
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S%z")
    handlers: list[logging.Handler] = [logging.StreamHandler(stream or sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(fmt)
        log.addHandler(handler)
    return log


def run_daemon(job: Job, *, at: str = DEFAULT_AT, timezone: str = DEFAULT_TIMEZONE, days: str = DEFAULT_DAYS,
               log: logging.Logger | None = None, max_runs: int | None = None,
               interval: float | None = None) -> int:
    """Run ``job`` (which returns the job's exit status) on the schedule until SIGTERM/SIGINT or
    ``max_runs`` runs; returns 0. ``interval`` (seconds) replaces the calendar (tests)."""
    from apscheduler.events import EVENT_JOB_MISSED
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    log = log or make_logger()
    zone = parse_timezone(timezone)
    hour, minute, second = parse_at(at)
    day_spec = parse_days(days)
    scheduler = BackgroundScheduler(timezone=zone)
    trigger: Any
    if interval is not None:
        trigger = IntervalTrigger(seconds=interval, timezone=zone)
        when = f"every {interval:g} s"
    else:
        trigger = CronTrigger(day_of_week=day_spec, hour=hour, minute=minute, second=second, timezone=zone)
        when = f"{'every day' if day_spec == '*' else day_spec} at {hour:02d}:{minute:02d}" + (
            f":{second:02d}" if second else "") + f" {timezone}"
    runs = 0
    running = threading.Event()
    done = threading.Event()

    def next_line() -> str:
        scheduled = scheduler.get_job("daily")
        nxt = getattr(scheduled, "next_run_time", None)
        return f"next run {nxt.isoformat(timespec='seconds')}" if nxt else "no further run"

    def tick() -> None:
        nonlocal runs
        runs += 1
        number = runs
        running.set()
        log.info("run %d started", number)
        try:
            code = job(log)
        except Exception as exc:  # the daemon outlives any failed run
            log.exception("run %d crashed: %s: %s", number, type(exc).__name__, exc)
            code = 1
        finally:
            running.clear()
        level = logging.INFO if code == 0 else logging.ERROR
        log.log(level, "run %d finished: exit status %d", number, code)
        if max_runs is not None and runs >= max_runs:
            log.info("%d runs done (--max-runs); stopping", runs)
            done.set()
        else:
            log.info(next_line())

    def on_missed(event: Any) -> None:
        log.warning("a run scheduled for %s was missed by more than %d hours; skipped",
                    event.scheduled_run_time, MISFIRE_GRACE // 3600)

    def stop(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        log.info("%s: stopping%s", name, " after the run in progress" if running.is_set() else "")
        done.set()

    scheduler.add_job(tick, trigger, id="daily", max_instances=1, coalesce=True,
                      misfire_grace_time=MISFIRE_GRACE)
    scheduler.add_listener(on_missed, EVENT_JOB_MISSED)
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start(paused=True)
        log.info("daemon started: the daily job runs %s; %s", when, next_line())
        scheduler.resume()
        while not done.wait(0.5):  # the signal handler only sets the flag; this loop notices it
            pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if scheduler.running:
            scheduler.shutdown(wait=True)
    log.info("daemon stopped after %d runs", runs)
    return 0
