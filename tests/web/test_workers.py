"""`paperradar serve --workers 2` as a real process tree on 127.0.0.1: connections reach every
worker (each binds its own SO_REUSEPORT socket), a worker killed with SIGKILL is replaced while
the port keeps answering, a taken port is a clear error, and SIGTERM stops the whole tree."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from deliverkit import free_port

from paperradar.store import open_store
from paperradar.web.workers import reuse_port_supported

REPO = Path(__file__).resolve().parents[2]
CONNECTIONS = 16

pytestmark = pytest.mark.skipif(not reuse_port_supported(), reason="SO_REUSEPORT balancing is Linux-only")


def _serve(tmp_path: Path, port: int) -> subprocess.Popen:
    db = tmp_path / "w.db"
    if not db.exists():
        open_store(str(db)).close()
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = (tmp_path / "serve.log").open("a")
    return subprocess.Popen([sys.executable, "-m", "paperradar", "--db", str(db), "--data-dir",
                             str(tmp_path / "data"), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)


def _pids_seen(base: str) -> set[int]:
    """The worker pids that answer 16 connections opened in one burst, before any request is
    sent (as a load generator or a reverse proxy opens its pool). The kernel completes them all
    at once; behind one shared socket the first worker to wake accepts the whole burst."""
    host, port = base.removeprefix("http://").split(":")
    conns = [socket.create_connection((host, int(port)), timeout=10) for _ in range(CONNECTIONS)]
    pids = set()
    try:
        for conn in conns:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head
            pids.add(int(json.loads(body)["pid"]))
    finally:
        for conn in conns:
            conn.close()
    return pids


def _wait_up(base: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail("paperradar serve --workers 2 did not come up: " + log.read_text())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    proc = _serve(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, proc, tmp_path / "serve.log")
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_connections_reach_both_workers_and_a_killed_worker_is_replaced(
        server: tuple[str, subprocess.Popen]) -> None:
    base, proc = server
    deadline = time.monotonic() + 60
    seen: set[int] = set()
    while len(seen) < 2 and time.monotonic() < deadline:  # the second worker may still be starting
        seen |= _pids_seen(base)
        if len(seen) < 2:
            time.sleep(0.5)
    assert len(seen) == 2, f"one worker never answered: {seen}"
    assert seen <= _children(proc.pid)  # the answers came from the supervisor's own workers
    for _ in range(3):  # both up: now every burst of 16 connections must spread over both
        assert _pids_seen(base) == seen, "a burst of 16 connections all reached one worker"

    victim = min(seen)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    replaced: set[int] = set()
    while time.monotonic() < deadline:
        try:
            replaced = _pids_seen(base) - seen
        except OSError:  # a connection hashed to the dead worker's socket, before it closed
            replaced = set()
        if replaced:
            break
        time.sleep(0.5)
    assert replaced, "no new worker answered after one was killed"
    assert victim not in _children(proc.pid)
    assert httpx.get(base + "/healthz", timeout=5).status_code == 200

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    for pid in seen | replaced:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve(tmp_path, port)
        try:
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    log = (tmp_path / "serve.log").read_text()
    assert code != 0
    assert f"cannot bind 127.0.0.1:{port}" in log and "Address already in use" in log
