"""The DCAT feed harvester on the real feeds in ../shared/reference, from files and over HTTP on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from catalogue.models import Dataset, DatasetStatus
from harvesters.models import JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
FEEDS = REFERENCE / "feeds"
SYNTAX_ERROR = REFERENCE / "shapes/dcat-ap-3/examples-3.0.1/example-bee-population-dataset-series-combined.ttl"

# The parse of each feed is pinned by tests/catalogue/dcat's golden files; here each feed must harvest to it.
FEED_FILES = [
    "ckanext-dcat/catalog.rdf", "ckanext-dcat/dataset_gov_de.rdf", "ckanext-dcat/dataset_gob_es.ttl",
    "ckanext-dcat/dataset_sweden.rdf", "ckanext-dcat/catalog_pod.jsonld", "ckanext-dcat/catalog_with_at_graph.jsonld",
    "udata-harvest-fixtures/sig.oreme.rdf",
]


@pytest.fixture
def roots(settings):
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(REFERENCE.resolve())]
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = ["127.0.0.1"]


def _run(name: str, location: str, **options):  # type: ignore[no-untyped-def]
    source = harvest_source_add(name=name, kind="dcat_rdf", location=location, options=options, published=True)
    return source, harvest_job_run(job_id=harvest_job_create(source=source).pk)


@pytest.mark.parametrize("feed", FEED_FILES)
def test_every_reference_feed_harvests(vocab, roots, feed):
    from catalogue.dcat.parser import format_for_path, parse_rdf

    path = FEEDS / feed
    expected = parse_rdf(path.read_bytes(), format_for_path(path)).descriptors
    _, job = _run(feed.replace("/", "-"), str(path))
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.report["datasets"]["created"] == len(expected) >= 1
    titles = {d.sort_title for d in Dataset.objects.all()}
    for descriptor in expected:
        title = descriptor.title[0].text if descriptor.title else ""
        assert any(title[:40] in t or t in title for t in titles), title


def test_the_reference_example_with_a_turtle_syntax_error_fails_its_job_cleanly(vocab, roots):
    _, job = _run("broken", str(SYNTAX_ERROR))
    assert job.status == JobStatus.FAILED
    assert job.error_code == "rdf_parse_error"
    assert "line 32" in job.error_message
    assert Dataset.objects.count() == 0


def test_a_feed_outside_the_allowed_folders_is_refused(vocab, settings):
    settings.ATLAS_HARVEST_FILE_ROOTS = []
    _, job = _run("outside", str(FEEDS / "ckanext-dcat/catalog.rdf"))
    assert job.status == JobStatus.FAILED and job.error_code == "location_not_allowed"


class _Pages(http.server.BaseHTTPRequestHandler):
    pages: dict[str, tuple[bytes, str]] = {}

    def do_GET(self) -> None:  # noqa: N802
        body, ctype = self.pages.get(self.path, (b"", ""))
        if not body:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_hydra_paging_is_followed_over_http(vocab, roots, server):
    fixtures = FEEDS / "udata-harvest-fixtures"
    page1 = (fixtures / "paged-collection-1.jsonld").read_text().replace("http://data.test.org", server)
    page2 = (fixtures / "paged-collection-2.jsonld").read_text().replace("http://data.test.org", server)
    _Pages.pages = {
        "/catalog.jsonld": (page1.encode(), "application/ld+json"),
        "/catalog.jsonld?page=2": (page2.encode(), "application/ld+json"),
    }
    source, job = _run("paged", f"{server}/catalog.jsonld")
    assert job.status == JobStatus.COMPLETED, job.error_message
    total = job.report["datasets"]["created"]
    source.refresh_from_db()
    assert source.state["pages"] == 2
    from catalogue.dcat.parser import parse_rdf

    one = len(parse_rdf(page1.encode(), "json-ld").descriptors)
    two = len(parse_rdf(page2.encode(), "json-ld").descriptors)
    assert total == one + two and one and two


def test_a_paging_loop_is_stopped(vocab, roots, server):
    fixtures = FEEDS / "udata-harvest-fixtures"
    page1 = (fixtures / "paged-collection-1.jsonld").read_text().replace(
        "http://data.test.org/catalog.jsonld?page=2", f"{server}/catalog.jsonld")
    _Pages.pages = {"/catalog.jsonld": (page1.encode(), "application/ld+json")}
    _, job = _run("loop", f"{server}/catalog.jsonld")
    assert job.status == JobStatus.FAILED and job.error_code == "paging_loop"
    assert Dataset.objects.filter(status=DatasetStatus.ACTIVE).count() == 0


def test_a_hostile_feed_is_refused_before_parsing_and_changes_nothing(vocab, roots, server):
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><rdf:RDF ' \
           b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&b;</rdf:RDF>'
    _Pages.pages = {"/feed.rdf": (bomb, "application/rdf+xml")}
    _, job = _run("bomb", f"{server}/feed.rdf")
    assert job.status == JobStatus.FAILED
    assert Dataset.objects.count() == 0
