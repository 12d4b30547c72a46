"""What a hostile server can do once connected: redirects, credentials, size and decompression bombs,
slow drip, wrong types and statuses (docs/privacy.md §3, 2.3 and 2.4)."""

from __future__ import annotations

import base64
import gzip
import tracemalloc
import zlib
from functools import cache
from typing import Any

import pytest

from harvesters.fetch import FetchError, fetch
from tests.harvesters.fetch.hostile_server import Handler, HostileServer, wait_for

TTL = b"<http://a/s> <http://a/p> <http://a/o> .\n"
MiB = 1024 * 1024


def _error(url: str, **kwargs: Any) -> FetchError:
    kwargs.setdefault("accept", "turtle")
    kwargs.setdefault("deadline", 5)
    with pytest.raises(FetchError) as caught:
        fetch(url, **kwargs)
    return caught.value


# ---------------------------------------------------------------------------------------------- redirects


def test_follows_up_to_three_redirects(server: HostileServer) -> None:
    server.redirect("/r1", "/r2", 301)
    server.redirect("/r2", server.url("/r3"), 307)
    server.redirect("/r3", "/feed.ttl", 308)
    server.serve("/feed.ttl", TTL)
    result = fetch(server.url("/r1"), accept="turtle")
    assert result.body == TTL
    assert result.url == server.url("/r1")
    assert result.final_url == server.url("/feed.ttl")
    assert server.paths() == ["/r1", "/r2", "/r3", "/feed.ttl"]


def test_a_fourth_redirect_is_too_many(server: HostileServer) -> None:
    for n in range(1, 5):
        server.redirect(f"/r{n}", f"/r{n + 1}")
    server.serve("/r5", TTL)
    assert _error(server.url("/r1")).code == "too_many_redirects"
    assert "/r5" not in server.paths()


def test_redirect_loop_ends(server: HostileServer) -> None:
    server.redirect("/loop", "/loop")
    assert _error(server.url("/loop")).code == "too_many_redirects"
    assert len(server.seen) == 4


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.0.0.1/feed.ttl", "address_not_allowed"),
        ("https://10.0.0.1/feed.ttl", "address_not_allowed"),
        ("https://169.254.169.254/latest/meta-data/", "address_not_allowed"),
        ("https://[::ffff:127.0.0.1]/", "address_not_allowed"),
        ("https://2130706433/", "address_not_allowed"),
        ("https://internal.example/feed.ttl", "address_not_allowed"),  # name resolving to 192.168.0.10
        ("http://public.example/feed.ttl", "scheme_not_allowed"),  # https -> http downgrade to a public host
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("gopher://127.0.0.1:70/", "scheme_not_allowed"),
    ],
)
def test_redirect_to_a_refused_location(server: HostileServer, location: str, reason: str) -> None:
    def resolver(host: str) -> list[str]:
        return {"internal.example": ["192.168.0.10"], "public.example": ["93.184.216.34"]}[host]

    server.redirect("/start", location)
    error = _error(server.url("/start"), resolver=resolver)
    assert error.code == "redirect_not_allowed"
    assert error.reason == reason
    assert server.paths() == ["/start"]


def test_redirect_off_the_source_host_allow_list(server: HostileServer, other_server: HostileServer) -> None:
    server.redirect("/start", other_server.url("/feed.ttl").replace("127.0.0.1", "localhost"))
    error = _error(server.url("/start"), allowed_hosts=["127.0.0.1"])
    assert (error.code, error.reason) == ("redirect_not_allowed", "host_not_allowed")
    assert other_server.seen == []


def test_credentials_from_the_url_are_dropped_on_a_cross_origin_hop(
    server: HostileServer, other_server: HostileServer
) -> None:
    server.redirect("/start", other_server.url("/land"))
    other_server.serve("/land", TTL)
    url = server.url("/start").replace("http://", "http://alice:s%3Acret@")
    result = fetch(url, accept="turtle")
    assert result.body == TTL
    sent = server.seen[0].headers["authorization"]
    assert base64.b64decode(sent.split()[1]) == b"alice:s:cret"
    assert "authorization" not in other_server.seen[0].headers
    assert "alice" not in result.url and "alice" not in result.final_url


