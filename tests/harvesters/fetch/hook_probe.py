"""Run a script in a fresh Python process and read what it reports: audit hooks cannot be removed, so every test
of the egress hook installs it in a process of its own (tests/harvesters/fetch/test_audit_hook.py and
tests/harvesters/hostile/test_harvest_command_hook.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from config import paths

REPO = paths.REPO_ROOT

# Attempts shared by the scripts: each records "allowed" or the refusal's code / exception name.
PROBES = r"""
import json, os, socket, urllib.request
from rdflib import Graph

out = {}

def attempt(name, action):
    try:
        action()
        out[name] = "allowed"
    except Exception as exc:
        out[name] = getattr(exc, "code", type(exc).__name__)

def probe_after_install(server, fetch):
    from harvesters.fetch import audit_hook_allowlist
    allow = audit_hook_allowlist()
    out["allowlist"] = sorted(map(str, allow)) if allow is not None else None
    attempt("fetch", lambda: fetch(server.url("/ok.ttl"), accept="turtle", deadline=5))
    attempt("raw_socket", lambda: socket.create_connection(("127.0.0.1", server.port), 2).close())
    attempt("urllib", lambda: urllib.request.urlopen(server.url("/ctx.jsonld"), timeout=2).read())
    doc = json.dumps({"@context": server.url("/ctx.jsonld"), "@id": "http://e/x", "t": "x"})
    attempt("rdflib_remote_context", lambda: Graph().parse(data=doc, format="json-ld"))
"""


def run_script(script: str, tmp_path: Path, **env: str) -> dict[str, Any]:
    """Run `script` with its own SQLite database and in-process cache; return the JSON it prints after RESULT."""
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ATLAS_HARVEST_PRIVATE_HOSTS": "127.0.0.1",
        "ATLAS_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'atlas.sqlite3'}",
        "CACHE_URL": "locmem://hook",
        "PYTHONPATH": str(REPO),
        **env,
    }
    for name in ("CELERY_BROKER_URL", "ELASTICSEARCH_URL", "EMAIL_HOST"):
        if name not in env:
            full_env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=240, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


def assert_blocks_all_but_fetch(result: dict[str, Any]) -> None:
    assert result["fetch"] == "allowed"
    assert result["raw_socket"] == "egress_denied"
    assert result["urllib"] == "egress_denied"
    assert result["rdflib_remote_context"] != "allowed"
    assert "/ctx.jsonld" not in result["server_paths"]


