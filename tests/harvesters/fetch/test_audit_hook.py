"""The opt-in audit hook, exercised in a subprocess: audit hooks cannot be removed, and this test process
must keep its network (the other tests' servers, rdflib's own behaviour in the control test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = r"""
import json, socket, urllib.request
import django
django.setup()
from rdflib import Graph
from harvesters.fetch import fetch, install_audit_hook
from harvesters.safe_rdf import install_audit_hook as reexported
from tests.harvesters.fetch.hostile_server import HostileServer

server = HostileServer()
server.serve("/ok.ttl", b"<http://a/s> <http://a/p> <http://a/o> .\n")
server.serve("/ctx.jsonld", b'{"@context": {"t": "http://purl.org/dc/terms/title"}}', "application/ld+json")
out = {"same_function": reexported is install_audit_hook}

def attempt(name, action):
    try:
        action()
        out[name] = "allowed"
    except Exception as exc:
        out[name] = getattr(exc, "code", type(exc).__name__)

attempt("before_install_raw_socket", lambda: socket.create_connection(("127.0.0.1", server.port), 2).close())
install_audit_hook(allow=[("127.0.0.9", 6379)])
install_audit_hook(allow=[("127.0.0.9", 6379)])  # same allow-list again: a no-op
attempt("widen", lambda: install_audit_hook(allow=[("127.0.0.1", server.port)]))
attempt("fetch", lambda: fetch(server.url("/ok.ttl"), accept="turtle", deadline=5))
attempt("raw_socket", lambda: socket.create_connection(("127.0.0.1", server.port), 2).close())
attempt("urllib", lambda: urllib.request.urlopen(server.url("/ctx.jsonld"), timeout=2).read())
doc = json.dumps({"@context": server.url("/ctx.jsonld"), "@id": "http://e/x", "t": "x"})
attempt("rdflib_remote_context", lambda: Graph().parse(data=doc, format="json-ld"))
attempt("fetch_after", lambda: fetch(server.url("/ok.ttl"), accept="turtle", deadline=5))
out["server_paths"] = server.paths()
server.close()
print("RESULT " + json.dumps(out))
"""


def test_audit_hook_allows_fetch_and_refuses_everything_else() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ATLAS_HARVEST_PRIVATE_HOSTS": "127.0.0.1",
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["same_function"] is True
    assert result["before_install_raw_socket"] == "allowed"  # the hook is opt-in
    assert result["widen"] == "RuntimeError"
    assert result["fetch"] == "allowed"
    assert result["raw_socket"] == "egress_denied"
    assert result["urllib"] == "egress_denied"
    assert result["rdflib_remote_context"] != "allowed"
    assert result["fetch_after"] == "allowed"
    assert "/ctx.jsonld" not in result["server_paths"]
    assert result["server_paths"].count("/ok.ttl") == 2
