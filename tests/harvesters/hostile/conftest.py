"""Hostile feeds through the real harvest: a per-test time bound (each case must end), the local test server."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harvesters.fetch.hostile_server import HostileServer

_TEST_TIME_LIMIT_S = 240


@pytest.fixture(autouse=True)
def _time_bound() -> Iterator[None]:
    """Fail a test that runs past the limit: every hostile harvest must end in bounded time."""

    def expire(signum: int, frame: Any) -> None:
        pytest.fail(f"test exceeded {_TEST_TIME_LIMIT_S}s: a hostile harvest did not stop in bounded time", pytrace=False)

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
