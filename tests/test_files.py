"""Whole-file writes are atomic: a reader sees the old file or the new one, never a part."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperradar.files import atomic_open, atomic_write


def test_write_replace_and_failure_keeps_old(tmp_path) -> None:
    target = tmp_path / "sub" / "page.html"
    atomic_write(target, "first")
    assert target.read_text(encoding="utf-8") == "first"
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    with pytest.raises(RuntimeError), atomic_open(target, "w") as handle:
        handle.write("half of a third")
        raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]  # no temporary left behind
    with pytest.raises(ValueError, match="mode"), atomic_open(target, "a"):  # type: ignore[call-overload]
        pass


def test_kill_9_mid_write_leaves_the_old_file(tmp_path) -> None:
    target = tmp_path / "export.jsonl"
    atomic_write(target, "old\n")
    code = (f"import time\nfrom paperradar.files import atomic_open\n"
            f"with atomic_open({str(target)!r}) as h:\n"
            f"    h.write('new partial line'); h.flush(); print('writing', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.05)
    assert target.read_text(encoding="utf-8") == "old\n"
