"""Fixtures for the harvester tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_egress_hook_in_the_test_process(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`manage.py harvest` installs the egress audit hook, which no process can remove: run in-process by
    `call_command`, it would cut this test process off its own test servers for every later test. In-process
    runs record the call instead; tests/harvesters/hostile/test_harvest_command_hook.py runs the command in a
    process of its own and checks the real hook."""
    calls: list[Any] = []
    monkeypatch.setattr("harvesters.management.commands.harvest.install_worker_audit_hook",
                        lambda: calls.append("install_worker_audit_hook"))
    return calls
