"""The egress audit hook, exercised in subprocesses: audit hooks cannot be removed, and this test process must keep
its network (the other tests' servers, rdflib's own behaviour in the control test).

Besides the hook itself, the places that run harvests must install it: the Celery worker at start-up (config.celery,
`celeryd_init`, here) and `manage.py harvest` (tests/harvesters/hostile/test_harvest_command_hook.py: it migrates
a database and runs a real harvest, longer than this folder's time bound).
"""

from __future__ import annotations

from pathlib import Path

from tests.harvesters.fetch.hook_probe import PROBES, assert_blocks_all_but_fetch, run_script

HOOK_SCRIPT = PROBES + r"""
import django
django.setup()
from harvesters.fetch import fetch, install_audit_hook
from tests.harvesters.fetch.hostile_server import HostileServer

server = HostileServer()
server.serve("/ok.ttl", b"<http://a/s> <http://a/p> <http://a/o> .\n")
server.serve("/ctx.jsonld", b'{"@context": {"t": "http://purl.org/dc/terms/title"}}', "application/ld+json")
attempt("before_install_raw_socket", lambda: socket.create_connection(("127.0.0.1", server.port), 2).close())
install_audit_hook(allow=[("127.0.0.9", 6379)])
install_audit_hook(allow=[("127.0.0.9", 6379)])  # same allow-list again: a no-op
attempt("widen", lambda: install_audit_hook(allow=[("127.0.0.1", server.port)]))
probe_after_install(server, fetch)
attempt("fetch_after", lambda: fetch(server.url("/ok.ttl"), accept="turtle", deadline=5))
out["server_paths"] = server.paths()
server.close()
print("RESULT " + json.dumps(out))
"""

CELERY_SCRIPT = PROBES + r"""
import os, socket
broker = socket.socket()
broker.bind(("127.0.0.1", int(os.environ["BROKER_PORT"])))
broker.listen(4)
from celery.signals import celeryd_init
from config.celery import app
from harvesters.fetch import audit_hook_allowlist, fetch
from tests.harvesters.fetch.hostile_server import HostileServer

server = HostileServer()
server.serve("/ok.ttl", b"<http://a/s> <http://a/p> <http://a/o> .\n")
server.serve("/ctx.jsonld", b'{"@context": {"t": "http://purl.org/dc/terms/title"}}', "application/ld+json")
out["before_start"] = audit_hook_allowlist()
# What `celery -A config worker` sends in its main process before the pool starts.
celeryd_init.send(sender="worker@test", instance=None, conf=app.conf, options={})
probe_after_install(server, fetch)
attempt("broker", lambda: socket.create_connection(("127.0.0.1", broker.getsockname()[1]), 2).close())
out["server_paths"] = server.paths()
server.close()
print("RESULT " + json.dumps(out))
"""

def test_audit_hook_allows_fetch_and_refuses_everything_else(tmp_path: Path) -> None:
    result = run_script(HOOK_SCRIPT, tmp_path)
    assert result["before_install_raw_socket"] == "allowed"  # the hook is opt-in
    assert result["widen"] == "RuntimeError"
    assert_blocks_all_but_fetch(result)
    assert result["allowlist"] == [str(("127.0.0.9", 6379))]
    assert result["fetch_after"] == "allowed"
    assert result["server_paths"].count("/ok.ttl") == 2


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_celery_worker_installs_the_hook_at_start_up(tmp_path: Path) -> None:
    port = _free_port()
    result = run_script(CELERY_SCRIPT, tmp_path, BROKER_PORT=str(port), CELERY_BROKER_URL=f"redis://localhost:{port}/0")
    assert result["before_start"] is None
    assert_blocks_all_but_fetch(result)
    assert str(("127.0.0.1", port)) in result["allowlist"]  # the broker, resolved from its name
    assert result["broker"] == "allowed"
