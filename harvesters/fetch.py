"""The one outbound fetcher every harvester uses (docs/privacy.md §3, 2.3 and 2.4).

Harvest sources are URLs typed by people and documents written by strangers, so every outbound request is a
potential SSRF, DNS-rebinding, slow-drip or decompression-bomb vector. This module is the only place that
opens a network connection on behalf of a harvester, and it does so with these rules:

* Scheme: ``https`` only; ``http`` only for hosts listed in ``settings.ATLAS_HARVEST_PRIVATE_HOSTS`` (the
  internal object store, the test server). ``file``, ``ftp``, ``gopher``, ``data`` and everything else are
  refused (ckanext-dcat opened non-http "URLs" as local files: an arbitrary file read).
* Addresses: the host is resolved **once** per hop (A and AAAA); the request is refused when *any* address
  is loopback, private, link-local (cloud metadata 169.254.169.254), CGNAT, ``0.0.0.0/8``, multicast,
  reserved, unspecified, ULA, or an IPv4-mapped / 6to4 / NAT64 / Teredo address embedding one of those.
  Non-canonical IPv4 spellings (``2130706433``, ``0177.0.0.1``, ``0x7f.1``) are refused outright because
  resolvers disagree about them. Hosts listed in ``ATLAS_HARVEST_PRIVATE_HOSTS`` (matched on the URL's host
  string, never on the address a name resolves to) skip the address rule.
* Pinning: the socket is opened to the checked IP address itself; the ``Host`` header and TLS SNI /
  certificate check use the name. Nothing resolves the name a second time, so DNS rebinding cannot swap the
  address between check and use.
* Redirects are never automatic: at most ``max_redirects`` are followed by hand, each hop re-validated and
  re-pinned; credentials (URL user-info, ``Authorization``, ``Cookie``) are dropped on the first
  cross-origin hop and never sent again.
* Time: a connect timeout, a per-read timeout and a **total deadline** checked before every ``recv`` (a
  server dripping one byte at a time cannot keep a worker busy past the deadline).
* Size: a ``Content-Length`` over the cap is refused before reading; the body is streamed and the cap is
  applied to wire bytes *and* to decoded bytes (gzip/deflate are decompressed incrementally with a bounded
  output size, so a gzip bomb costs at most ``max_bytes`` of memory).
* Content-Type must be on the allow-list of the requested format (``FORMAT_CONTENT_TYPES``): an HTML login
  or error page served with status 200 is refused instead of being parsed as data.

Errors are ``FetchError`` (a ``HarvestError``) with a stable ``code``; messages name the host, never the
body, the query string or credentials. Codes:

* ``scheme_not_allowed``; ``host_not_allowed`` (not a DNS name, or off the source's ``allowed_hosts``);
  ``address_not_allowed``; ``redirect_not_allowed`` (``reason`` holds the code that refused the hop);
  ``too_many_redirects``; ``too_large``; ``timeout`` (connect, DNS or one read); ``deadline_exceeded`` (the
  total); ``bad_status``; ``content_type_not_allowed``; ``decode_error``;
* and for failures the brief's list does not name: ``invalid_url``, ``dns_error``, ``connect_error``,
  ``tls_error``, ``protocol_error`` (malformed HTTP, broken connection).

Each successful fetch logs the final IP and the body's SHA-256 at INFO (docs/privacy.md §3, 2.4 item 9).

Defence in depth: ``install_audit_hook()`` adds a process-wide audit hook (opt-in, for harvest workers) that
refuses ``socket.connect`` to anything but the address ``fetch()`` is connecting to at that moment, and every
``urllib.Request``: a library that tries to fetch on its own (rdflib's JSON-LD context loader) fails loudly.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import io
import ipaddress
import logging
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from harvesters.base import HarvestError

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MiB
_CHUNK = 64 * 1024
_USER_AGENT = "AtlasCatalogue-Harvester/1.0"

# Requested format -> media types accepted in the response, best first (the first ones also make the Accept
# header). Where text/plain and application/octet-stream are allowed, and why:
# * text/plain for Turtle and N-Triples: N-Triples' registered type *was* text/plain until 2014, and static
#   hosts (raw Git hosting, plain web servers without a .ttl mapping) still serve both as text/plain.
#   Both formats are plain UTF-8 text whose parsers cannot be made to fetch anything.
# * text/plain and application/octet-stream for CSV: descriptor sheets are often served from object stores
#   (S3/MinIO default to binary/octet-stream or application/octet-stream) and plain web servers; the sheet
#   reader decodes strict UTF-8 and applies its own schema (docs/privacy.md §3, 2.5), so the type adds little.
# * Never for RDF/XML, TriX or JSON-LD: those are the formats with entity / remote-context hazards, and a
#   server that cannot label them correctly is more likely serving something else (an HTML error page).
FORMAT_CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "turtle": ("text/turtle", "application/x-turtle", "text/plain"),
    "n-triples": ("application/n-triples", "text/plain"),
    "rdf+xml": ("application/rdf+xml", "application/xml", "text/xml"),
    "trix": ("application/trix", "application/xml", "text/xml"),
    "json-ld": ("application/ld+json", "application/json"),
    "json": ("application/json",),
    "csv": ("text/csv", "application/csv", "text/plain", "application/octet-stream"),
}
# Other spellings callers use (rdflib format names, media types) for the same formats.
FORMAT_ALIASES: dict[str, str] = {
    "ttl": "turtle",
    "text/turtle": "turtle",
    "nt": "n-triples",
    "nt11": "n-triples",
    "ntriples": "n-triples",
    "application/n-triples": "n-triples",
    "xml": "rdf+xml",
    "rdfxml": "rdf+xml",
    "application/rdf+xml": "rdf+xml",
    "jsonld": "json-ld",
    "ld+json": "json-ld",
    "application/ld+json": "json-ld",
    "application/json": "json",
    "text/csv": "csv",
}

# Request headers a caller may not set: the fetcher owns them (Host is the pinned name, the encodings are
# the ones it can decode with a bounded output, one request per connection).
_MANAGED_HEADERS = frozenset(
    {"host", "accept", "accept-encoding", "connection", "content-length", "transfer-encoding", "te", "upgrade"}
)
# Headers that carry credentials: dropped on a cross-origin redirect hop.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Networks refused on top of ipaddress' own is_global / is_private flags, so the rule does not depend on
# the Python version's idea of "global" (it changed in 3.11.x and 3.13).
_V4_BLOCKED = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. 255.255.255.255
    )
)
_V6_BLOCKED = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/128",
        "::1/128",
        "::/96",  # deprecated IPv4-compatible addresses
        "100::/64",  # discard-only
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates to anything, refuse
        "2001:db8::/32",  # documentation
        "2001:10::/28",  # ORCHID
        "fc00::/7",  # unique local (ULA)
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_NAT64_WKP = ipaddress.IPv6Network("64:ff9b::/96")
_TEREDO = ipaddress.IPv6Network("2001::/32")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")

_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")

Resolver = Callable[[str], list[str]]


class FetchError(HarvestError):
    """A refused or failed fetch. ``code`` is stable (see the module docstring); ``reason`` is the code of the
    underlying refusal when a redirect hop was refused (``code == "redirect_not_allowed"``)."""

    def __init__(self, message: str, *, code: str, reason: str = "") -> None:
        super().__init__(message, code=code)
        self.reason = reason


class EgressDenied(HarvestError):
    """Raised by the audit hook: code in a harvest worker tried to connect somewhere fetch() did not check."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="egress_denied")


