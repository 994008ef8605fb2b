"""A throwaway PostgreSQL cluster for the tests and benchmarks: no server started by hand.

:func:`start` runs Debian's ``initdb`` and ``pg_ctl`` (``/usr/lib/postgresql/15/bin``)
on a temporary folder, listening only on a Unix socket inside it (no TCP port,
nothing reachable from outside), with ``trust`` authentication for the local
socket. ``initdb`` refuses to run as root (CI does), so as root the server runs
as an unprivileged user: ``postgres`` (made by the Debian package), else
``paperradar-pg``, created with ``useradd`` when missing. Durability is turned
off (``fsync=off``, no full-page writes): the cluster is deleted afterwards.
:meth:`Cluster.stop` stops it and removes the folder.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"),
            *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
INSTALL = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 "
           "(or: sh scripts/install-test-tools.sh, which `make test` runs)")
SUPERUSER = "paperradar"


def find_bin() -> Path | None:
    for folder in BIN_DIRS:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _run_as() -> list[str]:
    """The command prefix that runs the server unprivileged when we are root."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "paperradar-pg"):
        try:
            pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"]
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "paperradar-pg"], check=True, capture_output=True)
    return ["runuser", "-u", "paperradar-pg", "--"]


@dataclass
class Cluster:
    root: Path
    bin: Path
    prefix: list[str]
    options: str = ""  # the server's command-line settings (pg_ctl -o), kept for start_server

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, dbname: str = "postgres", schema: str | None = None) -> str:
        """A libpq URL to this cluster; with ``schema``, a store in that schema (created on first open)."""
        url = f"postgresql://{SUPERUSER}@/{dbname}?host={self.socket_dir}"
        if schema:
            url += f"&options=-csearch_path%3D{schema}"
        return url

    def new_store_url(self, dbname: str = "postgres") -> str:
        """A fresh, empty store: its own schema in ``dbname``."""
        return self.url(dbname, schema=f"t_{uuid.uuid4().hex[:12]}")

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        command = [str(self.bin / "psql"), "-X", "-q", "-At", "-h", str(self.socket_dir), "-U", SUPERUSER,
                   "-d", dbname, "-c", sql]
        done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
        return done.stdout

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), *args],
                       check=True, capture_output=True, timeout=timeout)

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data (fault tests: "the database server went away")."""
        self.pg_ctl("stop", "-m", mode, "-w", timeout=60)

    def start_server(self) -> None:
        """Start it again after :meth:`stop_server`."""
        self.pg_ctl("start", "-w", "-t", "60", "-l", str(self.root / "server.log"), "-o", self.options,
                    timeout=90)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.pg_ctl("stop", "-m", "immediate", "-w", timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def start(base: str | None = None) -> Cluster:
    """initdb + start a cluster in a new temporary folder; raises RuntimeError with
    the install command when PostgreSQL is not installed."""
    folder = find_bin()
    if folder is None:
        raise RuntimeError(f"PostgreSQL 15 is not installed (no initdb found); install it: {INSTALL}")
    prefix = _run_as()
    root = Path(tempfile.mkdtemp(prefix="paperradar-pg-", dir=base))
    (root / "socket").mkdir()
    if prefix:
        user = prefix[2]
        entry = pwd.getpwnam(user)
        os.chmod(root, 0o755)
        for path in (root, root / "socket"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(root, folder, prefix)
    try:
        subprocess.run([*prefix, str(folder / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER,
                        "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        options = (f"-k {root / 'socket'} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off -c max_connections=100 -c shared_buffers=64MB")
        cluster.options = options
        cluster.start_server()
    except subprocess.CalledProcessError as exc:
        logfile = root / "server.log"
        log = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
        cluster.stop()
        raise RuntimeError(f"could not start a throwaway PostgreSQL cluster: {exc.stderr!r} {log}") from exc
    except BaseException:
        cluster.stop()
        raise
    return cluster
