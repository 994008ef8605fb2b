"""``paperradar serve --workers N``: uvicorn's supervisor, with one listening socket per worker.

uvicorn binds one socket in the parent and every worker accepts from it. The kernel then hands
a burst of new connections to whichever worker happens to be awake: in ``bench/web_bench.py``
all 16 keep-alive clients ended on one worker while the other stayed idle, so cold searches
ran at one core's speed on a two-core machine. On Linux each worker here binds its own socket
into a ``SO_REUSEPORT`` group instead, and the kernel spreads connections over the group by a
hash of the client's address and port (the approach of gunicorn's ``reuse_port`` fix and of
the open uvicorn pull request encode/uvicorn#2472). Everything else (restarting a worker that
dies, SIGHUP restarts, SIGTERM / Ctrl-C) stays uvicorn's own supervisor.

Where that cannot work (not Linux, port 0, a uvicorn whose supervisor no longer looks as this
module expects) it falls back to uvicorn's shared socket, saying so in the log.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

log = logging.getLogger("paperradar.web")


def reuse_port_supported() -> bool:
    """Linux balances connections over a SO_REUSEPORT group (BSD and macOS do not)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` in the SO_REUSEPORT group (not yet listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class ReusePortProcess(multiprocess.Process):
    """A uvicorn worker that listens on a socket of its own, bound when it starts."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover (child)
        try:
            sock = reuse_port_socket(self.config.host, self.config.port)
        except OSError as exc:
            logging.getLogger("uvicorn.error").error("cannot bind %s:%s: %s", self.config.host,
                                                     self.config.port, exc)
            sys.exit(STARTUP_FAILURE)
        super().target([sock])


def _plain_bind(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


def _supervisor_fits() -> bool:
    """uvicorn's supervisor makes its workers from the module's ``Process`` with ``(config,
    sockets)`` and runs ``target(sockets)`` in them: what this module relies on (uvicorn 0.5x;
    older ones also passed a target)."""
    import inspect

    try:
        worker = list(inspect.signature(multiprocess.Process.__init__).parameters)
        supervisor = list(inspect.signature(multiprocess.Multiprocess.__init__).parameters)
    except (AttributeError, TypeError, ValueError):
        return False
    expected = ["self", "config", "sockets"]
    return worker[:3] == supervisor[:3] == expected and hasattr(multiprocess.Process, "target")


def serve(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run ``app`` (an import string of an app factory) in ``workers`` processes on host:port
    until SIGINT / SIGTERM. Exits with uvicorn's startup-failure status when the port is taken."""
    if workers > 1 and port != 0 and reuse_port_supported() and _supervisor_fits():
        try:  # fail here, clearly, rather than in every worker; a plain bind also refuses to
            _plain_bind(host, port)  # join another server's SO_REUSEPORT group on this port
        except OSError as exc:
            log.error("cannot bind %s:%s: %s", host, port, exc)
            sys.exit(STARTUP_FAILURE)
        config = Config(app, factory=True, host=host, port=port, workers=workers, **options)
        multiprocess.Process = ReusePortProcess  # type: ignore[misc]  # what the supervisor spawns
        multiprocess.Multiprocess(config, sockets=[]).run()
        return
    if workers > 1:
        log.info("workers share one listening socket (no SO_REUSEPORT balancing here)")
    import uvicorn

    uvicorn.run(app, factory=True, host=host, port=port, workers=workers, **options)