@dataclass(frozen=True)
class FetchResult:
    """A fetched document. URLs carry no credentials; ``body`` is left out of repr so that logging a result
    can never dump a document into the logs."""

    url: str
    final_url: str
    ip: str
    status: int
    content_type: str
    body: bytes = field(repr=False)
    sha256: str


@dataclass(frozen=True)
class _Target:
    """One validated hop: where to connect (``addresses``, all checked) and what to ask for."""

    url: str  # without credentials
    scheme: str
    host: str  # lower-case, IDNA, no brackets, no trailing dot
    port: int
    request_target: str
    username: str | None
    password: str | None
    addresses: tuple[str, ...]

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


# --------------------------------------------------------------------------------------------------------
# Address policy
# --------------------------------------------------------------------------------------------------------


def _v4_public(addr: ipaddress.IPv4Address) -> bool:
    if any(addr in net for net in _V4_BLOCKED):
        return False
    return addr.is_global and not (addr.is_multicast or addr.is_reserved or addr.is_loopback)


def is_public_address(addr: ipaddress.IPv4Address | ipaddress.IPv6Address | str) -> bool:
    """True when a harvester may connect to ``addr`` without the host being allow-listed.

    Addresses that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
    ``2002::/16``, Teredo ``2001::/32``) are judged by the embedded address(es): the network delivers them
    there, so ``::ffff:127.0.0.1`` is loopback whatever its IPv6 flags say.
    """
    if isinstance(addr, str):
        try:
            addr = ipaddress.ip_address(addr)
        except ValueError:
            return False
    if isinstance(addr, ipaddress.IPv4Address):
        return _v4_public(addr)
    if addr.scope_id:
        return False
    if addr.ipv4_mapped is not None:
        return _v4_public(addr.ipv4_mapped)
    if addr in _NAT64_WKP:
        return _v4_public(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    if addr in _TEREDO:
        teredo = addr.teredo
        return teredo is not None and _v4_public(teredo[0]) and _v4_public(teredo[1])
    if addr in _SIX_TO_FOUR:
        six_to_four = addr.sixtofour
        return six_to_four is not None and _v4_public(six_to_four)
    if any(addr in net for net in _V6_BLOCKED):
        return False
    return addr.is_global and not (
        addr.is_multicast or addr.is_reserved or addr.is_loopback or addr.is_link_local or addr.is_site_local
    )


def _normalise_host(host: str) -> str:
    """Canonical spelling for comparing hosts: lower case, no brackets or trailing dot, canonical IP text."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _private_hosts() -> frozenset[str]:
    """ATLAS_HARVEST_PRIVATE_HOSTS, normalised. Read on every call: tests and settings overrides apply."""
    from config.app_settings import app_settings

    return frozenset(_normalise_host(h) for h in app_settings.ATLAS_HARVEST_PRIVATE_HOSTS)


def _default_resolver(host: str) -> list[str]:
    """A and AAAA records of ``host`` through the system resolver, in the resolver's order, de-duplicated."""
    infos = socket.getaddrinfo(host, None, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


def _resolve(host: str, resolver: Resolver | None, timeout: float) -> list[str]:
    """Resolve ``host`` exactly once. The system resolver has no timeout of its own, so it runs in a daemon
    thread that is abandoned (not waited for) past ``timeout``: the fetch stays within its deadline."""
    if resolver is not None:
        try:
            return list(resolver(host))
        except OSError as exc:
            raise FetchError(f"cannot resolve host {host}: {exc.__class__.__name__}", code="dns_error") from exc
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = _default_resolver(host)
        except OSError as exc:  # handed to the waiting thread below, not swallowed
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"resolve-{host}", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise FetchError(f"resolving host {host} timed out", code="timeout")
    if "error" in box:
        raise FetchError(f"cannot resolve host {host}: {box['error'].__class__.__name__}", code="dns_error")
    return list(box["result"])


# --------------------------------------------------------------------------------------------------------
# URL validation
# --------------------------------------------------------------------------------------------------------


def _host_matches(host: str, patterns: frozenset[str]) -> bool:
    """Exact match, or a ``*.example.org`` pattern matching any sub-domain (not example.org itself)."""
    if host in patterns:
        return True
    labels = host.split(".")
    return any(f"*.{'.'.join(labels[i:])}" in patterns for i in range(1, len(labels)))


def _validate(
    url: str,
    *,
    resolver: Resolver | None,
    deadline: float,
    connect_timeout: float,
    allowed_hosts: frozenset[str] | None = None,
) -> _Target:
    """Check one hop's URL against the scheme, host and address rules, resolving the name once."""
    if not isinstance(url, str) or not url or len(url) > 8192 or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise FetchError("URL is empty, too long or contains whitespace/control characters", code="invalid_url")
    try:
        parts = urlsplit(url)
        raw_host = parts.hostname or ""
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", a port out of range or not a number
        raise FetchError("URL does not parse (bracket or port)", code="invalid_url") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise FetchError(f"scheme {scheme or '(none)'!r} is not allowed", code="scheme_not_allowed")
    if not raw_host:
        raise FetchError("URL has no host", code="host_not_allowed")
    if port is None:
        port = 443 if scheme == "https" else 80
    elif port == 0:
        raise FetchError(f"port 0 in URL for host {raw_host}", code="invalid_url")
    if "%" in raw_host:
        raise FetchError(f"host {raw_host} has a zone id or escape: refused", code="address_not_allowed")

    ip_literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        ip_literal = ipaddress.ip_address(raw_host)
    except ValueError:
        ip_literal = None
    if ip_literal is not None:
        host = str(ip_literal)
    else:
        labels = raw_host.rstrip(".").split(".")
        if all(_NUMERIC_LABEL.match(label) for label in labels) or _NUMERIC_LABEL.match(labels[-1]):
            # 2130706433, 0177.0.0.1, 0x7f.1, 127.1: inet_aton accepts them, ipaddress does not; refuse them
            # rather than guess which address some resolver or proxy on the way would make of them.
            raise FetchError(f"host {raw_host} is a non-canonical IP address form", code="address_not_allowed")
        try:
            host = raw_host.rstrip(".").encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise FetchError("host name is not a valid IDNA name", code="host_not_allowed") from exc
        if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in host.split(".")):
            raise FetchError("host name is not a valid DNS name", code="host_not_allowed")
        ascii_labels = host.split(".")
        if all(_NUMERIC_LABEL.match(label) for label in ascii_labels) or _NUMERIC_LABEL.match(ascii_labels[-1]):
            # IDNA maps full-width digits to ASCII ones: "１２７.０.０.１" is an IP address in disguise.
            raise FetchError(f"host {host} is an IP address in a non-canonical form", code="address_not_allowed")

    if allowed_hosts is not None and not _host_matches(host, allowed_hosts):
        raise FetchError(f"host {host} is not on this source's host allow-list", code="host_not_allowed")
    listed = host in _private_hosts()
    if ip_literal is not None and not listed and not is_public_address(ip_literal):
        raise FetchError(f"address {host} is not a public address", code="address_not_allowed")
    if scheme == "http" and not listed:
        raise FetchError(f"plain http is allowed only for listed private hosts, not {host}", code="scheme_not_allowed")

    if ip_literal is not None:
        addresses = [host]
    else:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"deadline exceeded before resolving host {host}", code="deadline_exceeded")
        answers = _resolve(host, resolver, min(connect_timeout, remaining))
        if not answers:
            raise FetchError(f"host {host} has no address", code="dns_error")
        addresses = []
        for answer in answers:
            try:
                parsed = ipaddress.ip_address(str(answer))
            except ValueError as exc:
                raise FetchError(f"host {host} resolved to an unparseable address", code="address_not_allowed") from exc
            if not listed and not is_public_address(parsed):
                # ANY non-public answer refuses the host: a name that answers both public and private
                # addresses is a rebinding setup, whichever address a connection would pick.
                raise FetchError(f"host {host} resolves to a non-public address", code="address_not_allowed")
            addresses.append(str(parsed))

    netloc_host = f"[{host}]" if ":" in host else host
    default_port = 443 if scheme == "https" else 80
    clean_netloc = netloc_host if port == default_port else f"{netloc_host}:{port}"
    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    clean_url = f"{scheme}://{clean_netloc}{request_target}"
    return _Target(
        url=clean_url,
        scheme=scheme,
        host=host,
        port=port,
        request_target=request_target,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        addresses=tuple(addresses),
    )


