"""A small HTTP server on 127.0.0.1 that misbehaves on purpose, for the HTTP-policy tests.

pytest-httpserver (werkzeug) answers with whole bodies; a server that streams
forever or trickles one byte at a time needs to write to the socket itself,
so this one is a ``ThreadingHTTPServer`` whose routes get the raw handler.
Every misbehaviour is bounded (a byte or time budget) so a test that fails
cannot leave a thread writing for ever; threads are daemons and closing the
server does not wait for them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]
GIVE_UP_AFTER = 20.0  # seconds any one misbehaving answer may last, whatever the client does


class HostileServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # http.server's naming
                self._route()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._route()

            def _route(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits.append(self.path)
                route = server.routes.get(path)
                try:
                    if route is None:
                        self.send_error(404)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    pass  # the client gave up on us: that is what the tests want
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hostile-server", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def endless(content_type: str = "text/xml", chunk: int = 64 * 1024) -> Route:
    """200, chunked, a body that never ends (until the client hangs up, or the budget)."""
    block = b"<x>" + b"a" * (chunk - 7) + b"</x>"
    frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        started = time.monotonic()
        while time.monotonic() - started < GIVE_UP_AFTER:
            handler.wfile.write(frame)
    return answer


def declared(length: int) -> Route:
    """A Content-Length far beyond what is then sent (the client should not even start)."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.wfile.write(b"<x/>")
    return answer


def trickle_body(gap: float, length: int = 1000) -> Route:
    """Headers at once, then one byte of the body every ``gap`` seconds."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.wfile.flush()
        started = time.monotonic()
        while time.monotonic() - started < GIVE_UP_AFTER:
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(gap)
    return answer


def trickle_headers(gap: float) -> Route:
    """The status line, then a header that grows by one byte every ``gap`` seconds."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        handler.wfile.flush()
        started = time.monotonic()
        while time.monotonic() - started < GIVE_UP_AFTER:
            handler.wfile.write(b"z")
            handler.wfile.flush()
            time.sleep(gap)
    return answer


def static(body: bytes, status: int = 200, headers: dict[str, str] | None = None,
           content_type: str = "text/xml; charset=utf-8") -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    return answer
