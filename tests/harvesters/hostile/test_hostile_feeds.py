"""Hostile RDF through the real harvest path, end to end (docs/privacy.md §3, 2.1 to 2.4).

Each case registers a `dcat_rdf` source, harvests a good feed from it (two published datasets), then replaces the
feed with a hostile document and harvests again with `harvest_job_run`: from a file under a temporary
ATLAS_HARVEST_FILE_ROOTS and, where the transport matters, over HTTP from a local server on 127.0.0.1 through
harvesters.fetch. The job must fail with the load path's code for the rule (catalogue.dcat.load.ERROR_CODES, or
the fetcher's for the gzip bomb), leave the published catalogue as it was, and the process's peak resident memory
during the hostile harvest must stay under 1 GiB.
"""

from __future__ import annotations

import gc
import json
import re
import resource
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph

from catalogue.dcat.load import ERROR_CODES, MAX_DOCUMENT_BYTES, MAX_LITERAL_CHARS, MAX_TRIPLES
from catalogue.models import Dataset
from harvesters.models import HarvestJob, HarvestSource, JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add
from tests.harvesters.fetch.hostile_server import Handler, HostileServer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]

MiB = 1024 * 1024
GiB = 1024 * MiB
SECRET = "s3cret-local-file-content"

GOOD_TURTLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://node.example/ds/1> a dcat:Dataset ; dct:identifier "ds-1" ; dct:title "Lung CT cohort"@en .
<https://node.example/ds/2> a dcat:Dataset ; dct:identifier "ds-2" ; dct:title "Breast MRI cohort"@en .
"""
# Extension -> (rdflib serializer for the good feed, Content-Type served).
FORMATS = {
    "ttl": ("turtle", "text/turtle"),
    "nt": ("nt", "application/n-triples"),
    "rdf": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}


def _good_feed(ext: str) -> bytes:
    return Graph().parse(data=GOOD_TURTLE, format="turtle").serialize(format=FORMATS[ext][0], encoding="utf-8")


# ------------------------------------------------------------------------------------------ peak memory


class PeakRss:
    """The process's resident-set high-water mark over a block, in bytes.

    Linux resets the mark when 5 is written to /proc/self/clear_refs, so the figure is the peak of this block and
    not of the tests before it. Where that is not allowed, ru_maxrss (the peak of the whole process life) is
    used: never lower than the block's peak, so the assertion can only be stricter.
    """

    def __enter__(self) -> PeakRss:
        gc.collect()
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._reset = True
        except OSError:
            self._reset = False
        return self

    def __exit__(self, *exc: object) -> None:
        status = Path("/proc/self/status").read_text() if self._reset else ""
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        self.peak = int(found.group(1)) * 1024 if found else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ------------------------------------------------------------------------------------------ the harvest


@dataclass
class Feed:
    """A source whose document can be swapped between harvests, from a file or from the local server."""

    location: str
    put: Callable[[bytes], None]


def _published() -> list[tuple[str, str, str]]:
    return list(Dataset.objects.order_by("identifier").values_list("identifier", "status", "content_hash"))


def _harvest(location: str) -> HarvestJob:
    source = HarvestSource.objects.get(location=location)
    return harvest_job_run(job_id=harvest_job_create(source=source).pk)


@pytest.fixture
def roots(tmp_path: Path, settings: Any) -> Path:
    folder = (tmp_path / "feeds").resolve()
    folder.mkdir()
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(folder)]
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = ["127.0.0.1"]
    return folder


def _file_feed(roots: Path, ext: str) -> Feed:
    path = roots / f"feed.{ext}"
    return Feed(str(path), path.write_bytes)


def _http_feed(server: HostileServer, ext: str) -> Feed:
    def put(body: bytes) -> None:
        server.serve(f"/feed.{ext}", body, FORMATS[ext][1])

    return Feed(server.url(f"/feed.{ext}"), put)


def _run_case(feed: Feed, ext: str, hostile: bytes | Callable[[], None], code: str) -> tuple[HarvestJob, int]:
    """Harvest the good feed, then the hostile one (bytes, or a callable that sets the hostile route up); return
    the failed job and the peak RSS of the hostile harvest."""
    assert code in ERROR_CODES
    feed.put(_good_feed(ext))
    harvest_source_add(name=f"hostile {ext} {HarvestJob.objects.count()}", kind="dcat_rdf", location=feed.location,
                       published=True)
    first = _harvest(feed.location)
    assert first.status == JobStatus.COMPLETED, first.error_message
    before = _published()
    assert len(before) == 2 and {status for _, status, _ in before} == {"active"}
    if callable(hostile):
        hostile()
    else:
        feed.put(hostile)
    with PeakRss() as rss:
        job = _harvest(feed.location)
    assert job.status == JobStatus.FAILED, job.report
    assert job.error_code == code, job.error_message
    assert _published() == before  # nothing withdrawn, nothing changed
    assert rss.peak < GiB, f"peak RSS {rss.peak / MiB:.0f} MiB"
    print(f"{code}: peak RSS {rss.peak / MiB:.0f} MiB")  # shown with -s: the figures quoted in the README
    return job, rss.peak


TRANSPORTS = ["file", "http"]


@pytest.fixture
def feed_for(roots: Path, server: HostileServer) -> Callable[[str, str], Feed]:
    def make(transport: str, ext: str) -> Feed:
        return _file_feed(roots, ext) if transport == "file" else _http_feed(server, ext)

    return make


# ------------------------------------------------------------------------------------------ RDF/XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/"
         xmlns:dcat="http://www.w3.org/ns/dcat#">
  <dcat:Dataset rdf:about="https://node.example/ds/1"><dct:title>&lol9;</dct:title></dcat:Dataset>
</rdf:RDF>
"""


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_billion_laughs_fails_the_job_before_any_expansion(vocab: None, feed_for: Any, transport: str) -> None:
    _run_case(feed_for(transport, "rdf"), "rdf", BILLION_LAUGHS, "xml_dtd_not_allowed")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_external_entity_naming_a_local_file_is_never_read(
    vocab: None, feed_for: Any, transport: str, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    xxe = f"""<?xml version="1.0"?>
<!doctype rdf:RDF [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/"
         xmlns:dcat="http://www.w3.org/ns/dcat#">
  <dcat:Dataset rdf:about="https://node.example/ds/1"><dct:title>&leak;</dct:title></dcat:Dataset>
</rdf:RDF>""".encode()
    job, _ = _run_case(feed_for(transport, "rdf"), "rdf", xxe, "xml_dtd_not_allowed")
    assert SECRET not in job.error_message and "secret.txt" not in job.error_message
    assert not Dataset.objects.filter(title__icontains=SECRET).exists()


# ------------------------------------------------------------------------------------------ JSON-LD


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_remote_context_is_refused_and_never_requested(
    vocab: None, feed_for: Any, transport: str, server: HostileServer
) -> None:
    server.serve("/ctx.jsonld", json.dumps({"@context": {"title": "http://purl.org/dc/terms/title"}}).encode(),
                 "application/ld+json")
    document = {"@context": server.url("/ctx.jsonld"), "@id": "https://node.example/ds/1",
                "@type": "http://www.w3.org/ns/dcat#Dataset", "title": "Changed"}
    _run_case(feed_for(transport, "jsonld"), "jsonld", json.dumps(document).encode(), "remote_context_not_allowed")
    assert "/ctx.jsonld" not in server.paths()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_file_context_is_refused_and_its_path_never_echoed(
    vocab: None, feed_for: Any, transport: str, tmp_path: Path
) -> None:
    context = tmp_path / "private-context.jsonld"
    context.write_text(json.dumps({"@context": {"title": "http://purl.org/dc/terms/title"}}))
    document = {"@context": [{"dct": "http://purl.org/dc/terms/"}, context.as_uri()],
                "@id": "https://node.example/ds/1", "@type": "http://www.w3.org/ns/dcat#Dataset", "title": "Changed"}
    job, _ = _run_case(feed_for(transport, "jsonld"), "jsonld", json.dumps(document).encode(),
                       "remote_context_not_allowed")
    assert "private-context" not in job.error_message and str(tmp_path) not in job.error_message


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_deeply_nested_json_ld_is_refused_without_recursing(vocab: None, feed_for: Any, transport: str) -> None:
    deep = b'{"@id": "https://node.example/ds/1", "http://e/p": ' + b"[" * 200_000 + b"1" + b"]" * 200_000 + b"}"
    _run_case(feed_for(transport, "jsonld"), "jsonld", deep, "json_too_deep")


def test_json_ld_with_too_many_values_is_refused(vocab: None, roots: Path) -> None:
    many = json.dumps({"@id": "https://node.example/ds/1", "http://e/p": list(range(150_000))}).encode()
    _run_case(_file_feed(roots, "jsonld"), "jsonld", many, "json_too_many_nodes")


# ------------------------------------------------------------------------------------------ resource limits


@pytest.mark.parametrize(("transport", "ext"), [("file", "nt"), ("http", "ttl")])
def test_a_huge_literal_is_refused_as_it_arrives(vocab: None, feed_for: Any, transport: str, ext: str) -> None:
    # Just under the byte cap: the literal alone is 40 times the literal cap.
    size = min(MAX_DOCUMENT_BYTES - 1024, 40 * MAX_LITERAL_CHARS)
    huge = b'<https://node.example/ds/1> <http://purl.org/dc/terms/description> "' + b"x" * size + b'" .\n'
    _run_case(feed_for(transport, ext), ext, huge, "literal_too_large")


def _flood() -> bytes:
    """The worst document the limits let through to the parser: one statement past the cap, each with a unique
    subject and a literal padded so that the whole is just under the byte cap (the most memory per statement)."""
    count = MAX_TRIPLES + 1
    shortest = b'<https://node.example/x/000000000> <http://purl.org/dc/terms/title> " 000000000"@en .\n'
    pad = b"t" * ((MAX_DOCUMENT_BYTES - MiB) // count - len(shortest))
    line = b'<https://node.example/x/%09d> <http://purl.org/dc/terms/title> "' + pad + b' %09d"@en .\n'
    flood = b"".join(line % (i, i) for i in range(count))
    assert MAX_DOCUMENT_BYTES - 2 * MiB < len(flood) < MAX_DOCUMENT_BYTES
    return flood


@pytest.mark.slow
def test_too_many_triples_stop_the_parse_at_the_cap(vocab: None, roots: Path) -> None:
    flood = _flood()
    job, peak = _run_case(_file_feed(roots, "nt"), "nt", flood, "too_many_triples")
    assert str(MAX_TRIPLES) in job.error_message and peak < GiB


def _gzip_bomb_route(decoded_mib: int) -> Callable[[Handler], None]:
    """Turtle whitespace (valid, and compressing about 1000:1) gzip-streamed, `decoded_mib` MiB once decoded."""

    def chunks() -> Iterator[bytes]:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        blank = b" " * MiB
        for _ in range(decoded_mib):
            yield compressor.compress(blank)
        yield compressor.flush()

    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nContent-Encoding: gzip\r\n"
            b"Connection: close\r\n\r\n")
    return lambda handler: handler.stream(head, chunks())


def test_a_gzip_bomb_over_http_stops_at_the_byte_cap(vocab: None, roots: Path, server: HostileServer) -> None:
    def bomb() -> None:
        server.routes["/feed.ttl"] = _gzip_bomb_route(4 * 1024)  # 4 GiB once decoded

    job, _ = _run_case(_http_feed(server, "ttl"), "ttl", bomb, "too_large")
    assert "/feed.ttl" in server.paths()
