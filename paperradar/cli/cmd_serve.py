"""``paperradar serve``: the web app (days, papers, search, feeds, JSON API) under uvicorn."""

from __future__ import annotations

import os

import click

from paperradar import config
from paperradar.cli.common import Context, pass_ctx

LOOPBACK = ("127.0.0.1", "::1", "localhost")
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread_per_request() -> None:
    """Concurrent requests, not one request's threads, should fill the cores: the query
    embedding (ONNX intra-op threads) and BLAS run on one thread per request unless
    ``threads`` is configured. Set in the environment, so the worker processes inherit it."""
    if config.get("threads") is None:
        os.environ[config.BY_KEY["threads"].env] = "1"
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")


@click.command("serve")
@click.option("--host", default=None, metavar="ADDR",
              help="Address to bind (default: web.host, 127.0.0.1: only this machine can connect).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: web.port, 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes; they share the store and the memory-mapped index "
                   "(default: web.workers).")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
@pass_ctx
def command(ctx: Context, host: str | None, port: int | None, workers: int | None, reload: bool) -> None:
    """Serve the store as a website on this machine: daily papers, paper pages, search,
    Atom feeds, a JSON API, and profile pages with feedback (sign-in: web.auth).
It loads nothing from other hosts."""
    import uvicorn

    from paperradar.web.app import create_app

    host = host or config.get("web.host")
    port = config.get("web.port") if port is None else port
    workers = workers or config.get("web.workers")
    data_dir = ctx.data_dir
    one_thread_per_request()
    public = host not in LOOPBACK
    app = create_app(ctx.location, data_dir, public=public)  # fails here, clearly, when the store is missing
    auth = app.state.auth
    if public and auth.mode == "none":
        click.echo(f"warning: binding to {host} with web.auth = none: anyone who can reach this machine on "
                   f"port {port} can read the store; use --host 127.0.0.1 to keep it local", err=True)
    elif public and auth.mode == "password" and auth.password_hash() is None:
        click.echo(f"warning: binding to {host}: sign-in needs an admin password and none is set; run "
                   "`paperradar web password`", err=True)
    ctx.info(f"serving {ctx.location} on http://{'[' + host + ']' if ':' in host else host}:{port}/ "
             f"({workers} worker{'s' if workers > 1 else ''}); Ctrl-C stops")
    if workers == 1 and not reload:
        uvicorn.run(app, host=host, port=port, log_level="warning" if ctx.quiet else "info",
                    proxy_headers=False, server_header=False)
        return
    app.state.web.close()
    # Several processes (or the reloader) import the app by name; it reads the store and data
    # folder from the environment, as every paperradar command does.
    os.environ[config.BY_KEY["db"].env] = ctx.location
    os.environ[config.BY_KEY["data_dir"].env] = str(data_dir)
    os.environ[config.BY_KEY["web.host"].env] = host  # the workers turn the login on when it is public
    log_level = "warning" if ctx.quiet else "info"
    if reload:
        uvicorn.run("paperradar.web.app:app_from_config", factory=True, host=host, port=port, reload=True,
                    log_level=log_level, proxy_headers=False, server_header=False)
        return
    from paperradar.web import workers as processes

    # one listening socket per worker (SO_REUSEPORT) so that connections spread over them
    processes.serve("paperradar.web.app:app_from_config", host=host, port=port, workers=workers,
                    log_level=log_level, proxy_headers=False, server_header=False)