def test_credential_headers_are_dropped_on_a_cross_origin_hop_and_stay_dropped(
    server: HostileServer, other_server: HostileServer
) -> None:
    server.redirect("/start", other_server.url("/bounce"))
    other_server.redirect("/bounce", server.url("/land"))  # back to the first origin
    server.serve("/land", TTL)
    headers = {"Authorization": "Bearer secret-token", "Cookie": "sid=1", "X-Trace": "keep"}
    fetch(server.url("/start"), accept="turtle", headers=headers)
    assert server.seen[0].headers["authorization"] == "Bearer secret-token"
    bounce = other_server.seen[0].headers
    assert "authorization" not in bounce and "cookie" not in bounce
    assert bounce["x-trace"] == "keep"
    assert "authorization" not in server.seen[1].headers


def test_same_origin_redirect_keeps_credentials(server: HostileServer) -> None:
    server.redirect("/start", "/land")
    server.serve("/land", TTL)
    fetch(server.url("/start"), accept="turtle", headers={"Authorization": "Bearer t"})
    assert server.seen[1].headers["authorization"] == "Bearer t"


def test_userinfo_in_a_location_header_is_never_sent(server: HostileServer) -> None:
    server.redirect("/start", server.url("/land").replace("http://", "http://mallory:pw@"))
    server.serve("/land", TTL)
    fetch(server.url("/start"), accept="turtle")
    assert "authorization" not in server.seen[1].headers


# ------------------------------------------------------------------------------------------ size and bombs


