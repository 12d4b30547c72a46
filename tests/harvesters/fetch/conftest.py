"""Fixtures for the hostile-input tests: a real server on 127.0.0.1, the private-host allow-list, a hard
per-test time bound (a hanging fetch fails its test instead of the whole run)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harvesters.fetch.hostile_server import HostileServer

_TEST_TIME_LIMIT_S = 20


@pytest.fixture(autouse=True)
def _private_hosts(settings: Any) -> None:
    """Only the test server's address may be fetched over http, as in the brief's test configuration."""
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = ["127.0.0.1"]


@pytest.fixture(autouse=True)
def _time_bound() -> Iterator[None]:
    """Fail a test that runs past the limit: every hostile case must end in bounded time."""

    def expire(signum: int, frame: Any) -> None:
        # pytest.fail raises a BaseException: not a TimeoutError/OSError the fetcher would translate into
        # one of its own error codes (which would make a hanging fetch look like a passing test).
        pytest.fail(f"test exceeded {_TEST_TIME_LIMIT_S}s: a fetch did not stop in bounded time", pytrace=False)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(_TEST_TIME_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    srv = HostileServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def other_server() -> Iterator[HostileServer]:
    """A second origin (same address, other port) for cross-origin redirects."""
    srv = HostileServer()
    try:
        yield srv
    finally:
        srv.close()