# --------------------------------------------------------------------------------------------------------
# Pinned, deadline-bounded connection
# --------------------------------------------------------------------------------------------------------

# The (ip, port) fetch() is connecting to right now, for the audit hook; None outside a connect.
_ALLOWED_CONNECT: ContextVar[tuple[str, int] | None] = ContextVar("atlas_fetch_allowed_connect", default=None)


def _open_socket(ip: str, port: int, timeout: float) -> socket.socket:
    """Open a TCP connection to the checked IP address (never to a name: that would resolve again)."""
    token = _ALLOWED_CONNECT.set((ip, port))
    try:
        return socket.create_connection((ip, port), timeout=timeout)
    finally:
        _ALLOWED_CONNECT.reset(token)


class _DeadlineRaw(io.RawIOBase):
    """Socket reader that gives every ``recv`` the smaller of the read timeout and the time left before the
    total deadline. http.client reads headers and chunk sizes with ``readline``, which loops over many small
    reads; bounding each read by the *remaining* time is what stops a slow-drip server."""

    def __init__(self, owner: _DeadlineSocket) -> None:
        super().__init__()
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._owner.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._owner.release_file()
        super().close()


class _DeadlineSocket:
    """The socket object handed to http.client: it only needs ``makefile``, ``sendall`` and ``close``.

    The real socket is closed when http.client has closed both the connection and every file it made (as
    ``socket.socket`` does with its io refs), and in any case by ``fetch()`` when it is done.
    """

    def __init__(self, sock: socket.socket, *, host: str, deadline: float, read_timeout: float) -> None:
        self.sock = sock
        self._host = host
        self._deadline = deadline
        self._read_timeout = read_timeout
        self._files = 0
        self._closed = False

    def _arm(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"deadline exceeded while talking to host {self._host}", code="deadline_exceeded")
        self.sock.settimeout(min(self._read_timeout, remaining))

    def _timed_out(self, exc: BaseException) -> FetchError:
        if time.monotonic() >= self._deadline - 0.01:
            return FetchError(f"deadline exceeded while talking to host {self._host}", code="deadline_exceeded")
        return FetchError(f"read from host {self._host} timed out", code="timeout")

    def recv_into(self, buffer: Any) -> int:
        self._arm()
        try:
            return self.sock.recv_into(buffer)
        except TimeoutError as exc:
            raise self._timed_out(exc) from exc

    def sendall(self, data: bytes) -> None:
        self._arm()
        try:
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise self._timed_out(exc) from exc

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError("only binary reading is supported")
        self._files += 1
        return io.BufferedReader(_DeadlineRaw(self), buffer_size=_CHUNK)

    def release_file(self) -> None:
        self._files -= 1
        if self._closed and self._files <= 0:
            self.sock.close()

    def close(self) -> None:
        self._closed = True
        if self._files <= 0:
            self.sock.close()


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTPConnection over an already connected (and, for https, already verified) socket. ``connect`` is
    never called: the connection must not open a socket of its own, which would resolve the name again."""

    def __init__(self, host: str, port: int, sock: _DeadlineSocket, default_port: int) -> None:
        super().__init__(host, port)
        self.default_port = default_port  # so the Host header omits :443 / :80 as a browser would
        self.sock = sock  # type: ignore[assignment]

    def connect(self) -> None:
        raise FetchError(f"connection to host {self.host} was closed unexpectedly", code="protocol_error")


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _connect(target: _Target, *, deadline: float, connect_timeout: float) -> tuple[socket.socket, str]:
    """Connect to the first reachable checked address; for https, complete a verified TLS handshake using
    the *name* for SNI and the certificate check (so pinning the IP does not weaken TLS)."""
    last: BaseException | None = None
    timeouts = 0
    for ip in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"deadline exceeded connecting to host {target.host}", code="deadline_exceeded")
        try:
            raw = _open_socket(ip, target.port, min(connect_timeout, remaining))
        except TimeoutError as exc:
            timeouts += 1
            last = exc
            continue
        except OSError as exc:
            last = exc
            continue
        if target.scheme != "https":
            return raw, ip
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(f"deadline exceeded connecting to host {target.host}", code="deadline_exceeded")
            raw.settimeout(min(connect_timeout, remaining))
            return _tls_context().wrap_socket(raw, server_hostname=target.host), ip
        except TimeoutError as exc:
            raw.close()
            raise FetchError(f"TLS handshake with host {target.host} timed out", code="timeout") from exc
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raw.close()
            raise FetchError(
                f"TLS handshake with host {target.host} failed: {exc.__class__.__name__}", code="tls_error"
            ) from exc
        except BaseException:
            raw.close()
            raise
    code = "timeout" if timeouts and timeouts == len(target.addresses) else "connect_error"
    detail = last.__class__.__name__ if last is not None else "no address"
    raise FetchError(f"cannot connect to host {target.host}: {detail}", code=code)


# --------------------------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------------------------


class _Decoder:
    """Incremental Content-Encoding decoder whose output never exceeds the remaining byte budget by more
    than one byte: the bomb is detected after decompressing at most ``max_bytes + 1`` bytes."""

    def __init__(self, encoding: str, host: str) -> None:
        self._host = host
        self._encoding = encoding
        self._zlib: Any = None
        self._pending_deflate = b""
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = None  # decided on the first bytes: zlib-wrapped (RFC 9110) or raw (old IIS)
        elif encoding not in ("", "identity"):
            raise FetchError(f"host {host} sent unsupported Content-Encoding {encoding[:40]!r}", code="decode_error")

    def _pick_deflate(self, data: bytes) -> None:
        # A zlib stream starts with a CMF/FLG pair whose 16-bit value is a multiple of 31 and CM == 8.
        self._pending_deflate += data
        if len(self._pending_deflate) < 2:
            return
        cmf, flg = self._pending_deflate[0], self._pending_deflate[1]
        wrapped = (cmf & 0x0F) == 8 and ((cmf << 8) | flg) % 31 == 0
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes, budget: int) -> list[bytes]:
        """Decode ``data``; return decoded pieces totalling at most ``budget + 1`` bytes."""
        if self._encoding in ("", "identity"):
            return [data[: budget + 1]]
        if self._encoding == "deflate" and self._zlib is None:
            self._pick_deflate(data)
            if self._zlib is None:
                return []
            data, self._pending_deflate = self._pending_deflate, b""
        out: list[bytes] = []
        produced = 0
        try:
            while data:
                piece = self._zlib.decompress(data, budget - produced + 1)
                out.append(piece)
                produced += len(piece)
                if produced > budget:
                    return out
                if self._zlib.eof and self._zlib.unused_data:
                    raise FetchError(f"host {self._host} sent data after the compressed stream", code="decode_error")
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise FetchError(f"host {self._host} sent a corrupt {self._encoding} body", code="decode_error") from exc
        return out

    def finish(self) -> None:
        if self._encoding in ("", "identity"):
            return
        if self._zlib is None or not self._zlib.eof:
            raise FetchError(f"host {self._host} sent a truncated {self._encoding} body", code="decode_error")


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _read_body(response: http.client.HTTPResponse, *, host: str, max_bytes: int) -> tuple[bytes, str]:
    """Stream the body with a cap on wire bytes and on decoded bytes; return (body, sha256 hex)."""
    encodings = [e.strip().lower() for e in (response.getheader("Content-Encoding") or "").split(",") if e.strip()]
    if len(encodings) > 1:
        raise FetchError(f"host {host} sent stacked Content-Encodings", code="decode_error")
    decoder = _Decoder(encodings[0] if encodings else "", host)
    body = bytearray()
    digest = hashlib.sha256()
    wire = 0
    while True:
        try:
            chunk = response.read1(_CHUNK)
        except http.client.HTTPException as exc:
            raise FetchError(
                f"host {host} sent a malformed body: {exc.__class__.__name__}", code="protocol_error"
            ) from exc
        except (ConnectionError, ssl.SSLError) as exc:
            raise FetchError(
                f"connection to host {host} broke: {exc.__class__.__name__}", code="protocol_error"
            ) from exc
        if not chunk:
            break
        wire += len(chunk)
        if wire > max_bytes:
            raise FetchError(f"response from host {host} exceeds {max_bytes} bytes", code="too_large")
        for piece in decoder.feed(chunk, max_bytes - len(body)):
            if len(body) + len(piece) > max_bytes:
                raise FetchError(f"decoded response from host {host} exceeds {max_bytes} bytes", code="too_large")
            body += piece
            digest.update(piece)
    decoder.finish()
    return bytes(body), digest.hexdigest()


# --------------------------------------------------------------------------------------------------------
# fetch()
# --------------------------------------------------------------------------------------------------------


def _resolve_format(accept: str) -> tuple[str, tuple[str, ...]]:
    key = accept.strip().lower()
    key = FORMAT_ALIASES.get(key, key)
    if key not in FORMAT_CONTENT_TYPES:
        raise ValueError(f"unknown format {accept!r}; one of {', '.join(sorted(FORMAT_CONTENT_TYPES))}")
    return key, FORMAT_CONTENT_TYPES[key]


def _accept_header(types: tuple[str, ...]) -> str:
    parts = []
    for index, media_type in enumerate(types):
        if media_type == "application/octet-stream":
            continue  # allowed when served, never asked for
        q = max(1.0 - 0.1 * index, 0.1)
        parts.append(media_type if index == 0 else f"{media_type};q={q:.1f}")
    return ", ".join(parts)


def _check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    extra: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if any(c in name or c in value for c in "\r\n\0"):
            raise ValueError(f"header {name!r} contains a line break or NUL")
        if name.strip().lower() in _MANAGED_HEADERS:
            raise ValueError(f"header {name!r} is set by the fetcher")
        extra[name] = value
    return extra


def fetch(
    url: str,
    *,
    accept: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    connect_timeout: float = 5,
    read_timeout: float = 30,
    deadline: float = 120,
    max_redirects: int = 3,
    resolver: Resolver | None = None,
    headers: Mapping[str, str] | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> FetchResult:
    """GET ``url`` under the harvest egress rules (module docstring) and return the whole, decoded body.

    ``accept`` names the expected format (a key of ``FORMAT_CONTENT_TYPES`` or an alias such as ``"ttl"``,
    ``"xml"``, ``"application/ld+json"``); the response's Content-Type must be on that format's list.
    ``deadline`` is the total time in seconds for every hop of the fetch. ``resolver`` (host -> list of IP
    strings) replaces the system resolver, for tests. ``headers`` adds request headers such as an API
    token; like URL user-info credentials they are not sent past a cross-origin redirect.
    ``allowed_hosts`` is the source's host allow-list (docs/privacy.md §3, 2.4 item 2): when given, every hop's host
    must be on it (exact names, or ``*.example.org`` for sub-domains), else ``host_not_allowed``. The
    address rules apply on top of it.
    """
    fmt, allowed_types = _resolve_format(accept)
    extra_headers = _check_headers(headers)
    if max_bytes <= 0 or deadline <= 0 or connect_timeout <= 0 or read_timeout <= 0 or max_redirects < 0:
        raise ValueError("limits must be positive")
    end = time.monotonic() + deadline
    hosts = None if allowed_hosts is None else frozenset(_normalise_host(h) for h in allowed_hosts)

    target = _validate(url, resolver=resolver, deadline=end, connect_timeout=connect_timeout, allowed_hosts=hosts)
    if target.username is not None and any(k.lower() == "authorization" for k in extra_headers):
        raise ValueError("give credentials in the URL or in an Authorization header, not both")
    first_url = target.url
    first_origin = target.origin
    send_credentials = True
    redirects = 0
    while True:
        if target.origin != first_origin:
            send_credentials = False  # sticky: never re-sent, even if a later hop comes back
        response_status, location, result = _one_request(
            target,
            fmt=fmt,
            allowed_types=allowed_types,
            extra_headers=extra_headers,
            send_credentials=send_credentials,
            max_bytes=max_bytes,
            deadline=end,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        if result is not None:
            body, digest, ip, content_type = result
            logger.info(
                "harvest fetch host=%s ip=%s status=%s bytes=%d sha256=%s redirects=%d",
                target.host,
                ip,
                response_status,
                len(body),
                digest,
                redirects,
            )
            return FetchResult(
                url=first_url,
                final_url=target.url,
                ip=ip,
                status=response_status,
                content_type=content_type,
                body=body,
                sha256=digest,
            )
        if redirects >= max_redirects:
            raise FetchError(
                f"host {target.host} redirected more than {max_redirects} times", code="too_many_redirects"
            )
        redirects += 1
        next_url = urljoin(target.url, location)
        try:
            next_target = _validate(
                next_url, resolver=resolver, deadline=end, connect_timeout=connect_timeout, allowed_hosts=hosts
            )
        except FetchError as exc:
            if exc.code in ("timeout", "deadline_exceeded", "dns_error"):
                raise
            raise FetchError(
                f"host {target.host} redirected to a location that is not allowed: {exc.message}",
                code="redirect_not_allowed",
                reason=exc.code,
            ) from exc
        # User-info in a Location header comes from the remote server, not from us: never send it.
        target = dataclasses.replace(next_target, username=None, password=None)
        logger.debug("harvest fetch redirect %d to host=%s", redirects, target.host)


def _one_request(
    target: _Target,
    *,
    fmt: str,
    allowed_types: tuple[str, ...],
    extra_headers: dict[str, str],
    send_credentials: bool,
    max_bytes: int,
    deadline: float,
    connect_timeout: float,
    read_timeout: float,
) -> tuple[int, str, tuple[bytes, str, str, str] | None]:
    """One GET on one pinned connection. Returns (status, redirect location, None) for a redirect, or
    (status, "", (body, sha256, ip, content type)) for a 200."""
    raw, ip = _connect(target, deadline=deadline, connect_timeout=connect_timeout)
    sock = _DeadlineSocket(raw, host=target.host, deadline=deadline, read_timeout=read_timeout)
    conn = _PinnedConnection(target.host, target.port, sock, 443 if target.scheme == "https" else 80)
    try:
        try:
            conn.putrequest("GET", target.request_target, skip_accept_encoding=True)
            conn.putheader("Accept", _accept_header(allowed_types))
            conn.putheader("Accept-Encoding", "gzip, deflate")
            conn.putheader("User-Agent", _USER_AGENT)
            conn.putheader("Connection", "close")
            if send_credentials and target.username is not None:
                token = f"{target.username}:{target.password or ''}".encode()
                conn.putheader("Authorization", "Basic " + base64.b64encode(token).decode("ascii"))
            for name, value in extra_headers.items():
                if send_credentials or name.lower() not in _CREDENTIAL_HEADERS:
                    conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
        except http.client.InvalidURL as exc:
            raise FetchError(f"invalid request path for host {target.host}", code="invalid_url") from exc
        except (http.client.HTTPException, ValueError) as exc:
            raise FetchError(
                f"host {target.host} sent a malformed response: {exc.__class__.__name__}", code="protocol_error"
            ) from exc
        except (ConnectionError, ssl.SSLError) as exc:
            raise FetchError(
                f"connection to host {target.host} broke: {exc.__class__.__name__}", code="protocol_error"
            ) from exc

        status = response.status
        if status in _REDIRECT_STATUSES:
            location = response.getheader("Location")
            if not location:
                raise FetchError(f"host {target.host} sent a redirect without Location", code="bad_status")
            return status, location, None
        if status != 200:
            raise FetchError(f"host {target.host} answered HTTP {status}", code="bad_status")

        content_type = _media_type(response.getheader("Content-Type"))
        if content_type not in allowed_types:
            shown = content_type[:60] or "(none)"
            raise FetchError(
                f"host {target.host} sent Content-Type {shown!r}, not allowed for {fmt}",
                code="content_type_not_allowed",
            )
        length_header = response.getheader("Content-Length")
        if length_header is not None:
            try:
                declared = int(length_header.strip())
            except ValueError as exc:
                raise FetchError(f"host {target.host} sent an invalid Content-Length", code="protocol_error") from exc
            if declared > max_bytes:
                raise FetchError(
                    f"host {target.host} announced {declared} bytes, over the {max_bytes} byte cap", code="too_large"
                )
        body, digest = _read_body(response, host=target.host, max_bytes=max_bytes)
        return status, "", (body, digest, ip, content_type)
    finally:
        conn.close()
        raw.close()


# --------------------------------------------------------------------------------------------------------
# Audit hook (defence in depth, opt-in)
# --------------------------------------------------------------------------------------------------------

_hook_lock = threading.Lock()
_hook_allow: frozenset[tuple[str, int] | str] | None = None


def _address_key(address: Any) -> tuple[str, int] | str | None:
    if isinstance(address, tuple) and len(address) >= 2:
        try:
            return (str(ipaddress.ip_address(str(address[0]).split("%", 1)[0])), int(address[1]))
        except ValueError:
            return None
    if isinstance(address, (str, bytes)):
        return address.decode("utf-8", "surrogateescape") if isinstance(address, bytes) else address
    return None


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        key = _address_key(args[1])
        allowed = _hook_allow or frozenset()
        if key is not None and key in allowed:
            return
        pinned = _ALLOWED_CONNECT.get()
        if pinned is not None and key == (_normalise_host(pinned[0]), pinned[1]):
            return
        raise EgressDenied("outbound connection refused: harvest workers connect only through harvesters.fetch")
    if event == "urllib.Request":
        # fetch() does not use urllib: any urllib request in a harvest worker is a library fetching on its
        # own (rdflib loading a JSON-LD @context, a parser following a URL).
        raise EgressDenied("urllib request refused: harvest workers fetch only through harvesters.fetch")


def install_audit_hook(*, allow: Iterable[tuple[str, int] | str] = ()) -> None:
    """Install, once per process, an audit hook that refuses ``socket.connect`` to anything except the
    address ``fetch()`` is connecting to at that moment (or an ``allow`` entry: ``(ip, port)`` for the
    broker or database a worker needs, a path for a Unix socket), and refuses every ``urllib.Request``.

    Audit hooks cannot be removed, so this is opt-in and meant for dedicated harvest worker processes;
    calling it again with the same ``allow`` is a no-op, with a different one an error (a hook that could
    be widened later would not be a guard). Defence in depth only: OS-level egress filtering (docs/privacy.md
    §3, 2.4 item 8) remains the primary control. Not covered: ``open`` (rdflib reads a ``file:`` context with
    ``open()``, not urllib; every import and template read fires the same event, so a path allow-list here
    would be brittle): ``catalogue.dcat.load`` is what refuses ``file:`` contexts. UDP ``sendto`` and DNS
    lookups are not covered either. Harvest processes call ``install_worker_audit_hook``, which builds ``allow``
    from the settings.
    """
    global _hook_allow
    normalised: set[tuple[str, int] | str] = set()
    for entry in allow:
        key = _address_key(entry)
        if key is None:
            raise ValueError(f"cannot use {entry!r} as an allowed address")
        normalised.add(key)
    wanted = frozenset(normalised)
    with _hook_lock:
        if _hook_allow is not None:
            if _hook_allow != wanted:
                raise RuntimeError("the harvest audit hook is already installed with a different allow-list")
            return
        _hook_allow = wanted
        sys.addaudithook(_audit_hook)


# Default ports of the services a worker reaches besides fetch(), by URL scheme.
_SERVICE_PORTS = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671, "pyamqp": 5672, "http": 80,
                  "https": 443, "postgres": 5432, "postgresql": 5432}


def _service_addresses(host: str, port: int) -> set[tuple[str, int]]:
    """Every address a service name resolves to now (a name that does not resolve is left out: it is unreachable)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        logger.warning("audit hook: cannot resolve %s to allow it (%s)", host, exc.__class__.__name__)
        return set()
    return {(str(info[4][0]), int(info[4][1])) for info in infos}


