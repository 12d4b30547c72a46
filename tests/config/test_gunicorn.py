"""The HTTP edge over a real gunicorn, as `make run` serves it: what Django's test client cannot show.

The test client drops the body of a HEAD response itself and runs in one process, so a HEAD body that corrupts a
kept-alive connection and rate limits counted per worker both pass there unnoticed. Each server here runs on a
free 127.0.0.1 port, on its own SQLite file migrated first (which also creates the database cache table), with
the embedded defaults: no CACHE_URL, so the default cache is the database one.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config.paths import REPO_ROOT

pytestmark = pytest.mark.slow

GUNICORN = Path(sys.executable).with_name("gunicorn")
_INHERITED_OUT = ("DATABASE", "CACHE", "CELERY", "DEBUG", "ELASTICSEARCH", "ATLAS_", "DJANGO_SETTINGS_MODULE")


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with the embedded defaults on a fresh, migrated SQLite database."""
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_OUT)}
    env.update(
        {
            "ATLAS_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'atlas.sqlite3'}",
            "ATLAS_MANIFEST_STATIC": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *args: str) -> Iterator[tuple[int, Path]]:
    """Run gunicorn config.wsgi on a free port; yield the port and the access log (worker pid, status)."""
    port = _free_port()
    log = Path(env["ATLAS_VAR_DIR"]) / f"access-{port}.log"
    cmd = [
        str(GUNICORN), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log),
        "--access-logformat", "%(p)s %(s)s %(m)s %(U)s", *args,
    ]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not listen within 60 s")
                time.sleep(0.1)
        yield port, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Connection:
    """A raw HTTP/1.1 client on one socket: reads exactly one response at a time, never more than it asks for."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def send(self, method: str, path: str, host: str = "127.0.0.1", extra: str = "", body: bytes = b"") -> None:
        head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}"
        if body:
            head += f"Content-Length: {len(body)}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + body)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buffer += chunk

    def read_head(self) -> tuple[str, dict[str, str]]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def read_body(self, length: int) -> bytes:
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                self._fill()
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            chunk = self.read_body(size + 2)  # the chunk and its CRLF
            if size == 0:
                return body
            body += chunk[:-2]

    def request(self, method: str, path: str, **kwargs: str) -> tuple[str, dict[str, str], bytes]:
        self.send(method, path, **kwargs)
        status, headers = self.read_head()
        if method == "HEAD":
            return status, headers, b""
        if "content-length" in headers:
            return status, headers, self.read_body(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return status, headers, self._read_chunked()
        body = self.buffer  # no length: the server closes after the body
        self.buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            body += chunk
        return status, headers, body

    def close(self) -> None:
        self.sock.close()


def _database_path(env: dict[str, str]) -> str:
    return env["DATABASE_URL"].removeprefix("sqlite:///")


def test_migrate_creates_the_database_cache_table(server_env):
    with sqlite3.connect(_database_path(server_env)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "atlas_cache" in tables


@pytest.mark.parametrize("path", ["/healthz", "/"])
def test_head_sends_no_body_and_the_next_response_on_the_connection_is_intact(server_env, path):
    with gunicorn(server_env, "--workers", "1", "--threads", "2") as (port, _):
        conn = Connection(port)
        try:
            get_status, get_headers, get_body = conn.request("GET", path)
            assert get_status.startswith("HTTP/1.1 200") and len(get_body) > 0
            head_status, head_headers, _ = conn.request("HEAD", path)
            assert head_status.startswith("HTTP/1.1 200")
            assert head_headers["content-length"] == get_headers["content-length"]
            assert head_headers.get("connection", "keep-alive").lower() == "keep-alive"
            # a HEAD body would sit in front of this response on the same connection
            status, headers, body = conn.request("GET", path)
            assert status.startswith("HTTP/1.1 200"), status
            assert headers["content-length"] == get_headers["content-length"]
            assert body.lstrip().startswith(b"{" if path == "/healthz" else b"<!doctype html>"), body[:80]
        finally:
            conn.close()


def test_bad_host_deep_json_and_trace_over_a_real_server(server_env):
    with gunicorn(server_env, "--workers", "1", "--threads", "2") as (port, _):
        conn = Connection(port)
        try:
            status, headers, body = conn.request("GET", "/api/v1/vocabularies/", host="evil.example")
            assert status.startswith("HTTP/1.1 400") and headers["content-type"] == "application/json"
            assert json.loads(body)["error"]["code"] == "bad_host"
        finally:
            conn.close()
        conn = Connection(port)
        try:
            status, headers, body = conn.request("GET", "/", host="evil.example")
            assert status.startswith("HTTP/1.1 400") and headers["content-type"].startswith("text/html")
            deep = b"[" * 1000 + b"]" * 1000
            status, headers, body = conn.request(
                "POST", "/api/v1/auth/token/", extra="Content-Type: application/json\r\n", body=deep
            )
            assert status.startswith("HTTP/1.1 400"), status
            assert json.loads(body)["error"]["code"] == "json_too_deep"
            status, headers, body = conn.request("TRACE", "/")
            assert status.startswith("HTTP/1.1 405") and headers["allow"] == "GET, HEAD"
        finally:
            conn.close()


def test_the_anonymous_rate_limit_holds_across_two_workers(server_env):
    """40 requests over fresh connections to 2 workers with a limit of 20/min: exactly 20 pass.

    To be sure both workers count, one connection is opened first and left silent: the sync worker that accepts it
    waits on it, so the other worker serves the requests, until request 11 is sent on that first connection.
    """
    env = {**server_env, "ATLAS_THROTTLE_ANON": "20/min"}
    url = "/api/v1/vocabularies/"
    with sqlite3.connect(_database_path(env)) as db:  # other tests' requests count in the same anonymous history
        db.execute("DELETE FROM atlas_cache")
    with gunicorn(env, "--workers", "2", "--worker-class", "sync") as (port, log):
        held = Connection(port)
        statuses = []
        try:
            for n in range(1, 41):
                conn = held if n == 11 else Connection(port)
                try:
                    status, _, body = conn.request("GET", url, extra="Connection: close\r\n")
                finally:
                    conn.close()
                code = int(status.split()[1])
                statuses.append(code)
                if code == 429:
                    assert json.loads(body)["error"]["code"] == "throttled"
        finally:
            held.close()
        # the access log is written after each response; wait for all 40 lines (no timing is asserted)
        deadline = time.monotonic() + 10
        while len(log.read_text().splitlines()) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        served = [line.split() for line in log.read_text().splitlines()]
    assert statuses == [200] * 20 + [429] * 20
    pids_that_passed = {pid for pid, status, *_ in served if status == "200"}
    assert len(pids_that_passed) == 2, served
