"""Where the fetcher may go: schemes, hosts, addresses, resolve-once and IP pinning (docs/privacy.md §3, 2.4)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from harvesters import fetch as fetch_module
from harvesters.fetch import FetchError, fetch, is_public_address
from tests.harvesters.fetch.hostile_server import HostileServer


class CountingResolver:
    """An injected resolver: answers from a script (one list per call) and counts the calls."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


def _refuse_resolve(host: str) -> list[str]:
    raise AssertionError(f"resolver must not be called for a refused URL (asked for {host})")


def _code(url: str, **kwargs: Any) -> str:
    kwargs.setdefault("resolver", _refuse_resolve)
    with pytest.raises(FetchError) as caught:
        fetch(url, accept="turtle", deadline=5, **kwargs)
    return caught.value.code


def test_fetches_a_document_and_reports_ip_and_hash(server: HostileServer, caplog: pytest.LogCaptureFixture) -> None:
    body = b"<http://a/s> <http://a/p> <http://a/o> .\n"
    server.serve("/feed.ttl", body, "text/turtle; charset=utf-8")
    with caplog.at_level("INFO", logger="harvesters.fetch"):
        result = fetch(server.url("/feed.ttl?x=1"), accept="turtle")
    assert result.body == body
    assert result.status == 200
    assert result.ip == "127.0.0.1"
    assert result.content_type == "text/turtle"
    assert result.final_url == result.url == server.url("/feed.ttl?x=1")
    import hashlib

    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert "http://a/s" not in repr(result)  # the body is kept out of repr (and so out of logs)
    assert any(result.sha256 in r.getMessage() and "ip=127.0.0.1" in r.getMessage() for r in caplog.records)
    headers = server.seen[0].headers
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert "text/turtle" in headers["accept"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://127.0.0.1/feed.ttl",
        "gopher://127.0.0.1:70/_GET",
        "data:text/turtle,<a>%20<b>%20<c>%20.",
        "javascript:alert(1)",
        "/etc/passwd",
        "dict://127.0.0.1:11211/",
    ],
)
def test_refuses_non_http_schemes(url: str) -> None:
    assert _code(url) == "scheme_not_allowed"


def test_refuses_plain_http_to_a_host_not_listed() -> None:
    assert _code("http://example.org/feed.ttl") == "scheme_not_allowed"


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # decimal 127.0.0.1
        "0177.0.0.1",  # octal
        "0x7f.0.0.1",  # hex
        "0x7f000001",
        "127.1",  # short form
        "127.000.000.001",
        "017700000001",
        "1.2.3.4.5",
        "10.0.0.0x1",
        "１２７.０.０.１",  # full-width digits, IDNA-mapped to 127.0.0.1
    ],
)
def test_refuses_odd_ip_forms_even_when_127_0_0_1_is_listed(host: str) -> None:
    assert _code(f"https://{host}/feed.ttl") == "address_not_allowed"
    assert _code(f"http://{host}/feed.ttl") == "address_not_allowed"


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "127.0.0.2",
        "[::1]",
        "[::]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped loopback
        "[::ffff:7f00:1]",
        "[::ffff:169.254.169.254]",
        "[::127.0.0.1]",  # IPv4-compatible (deprecated)
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
        "[64:ff9b:1::1]",  # local-use NAT64
        "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
        "[fe80::1]",
        "[fc00::1]",
        "[fd12:3456::1]",
        "[fec0::1]",
        "[ff02::1]",
        "[2001:db8::1]",
    ],
)
def test_refuses_non_public_ip_literals(host: str) -> None:
    assert _code(f"https://{host}/feed.ttl") == "address_not_allowed"


def test_refuses_ipv6_zone_ids() -> None:
    assert _code("https://[fe80::1%25eth0]/feed.ttl") == "address_not_allowed"


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700:4700::1111",
        "::ffff:93.184.216.34",
        "2002:5db8:d822::1",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::ffff:10.1.1.1", "not-an-ip", "2001:0:4136:e378:8000:63bf:80ff:fffe"]
)
def test_non_public_addresses_fail(address: str) -> None:
    assert not is_public_address(address)


def test_name_resolving_to_loopback_is_refused_when_only_the_address_is_listed(server: HostileServer) -> None:
    resolver = CountingResolver(["127.0.0.1"])
    with pytest.raises(FetchError) as caught:
        fetch(f"https://evil.example:{server.port}/feed.ttl", accept="turtle", resolver=resolver, deadline=5)
    assert caught.value.code == "address_not_allowed"
    assert "evil.example" in caught.value.message
    assert resolver.calls == ["evil.example"]
    assert server.seen == []


