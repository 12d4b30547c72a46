"""https with a pinned IP: the socket goes to the checked address, yet SNI and the certificate check use
the host name, so pinning never weakens TLS. Uses a throw-away self-signed certificate made with the
openssl command line (skipped where there is none)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvesters import fetch as fetch_module
from harvesters.fetch import FetchError, fetch
from tests.harvesters.fetch.hostile_server import HostileServer

NAME = "feed.internal.test"
TTL = b"<http://a/s> <http://a/p> <http://a/o> .\n"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[HostileServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    srv = HostileServer(tls=context)
    srv.serve("/feed.ttl", TTL)
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def trust_test_ca(monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]) -> None:
    """Trust the throw-away certificate the way the real context trusts public CAs (hostname check on)."""

    def context() -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(certificate[0]))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    monkeypatch.setattr(fetch_module, "_tls_context", context)


def _to_loopback(host: str) -> list[str]:
    return ["127.0.0.1"]


@pytest.mark.usefixtures("trust_test_ca")
def test_https_to_a_name_pinned_to_its_checked_address(tls_server: HostileServer, settings: Any) -> None:
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = [NAME]
    result = fetch(tls_server.url("/feed.ttl", host=NAME), accept="turtle", resolver=_to_loopback, deadline=5)
    assert result.body == TTL
    assert result.ip == "127.0.0.1"
    assert result.final_url == f"https://{NAME}:{tls_server.port}/feed.ttl"
    assert tls_server.seen[0].headers["host"] == f"{NAME}:{tls_server.port}"


@pytest.mark.usefixtures("trust_test_ca")
def test_certificate_for_another_name_is_refused(tls_server: HostileServer, settings: Any) -> None:
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = ["other.internal.test"]
    with pytest.raises(FetchError) as caught:
        fetch(tls_server.url("/feed.ttl", host="other.internal.test"), accept="turtle", resolver=_to_loopback)
    assert caught.value.code == "tls_error"
    assert tls_server.seen == []


def test_untrusted_certificate_is_refused(tls_server: HostileServer, settings: Any) -> None:
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = [NAME]
    with pytest.raises(FetchError) as caught:
        fetch(tls_server.url("/feed.ttl", host=NAME), accept="turtle", resolver=_to_loopback, deadline=5)
    assert caught.value.code == "tls_error"
    assert tls_server.seen == []
