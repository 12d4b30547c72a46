"""A real HTTP server on 127.0.0.1 (random port) whose routes play hostile feeds for the fetcher tests.

Routes are plain functions writing raw bytes to the socket, so a test controls every header and every byte
(and their timing). The server records each request line and headers, so tests can assert what was *not*
requested (a JSON-LD remote context, a redirect target behind a refused hop).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[["Handler"], None]


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]  # lower-case names


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        """Silence the default stderr access log: pytest output stays readable."""

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self.server.owner.seen.append(SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.owner.routes.get(self.path.split("?", 1)[0])
        try:
            if route is None:
                self.raw(404, {"Content-Type": "text/plain"}, b"not found")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            # The fetcher hung up on purpose (deadline, size cap): the expected end of a hostile route.
            self.close_connection = True

    def raw(self, status: int, headers: dict[str, str] | Iterable[tuple[str, str]], body: bytes = b"") -> None:
        """Write a complete response exactly as given (no Content-Length added unless in ``headers``)."""
        items = headers.items() if isinstance(headers, dict) else headers
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in items) + "Connection: close\r\n\r\n"
        self.wfile.write(head.encode("latin-1") + body)
        self.wfile.flush()
        self.close_connection = True

    def drip(self, head: bytes, byte: bytes, interval: float) -> None:
        """Send ``head`` then one byte every ``interval`` seconds until the client goes or the server stops."""
        self.wfile.write(head)
        self.wfile.flush()
        while not self.server.owner.stopping.wait(interval):
            self.wfile.write(byte)
            self.wfile.flush()
        self.close_connection = True

    def stream(self, head: bytes, chunks: Iterable[bytes]) -> None:
        self.wfile.write(head)
        for chunk in chunks:
            if self.server.owner.stopping.is_set():
                break
            self.wfile.write(chunk)
        self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: HostileServer


class HostileServer:
    """Start with ``HostileServer()``; ``url(path)`` gives an http URL on 127.0.0.1; ``close()`` stops it."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[SeenRequest] = []
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.owner = self
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [request.path for request in self.seen]

    def serve(self, path: str, body: bytes, content_type: str = "text/turtle", **headers: str) -> None:
        """A well-behaved 200 with a Content-Length."""
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        all_headers.update({k.replace("_", "-"): v for k, v in headers.items()})
        self.routes[path] = lambda h: h.raw(200, all_headers, body)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = lambda h: h.raw(status, {"Location": location, "Content-Length": "0"})

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll ``predicate`` (a server thread may record a request a moment after the client returned)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
