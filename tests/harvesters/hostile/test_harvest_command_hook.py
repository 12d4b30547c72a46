"""`manage.py harvest` is a harvest process: it installs the egress audit hook before it runs the job, and the job
still fetches its feed through harvesters.fetch (in a fresh process: the hook cannot be removed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harvesters.fetch.hook_probe import PROBES, assert_blocks_all_but_fetch, run_script

HARVEST_SCRIPT = PROBES + r"""
import django
django.setup()
from django.core.management import call_command
from harvesters.fetch import audit_hook_allowlist, fetch
from tests.harvesters.fetch.hostile_server import HostileServer

call_command("migrate", verbosity=0)
call_command("load_vocabularies", verbosity=0)
server = HostileServer()
feed = b'''@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://node.example/ds/1> a dcat:Dataset ; dct:title "Hooked feed"@en ; dct:identifier "ds-1" .'''
server.serve("/feed.ttl", feed)
server.serve("/ok.ttl", b"<http://a/s> <http://a/p> <http://a/o> .\n")
server.serve("/ctx.jsonld", b'{"@context": {"t": "http://purl.org/dc/terms/title"}}', "application/ld+json")
call_command("harvest_source", "add", "hooked", "--kind", "dcat_rdf", "--location", server.url("/feed.ttl"),
             "--published", stdout=open(os.devnull, "w"))
out["before_command"] = audit_hook_allowlist()
call_command("harvest", "hooked", "--json", stdout=open(os.devnull, "w"))
from catalogue.models import Dataset
out["datasets"] = sorted(Dataset.objects.values_list("sort_title", flat=True))
probe_after_install(server, fetch)
out["server_paths"] = server.paths()
server.close()
print("RESULT " + json.dumps(out))
"""


@pytest.mark.slow
def test_manage_py_harvest_installs_the_hook_and_its_harvest_still_fetches(tmp_path: Path) -> None:
    result = run_script(HARVEST_SCRIPT, tmp_path)
    assert result["before_command"] is None
    assert result["datasets"] == ["Hooked feed"]  # the harvest fetched its feed through the hook
    assert result["allowlist"] == []  # SQLite, an in-process cache, mail to the console: nothing else to reach
    assert_blocks_all_but_fetch(result)
    assert result["server_paths"].count("/feed.ttl") == 1
