"""kill -9 mid-send, then rerun: nothing is ever sent twice, and nothing is lost before DATA."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from deliverkit import DAY, PASSWORD, USER, Server

from paperradar.store import open_store

REPO = Path(__file__).resolve().parents[2]


def _env(server: Server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERRADAR_")}
    env.update(PYTHONPATH=str(REPO), PAPERRADAR_SMTP_HOST=server.host, PAPERRADAR_SMTP_PORT=str(server.port),
               PAPERRADAR_SMTP_USER=USER, PAPERRADAR_SMTP_PASSWORD=PASSWORD,
               PAPERRADAR_SMTP_SENDER="radar@lab.example", PAPERRADAR_SMTP_CA_FILE=str(server.ca_file),
               PAPERRADAR_SMTP_TIMEOUT="20", HOME=str(server.ca_file.parent))
    return env


def _deliver(db: Path, server: Server) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "paperradar", "--db", str(db), "deliver", "--profile",
                             "ana", "--date", DAY], env=_env(server), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait(check, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the client never got there"
        time.sleep(0.05)


def _rerun(db: Path, server: Server) -> str:
    done = subprocess.run([sys.executable, "-m", "paperradar", "--db", str(db), "deliver", "--profile", "ana",
                           "--date", DAY], env=_env(server), capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


def test_kill_during_data_then_rerun_sends_nothing_twice(db: Path, smtpd: Server) -> None:
    smtpd.handler.hold_data = threading.Event()
    proc = _deliver(db, smtpd)
    try:
        _wait(lambda: smtpd.handler.received, proc)  # the server has the whole message
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        smtpd.handler.hold_data.set()
    store = open_store(str(db), read_only=True)
    record = store.get_delivery("ana", DAY)
    assert record is not None and record.state == "sending" and record.attempts == 1
    store.close()
    out = _rerun(db, smtpd)
    assert "not resent" in out and "interrupted while sending" in out, out
    out = _rerun(db, smtpd)
    assert "not resent" in out
    assert len(smtpd.handler.received) == 1


def test_kill_before_data_then_rerun_sends_once(db: Path, smtpd: Server) -> None:
    smtpd.handler.hold_rcpt = threading.Event()
    proc = _deliver(db, smtpd)
    try:
        _wait(smtpd.handler.in_rcpt.is_set, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        smtpd.handler.hold_rcpt.set()
    store = open_store(str(db), read_only=True)
    record = store.get_delivery("ana", DAY)
    assert record is not None and record.state == "pending"
    mid = record.message_id
    store.close()
    smtpd.handler.hold_rcpt = None
    out = _rerun(db, smtpd)
    assert "deliver ana 2026-06-29: sent (5 papers)" in out, out
    assert "already sent" in _rerun(db, smtpd)
    assert len(smtpd.handler.received) == 1 and smtpd.handler.received[0]["Message-ID"] == mid