def test_any_private_answer_refuses_the_host() -> None:
    resolver = CountingResolver(["93.184.216.34", "127.0.0.1"])
    assert _code("https://mixed.example/feed.ttl", resolver=resolver) == "address_not_allowed"


def test_unparseable_resolver_answer_is_refused() -> None:
    assert _code("https://odd.example/", resolver=CountingResolver(["0177.0.0.1"])) == "address_not_allowed"


def test_listed_name_resolves_once_and_the_connection_is_pinned(
    server: HostileServer, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first answer is checked and used; a second lookup (which would answer the cloud
    metadata address) never happens, neither through our resolver nor through the system one."""
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = ["feed.internal.test"]
    server.serve("/feed.ttl", b"<a:s> <a:p> <a:o> .\n")
    rebinding = CountingResolver(["127.0.0.1"], ["169.254.169.254"])
    system_lookups: list[Any] = []
    real_getaddrinfo = socket.getaddrinfo

    def watching_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        system_lookups.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", watching_getaddrinfo)
    result = fetch(f"http://feed.internal.test:{server.port}/feed.ttl", accept="turtle", resolver=rebinding)
    assert result.ip == "127.0.0.1"
    assert rebinding.calls == ["feed.internal.test"]
    assert "feed.internal.test" not in system_lookups
    assert server.seen[0].headers["host"] == f"feed.internal.test:{server.port}"


def test_public_name_connects_to_the_checked_address_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pinning without internet: the socket opener sees the address the resolver gave on its single call
    (a rebinding resolver would answer 127.0.0.1 on a second call)."""
    opened: list[tuple[str, int]] = []

    def fake_open(ip: str, port: int, timeout: float) -> socket.socket:
        opened.append((ip, port))
        raise ConnectionRefusedError("test: no internet")

    monkeypatch.setattr(fetch_module, "_open_socket", fake_open)
    rebinding = CountingResolver(["93.184.216.34"], ["127.0.0.1"])
    with pytest.raises(FetchError) as caught:
        fetch("https://rebind.example/feed.ttl", accept="turtle", resolver=rebinding, deadline=5)
    assert caught.value.code == "connect_error"
    assert opened == [("93.184.216.34", 443)]
    assert rebinding.calls == ["rebind.example"]


def test_connection_refused_is_a_connect_error() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    assert _code(f"http://127.0.0.1:{port}/feed.ttl") == "connect_error"


def test_resolver_failure_is_a_dns_error() -> None:
    def failing(host: str) -> list[str]:
        raise socket.gaierror("no such name")

    assert _code("https://nowhere.example/", resolver=failing) == "dns_error"
    assert _code("https://empty.example/", resolver=CountingResolver([])) == "dns_error"


def test_unknown_format_and_managed_headers_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        fetch("https://example.org/", accept="html")
    with pytest.raises(ValueError):
        fetch("https://example.org/", accept="turtle", headers={"Host": "other.example"})
    with pytest.raises(ValueError):
        fetch("https://example.org/", accept="turtle", headers={"X-A": "1\r\nX-B: 2"})


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://exa mple.org/", "invalid_url"),
        ("https://example.org/\r\nX-Injected: 1", "invalid_url"),
        ("https://example.org:99999/", "invalid_url"),
        ("https://example.org:0/", "invalid_url"),
        ("https://example.org:http/", "invalid_url"),
        ("https://[::1/", "invalid_url"),
        ("https://-bad-.example/", "host_not_allowed"),
        ("https://a..b/", "host_not_allowed"),
        ("https://user@/path", "host_not_allowed"),
        ("https://exa$mple.org/", "host_not_allowed"),
    ],
)
def test_malformed_urls_and_host_names(url: str, code: str) -> None:
    assert _code(url) == code


def test_source_host_allow_list(server: HostileServer) -> None:
    server.serve("/feed.ttl", b"<a:s> <a:p> <a:o> .\n")
    assert fetch(server.url("/feed.ttl"), accept="turtle", allowed_hosts=["127.0.0.1"]).status == 200
    error = _code("https://data.other.org/feed.ttl", allowed_hosts=["data.example.org", "*.example.org"])
    assert error == "host_not_allowed"
    public = CountingResolver(["93.184.216.34"])
    with pytest.raises(FetchError) as caught:
        fetch("https://example.org/", accept="turtle", allowed_hosts=["*.example.org"], resolver=public, deadline=5)
    assert caught.value.code == "host_not_allowed"  # a wildcard covers sub-domains only
    assert public.calls == []


@pytest.mark.parametrize(
    ("host", "expected"),
    [("feeds.example.org", True), ("a.b.example.org", True), ("example.org", False), ("evilexample.org", False)],
)
def test_wildcard_host_patterns(host: str, expected: bool) -> None:
    assert fetch_module._host_matches(host, frozenset({"*.example.org"})) is expected
