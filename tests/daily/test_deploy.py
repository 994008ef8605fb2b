"""docs/deploy.md's cron line, systemd units and GitHub Actions workflow (files under deploy/,
included verbatim in the docs): parsed, their schedules checked, and their ``paperradar``
commands run against the bundled sample in a temp dir, the way cron/systemd/Actions would.
The first run is also the newcomer's ``make run``: the site must show English summaries."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from paperradar.store import open_store

REPO = Path(__file__).parents[2]
DEPLOY = REPO / "deploy"
CRONTAB = DEPLOY / "crontab"
DAILY_SERVICE = DEPLOY / "systemd" / "paperradar-daily.service"
DAILY_TIMER = DEPLOY / "systemd" / "paperradar-daily.timer"
DAEMON_SERVICE = DEPLOY / "systemd" / "paperradar-daemon.service"
WORKFLOW = DEPLOY / "github" / "paperradar.yml"
ET = ZoneInfo("America/New_York")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A home folder with a paperradar on PATH and at .venv/bin (a shim for this checkout)."""
    home = tmp_path_factory.mktemp("home")
    bindir = home / "paperradar" / ".venv" / "bin"
    bindir.mkdir(parents=True)
    shim = bindir / "paperradar"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m paperradar "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERRADAR_", "CATEGORIES", "OPENAI_"))}
    env |= {"HOME": str(home), "PYTHONPATH": str(REPO), "PATH": f"{bindir}:{env.get('PATH', '')}",
            "PAPERRADAR_DB": str(home / "store.db"), "PAPERRADAR_CATEGORIES": ""}
    return {"home": home, "bin": bindir, "env": env}


def _cron_job() -> tuple[dict[str, str], list[str], str]:
    env, jobs = {}, []
    for line in CRONTAB.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            key, value = line.split("=", 1)
            env[key] = value
        else:
            jobs.append(line)
    assert len(jobs) == 1
    fields = jobs[0].split(None, 5)
    return env, fields[:5], fields[5]


def test_docs_include_the_files_verbatim() -> None:
    doc = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    for path in (CRONTAB, DAILY_SERVICE, DAILY_TIMER, DAEMON_SERVICE, WORKFLOW):
        assert path.read_text(encoding="utf-8") in doc, path


def test_cron_schedule_is_after_each_announcement() -> None:
    from apscheduler.triggers.cron import CronTrigger

    env, fields, _ = _cron_job()
    assert env["CRON_TZ"] == "America/New_York"
    # cron's day numbers (0 and 7: Sunday); APScheduler's 0 is Monday, so use names
    names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    days: list[int] = []
    for part in fields[4].split(","):
        low, _, high = part.partition("-")
        days += range(int(low), int(high or low) + 1)
    fields[4] = ",".join(names[d] for d in days)
    trigger = CronTrigger.from_crontab(" ".join(fields), timezone=ET)
    when, fires = datetime(2025, 1, 6, tzinfo=ET), []  # a Monday
    for _ in range(6):
        when = trigger.get_next_fire_time(None, when)
        fires.append(when)
        when = when.replace(second=1)
    assert [f.strftime("%a %H:%M") for f in fires] == [
        "Mon 20:30", "Tue 20:30", "Wed 20:30", "Thu 20:30", "Sun 20:30", "Mon 20:30"]


def test_cron_command_runs_the_sample_with_english_summaries(box: dict) -> None:
    _, _, command = _cron_job()
    res = subprocess.run(["/bin/sh", "-c", command], env=box["env"], capture_output=True, text=True,
                         timeout=300)
    log = (box["home"] / "paperradar" / "run.log").read_text(encoding="utf-8")
    assert res.returncode == 0, log
    for step in ("fetch: bundled sample", "summarize: extractive (English)", "index: ", "trending: ",
                 "topics: ", "site: ", "deliver: "):
        assert step in log
    assert "keyword only for the bundled sample" in log
    site = box["home"] / "paperradar" / "site"
    for day in ("2026-06-26", "2026-06-27", "2026-06-29"):
        html = (site / "day" / f"{day}.html").read_text(encoding="utf-8")
        assert "TL;DR" in html and not CJK.search(html), day  # English, not the imported Chinese
    store = open_store(str(box["home"] / "store.db"), read_only=True)
    ids = [p.arxiv_id for p in store.iter_papers()]
    english = store.summaries_for(ids, language="English")
    assert len(ids) == 427 and all(any(s.source == "extractive" for s in english.get(i, [])) for i in ids)
    store.close()


def test_systemd_units(box: dict) -> None:
    service, timer, daemon = _unit(DAILY_SERVICE), _unit(DAILY_TIMER), _unit(DAEMON_SERVICE)
    assert service["Service"]["Type"] == "oneshot"
    assert timer["Timer"]["OnCalendar"] == "Sun..Thu *-*-* 20:30:00 America/New_York"
    assert timer["Timer"]["Persistent"] == "true" and timer["Timer"]["Unit"] == DAILY_SERVICE.name
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert daemon["Service"]["KillSignal"] == "SIGTERM"
    state = box["home"] / "var-lib-paperradar"
    argv = shlex.split(service["Service"]["ExecStart"].replace("/var/lib/paperradar", str(state)))
    assert argv[0] == "/opt/paperradar/.venv/bin/paperradar" and argv[1] == "run"
    res = subprocess.run([str(box["bin"] / "paperradar"), *argv[1:]], env=box["env"], capture_output=True,
                         text=True, timeout=300, cwd=box["home"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "nothing new: the bundled sample is already in the store" in res.stdout
    assert "summarize: " in res.stdout and (state / "site" / "index.html").exists()
    from click.testing import CliRunner

    from paperradar.cli import cli  # the daemon's command line parses (it is run for real in test_daemon)

    d_argv = shlex.split(daemon["Service"]["ExecStart"])
    ctx = cli.make_context("paperradar", d_argv[1:2] + ["--help"])
    assert ctx is not None
    assert CliRunner().invoke(cli, [*d_argv[1:], "--at", "25:00"]).exit_code == 2  # checked before starting


def test_github_actions_workflow(box: dict) -> None:
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert on["schedule"][0]["cron"] == "45 1 * * 1-5" and "workflow_dispatch" in on
    job = flow["jobs"]["daily"]
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    run_step = next(s for s in job["steps"] if s.get("id") == "run")
    assert "paperradar run" in run_step["run"]
    work = box["home"] / "checkout"
    work.mkdir()
    env = box["env"] | {k: "" for k, v in job["env"].items() if "${{" in str(v)}
    env |= {"PAPERRADAR_DB": str(box["home"] / "store.db"), "GITHUB_OUTPUT": str(work / "output")}
    res = subprocess.run(["bash", "-e", "-c", run_step["run"]], env=env, capture_output=True, text=True,
                         timeout=300, cwd=work)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (work / "output").read_text().strip() == "code=0"
    assert (work / upload["with"]["path"] / "index.html").exists()