def _service_url(url: str) -> set[tuple[str, int] | str]:
    """The addresses of a service URL (broker, cache, Elasticsearch): host and port, or a Unix socket path."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower().split("+", 1)[0]
    if scheme in ("unix", "socket") or parts.scheme.lower().endswith("+socket"):
        return {parts.path} if parts.path else set()
    if not parts.hostname:
        return set()
    try:
        port = parts.port or _SERVICE_PORTS.get(scheme, 0)
    except ValueError:
        return set()
    return set(_service_addresses(parts.hostname, port)) if port else set()


def worker_egress_allowlist() -> frozenset[tuple[str, int] | str]:
    """The services a harvest process must reach besides ``fetch()``, from the settings: the databases (TCP, or
    PostgreSQL's Unix socket), the Celery broker, the caches, Elasticsearch and the SMTP server when mail goes
    by SMTP. Names are resolved once, when the hook is installed (a service that moves needs a worker restart)."""
    from django.conf import settings

    allowed: set[tuple[str, int] | str] = set()
    for db in settings.DATABASES.values():
        engine, host = str(db.get("ENGINE", "")), str(db.get("HOST") or "")
        if "sqlite" in engine:
            continue
        port = int(db.get("PORT") or (5432 if "postgresql" in engine else 3306))
        if not host or host.startswith("/"):
            allowed.add(f"{host or '/var/run/postgresql'}/.s.PGSQL.{port}")
        else:
            allowed |= _service_addresses(host, port)
    for url in str(settings.CELERY_BROKER_URL or "").split(";"):
        if url.strip():
            allowed |= _service_url(url)
    for cache in settings.CACHES.values():
        locations = cache.get("LOCATION") or ()
        for location in [locations] if isinstance(locations, str) else locations:
            if "://" in str(location):
                allowed |= _service_url(str(location))
    for url in str(settings.ELASTICSEARCH_URL or "").split(","):
        if url.strip():
            allowed |= _service_url(url)
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        allowed |= _service_addresses(settings.EMAIL_HOST, int(settings.EMAIL_PORT))
    return frozenset(allowed)


def install_worker_audit_hook() -> frozenset[tuple[str, int] | str]:
    """Install the audit hook in a process that runs harvests (the Celery worker at start-up, ``manage.py
    harvest``), allowing the services of ``worker_egress_allowlist``; return that allow-list."""
    allow = worker_egress_allowlist()
    install_audit_hook(allow=allow)
    return allow


def audit_hook_allowlist() -> frozenset[tuple[str, int] | str] | None:
    """The allow-list of the installed audit hook, or None when this process has none."""
    return _hook_allow
