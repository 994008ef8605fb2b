"""``paperradar daemon`` as a real process: a run at an --at a few seconds ahead against the
bundled sample, failed runs logged and survived, SIGTERM stopping it cleanly. Bounded waits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperradar.daily.daemon import parse_at, parse_days
from paperradar.errors import ConfigError

REPO = Path(__file__).parents[2]


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(REPO), "PAPERRADAR_CATEGORIES": "", "PAPERRADAR_CONFIG": ""}
    cmd = [sys.executable, "-m", "paperradar", "--db", str(tmp_path / "s.db"), "daemon",
           "--site", str(tmp_path / "site"), "--log-file", str(tmp_path / "daemon.log"),
           "--skip", "summarize", "--skip", "site", "--skip", "trending", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(path: Path, text: str, count: int = 1, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        log = path.read_text(encoding="utf-8") if path.exists() else ""
        if log.count(text) >= count:
            return log
        time.sleep(0.2)
    raise AssertionError(f"{text!r} x{count} not logged within {seconds} s:\n{log}")


def test_daemon_runs_at_the_given_time(tmp_path: Path) -> None:
    at = (datetime.now(UTC) + timedelta(seconds=4)).strftime("%H:%M:%S")
    proc = _start(tmp_path, "--at", at, "--timezone", "UTC", "--days", "daily", "--max-runs", "1")
    try:
        _, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    assert "daemon started: the daily job runs every day at" in log
    for line in ("run 1 started", "fetch: bundled sample", "index: ", "deliver: ",
                 "run 1 finished: exit status 0", "daemon stopped after 1 runs"):
        assert line in log and line in err
    assert log.index("run 1 started") < log.index("fetch:") < log.index("run 1 finished")


def test_daemon_survives_failed_runs_and_stops_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be: the index step fails")
    env = os.environ | {"PYTHONPATH": str(REPO), "PAPERRADAR_CATEGORIES": "", "PAPERRADAR_CONFIG": ""}
    cmd = [sys.executable, "-m", "paperradar", "--db", str(tmp_path / "s.db"),
           "--data-dir", str(tmp_path / "data"), "daemon", "--site", str(tmp_path / "site"),
           "--log-file", str(tmp_path / "daemon.log"),
           "--skip", "summarize", "--skip", "site", "--skip", "trending", "--interval", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        log = _wait_for(tmp_path / "daemon.log", "finished: exit status 13", count=2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    assert "ERROR index: FAILED: " in log and "run 2 started" in log
    assert "SIGTERM: stopping" in log and "daemon stopped after" in log


def test_schedule_parsing() -> None:
    assert parse_at("20:30") == (20, 30, 0) and parse_at("7:05:09") == (7, 5, 9)
    assert parse_days("daily") == "*" and parse_days("Sun,Mon-Thu") == "sun,mon-thu"
    for bad in ("25:00", "20.30", ""):
        with pytest.raises(ConfigError):
            parse_at(bad)
    with pytest.raises(ConfigError):
        parse_days("weekdays")