@cache
def _gzip_bomb(decoded_mib: int) -> bytes:
    """``decoded_mib`` MiB of zeros, gzip-compressed (about 1000:1), built in slices to stay small."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MiB)
    parts = [compressor.compress(zeros) for _ in range(decoded_mib)]
    parts.append(compressor.flush())
    return b"".join(parts)


def test_gzip_bomb_is_stopped_at_the_cap_with_bounded_memory(server: HostileServer) -> None:
    bomb = _gzip_bomb(128)
    assert len(bomb) < MiB // 2
    server.serve("/bomb.ttl", bomb, Content_Encoding="gzip")
    tracemalloc.start()
    try:
        error = _error(server.url("/bomb.ttl"), max_bytes=2 * MiB)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "too_large"
    assert peak < 16 * MiB  # the decoded 128 MiB never existed in memory


def test_gzip_and_deflate_bodies_are_decoded(server: HostileServer) -> None:
    server.serve("/gz.ttl", gzip.compress(TTL), Content_Encoding="gzip")
    server.serve("/zlib.ttl", zlib.compress(TTL), Content_Encoding="deflate")
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    server.serve("/raw.ttl", raw.compress(TTL) + raw.flush(), Content_Encoding="deflate")
    for path in ("/gz.ttl", "/zlib.ttl", "/raw.ttl"):
        assert fetch(server.url(path), accept="turtle").body == TTL


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (b"\x1f\x8b\x08\x00garbage-not-gzip", "gzip"),
        (gzip.compress(TTL)[:-12], "gzip"),  # truncated stream
        (gzip.compress(TTL) + b"trailing", "gzip"),
        (TTL, "br"),
        (gzip.compress(gzip.compress(TTL)), "gzip, gzip"),
    ],
)
def test_undecodable_bodies_are_refused(server: HostileServer, body: bytes, encoding: str) -> None:
    server.serve("/bad.ttl", body, Content_Encoding=encoding)
    assert _error(server.url("/bad.ttl")).code == "decode_error"


def test_oversized_content_length_is_refused_before_reading(server: HostileServer) -> None:
    server.routes["/huge.ttl"] = lambda h: h.raw(
        200, {"Content-Type": "text/turtle", "Content-Length": str(10 * 1024**3)}, TTL
    )
    error = _error(server.url("/huge.ttl"), max_bytes=MiB)
    assert error.code == "too_large"
    assert "127.0.0.1" in error.message


def _endless(handler: Handler, head: bytes) -> None:
    handler.stream(head, (b"# padding line of a never-ending turtle document\n" * 1024 for _ in range(10_000)))


def test_streamed_body_without_length_is_cut_at_the_cap(server: HostileServer) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nConnection: close\r\n\r\n"
    server.routes["/endless.ttl"] = lambda h: _endless(h, head)
    assert _error(server.url("/endless.ttl"), max_bytes=256 * 1024).code == "too_large"


def test_chunked_body_is_cut_at_the_cap(server: HostileServer) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    chunk = b"# chunk of padding\n" * 500
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    server.routes["/chunked.ttl"] = lambda h: h.stream(head, (framed for _ in range(100_000)))
    assert _error(server.url("/chunked.ttl"), max_bytes=256 * 1024).code == "too_large"


def test_body_exactly_at_the_cap_is_accepted(server: HostileServer) -> None:
    body = b"#" * 1000
    server.serve("/exact.ttl", body)
    assert fetch(server.url("/exact.ttl"), accept="turtle", max_bytes=1000).body == body
    assert _error(server.url("/exact.ttl"), max_bytes=999).code == "too_large"


# ------------------------------------------------------------------------------------------------- time


def test_slow_drip_body_hits_the_total_deadline(server: HostileServer) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nContent-Length: 100000\r\n\r\n"
    server.routes["/drip.ttl"] = lambda h: h.drip(head, b"#", 0.5)
    # Each byte arrives well within the read timeout: only the total deadline can stop this.
    assert _error(server.url("/drip.ttl"), read_timeout=5, deadline=1.5).code == "deadline_exceeded"


def test_slow_drip_headers_hit_the_total_deadline(server: HostileServer) -> None:
    server.routes["/drip-headers.ttl"] = lambda h: h.drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", 0.2)
    assert _error(server.url("/drip-headers.ttl"), read_timeout=5, deadline=1.0).code == "deadline_exceeded"


def test_stalled_server_hits_the_read_timeout(server: HostileServer) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nContent-Length: 100\r\n\r\n"
    server.routes["/stall.ttl"] = lambda h: h.drip(head, b"#", 30)
    assert _error(server.url("/stall.ttl"), read_timeout=0.3, deadline=10).code == "timeout"


# ---------------------------------------------------------------------------------- content type, status


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("turtle", "text/turtle"),
        ("turtle", "text/plain; charset=utf-8"),
        ("ttl", "application/x-turtle"),
        ("n-triples", "application/n-triples"),
        ("rdf+xml", "application/rdf+xml"),
        ("xml", "application/xml"),
        ("json-ld", "application/ld+json"),
        ("ld+json", "application/json"),
        ("csv", "text/csv"),
        ("csv", "application/octet-stream"),
        ("json", "application/json"),
    ],
)
def test_content_types_allowed_per_format(server: HostileServer, accept: str, content_type: str) -> None:
    server.serve("/doc", b"{}", content_type)
    assert fetch(server.url("/doc"), accept=accept).content_type == content_type.split(";")[0]


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("turtle", "text/html"),
        ("turtle", "application/octet-stream"),
        ("rdf+xml", "text/plain"),
        ("rdf+xml", "application/octet-stream"),
        ("json-ld", "text/html; charset=utf-8"),
        ("json-ld", "text/plain"),
        ("csv", "text/html"),
        ("json", "application/ld+json"),
        ("turtle", ""),
    ],
)
def test_content_types_refused_per_format(server: HostileServer, accept: str, content_type: str) -> None:
    if content_type:
        server.serve("/doc", b"<html>login</html>", content_type)
    else:
        server.routes["/doc"] = lambda h: h.raw(200, {"Content-Length": "2"}, b"{}")
    assert _error(server.url("/doc"), accept=accept).code == "content_type_not_allowed"


@pytest.mark.parametrize("status", [404, 500, 204, 206, 304])
def test_non_200_status_is_refused_without_echoing_the_body(server: HostileServer, status: int) -> None:
    secret = b"SECRET-BODY-MARKER patient 123456"
    server.routes["/doc"] = lambda h: h.raw(status, {"Content-Type": "text/turtle"}, secret)
    error = _error(server.url("/doc"))
    assert error.code == "bad_status"
    assert str(status) in error.message and "SECRET" not in error.message and "127.0.0.1" in error.message


def test_malformed_response_is_a_protocol_error(server: HostileServer) -> None:
    server.routes["/garbage"] = lambda h: (h.wfile.write(b"\x00\x01 not http at all\r\n\r\n"), h.wfile.flush())
    assert _error(server.url("/garbage")).code == "protocol_error"
    assert wait_for(lambda: server.paths() == ["/garbage"])
