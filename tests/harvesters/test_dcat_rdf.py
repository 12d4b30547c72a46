"""The DCAT feed harvester on the project's own feeds (tests/data/feeds) and the shipped official examples, from
files and over HTTP on 127.0.0.1; the same checks on the real third-party feeds form the interoperability set
(marked `interop`: they read the reference corpus, config.paths.reference_dir())."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from catalogue.dcat.parser import format_for_path, parse_rdf
from catalogue.models import Dataset, DatasetStatus
from config.paths import DCAT_AP_EXAMPLES_DIR, TEST_DATA_DIR, reference_dir
from harvesters.models import JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

pytestmark = pytest.mark.django_db

FEEDS = TEST_DATA_DIR / "feeds"
SYNTAX_ERROR = DCAT_AP_EXAMPLES_DIR / "example-bee-population-dataset-series-combined.ttl"
PROJECT_FEEDS = sorted(p.name for p in FEEDS.iterdir() if p.suffix != ".md")
# Base URLs of the project's Hydra feeds, replaced by the local server's URL in the HTTP tests.
PAGED_BASE = "https://feeds.carpathian-imaging.example"
PARTIAL_BASE = "https://data.pannonia-imaging.example"
HYDRA_STYLES = {
    "paged-collection": ("hydra-paged-collection-1.jsonld", "hydra-paged-collection-2.jsonld", PAGED_BASE),
    "partial-collection-view": ("hydra-partial-collection-1.jsonld", "hydra-partial-collection-2.jsonld", PARTIAL_BASE),
}

# The interoperability set: real third-party feeds in the reference corpus (their parse is pinned by the
# interoperability goldens of tests/catalogue/dcat; here each must harvest to it).
REFERENCE_FEEDS = [
    "ckanext-dcat/catalog.rdf", "ckanext-dcat/dataset_gov_de.rdf", "ckanext-dcat/dataset_gob_es.ttl",
    "ckanext-dcat/dataset_sweden.rdf", "ckanext-dcat/catalog_pod.jsonld", "ckanext-dcat/catalog_with_at_graph.jsonld",
    "udata-harvest-fixtures/sig.oreme.rdf",
]
REFERENCE_HYDRA_STYLES = {
    "paged-collection": ("paged-collection-1.jsonld", "paged-collection-2.jsonld"),
    "partial-collection-view": ("partial-collection-1.jsonld", "partial-collection-2.jsonld"),
}
REFERENCE_BASE = "http://data.test.org"


def _corpus_feeds() -> Path:
    corpus = reference_dir()
    assert corpus is not None, "the interoperability set needs a reference corpus (ATLAS_REFERENCE_DIR)"
    return corpus / "feeds"


@pytest.fixture
def roots(settings):  # type: ignore[no-untyped-def]
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(FEEDS.resolve()), str(DCAT_AP_EXAMPLES_DIR.resolve())]
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = ["127.0.0.1"]


@pytest.fixture
def reference_roots(settings):  # type: ignore[no-untyped-def]
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(_corpus_feeds().resolve())]
    settings.ATLAS_HARVEST_PRIVATE_HOSTS = ["127.0.0.1"]


def _run(name: str, location: str, **options):  # type: ignore[no-untyped-def]
    source = harvest_source_add(name=name, kind="dcat_rdf", location=location, options=options, published=True)
    return source, harvest_job_run(job_id=harvest_job_create(source=source).pk)


def _harvests_to_its_parse(path: Path, name: str) -> None:
    """The feed's job completes and creates one dataset per descriptor of the parse, with its title."""
    parsed = parse_rdf(path.read_bytes(), format_for_path(path))
    source, job = _run(name, str(path))
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.report["datasets"]["created"] == len(parsed.descriptors) >= 1
    titles = {d.sort_title for d in Dataset.objects.all()}
    for descriptor in parsed.descriptors:
        variants = [t.text for t in descriptor.title] or [""]  # the sort title is one of them (English first)
        assert any(v[:40] in t or t in v for v in variants for t in titles), variants
    source.refresh_from_db()
    # A file is one document: its next-page link is recorded, never followed.
    assert source.state.get("paging_not_followed") == parsed.next_page


@pytest.mark.parametrize("feed", PROJECT_FEEDS)
def test_every_project_feed_harvests(vocab, roots, feed):
    _harvests_to_its_parse(FEEDS / feed, feed.rsplit(".", 1)[0])


@pytest.mark.interop
@pytest.mark.parametrize("feed", REFERENCE_FEEDS)
def test_every_reference_feed_harvests(vocab, reference_roots, feed):
    _harvests_to_its_parse(_corpus_feeds() / feed, feed.replace("/", "-"))


def test_the_official_example_with_a_turtle_syntax_error_fails_its_job_cleanly(vocab, roots):
    _, job = _run("broken", str(SYNTAX_ERROR))
    assert job.status == JobStatus.FAILED
    assert job.error_code == "rdf_parse_error"
    assert "line 32" in job.error_message
    assert Dataset.objects.count() == 0


def test_a_feed_outside_the_allowed_folders_is_refused(vocab, settings):
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(DCAT_AP_EXAMPLES_DIR.resolve())]
    _, job = _run("outside", str(FEEDS / "nordlys-catalog.rdf"))
    assert job.status == JobStatus.FAILED and job.error_code == "location_not_allowed"
    assert Dataset.objects.count() == 0


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


def _follows_two_pages(server: str, page1: str, page2: str) -> None:
    """Serve two pages at /catalog.jsonld and /catalog.jsonld?page=2; the harvest reads both, once each."""
    _Pages.pages = {
        "/catalog.jsonld": (page1.encode(), "application/ld+json"),
        "/catalog.jsonld?page=2": (page2.encode(), "application/ld+json"),
    }
    source, job = _run("paged", f"{server}/catalog.jsonld")
    assert job.status == JobStatus.COMPLETED, job.error_message
    source.refresh_from_db()
    assert source.state["pages"] == 2
    one = len(parse_rdf(page1.encode(), "json-ld").descriptors)
    two = len(parse_rdf(page2.encode(), "json-ld").descriptors)
    assert job.report["datasets"]["created"] == one + two and one and two
    assert Dataset.objects.filter(status=DatasetStatus.ACTIVE).count() == one + two


@pytest.mark.parametrize("style", sorted(HYDRA_STYLES))
def test_hydra_paging_is_followed_over_http(vocab, roots, server, style):
    first, last, base = HYDRA_STYLES[style]
    page1, page2 = ((FEEDS / name).read_text(encoding="utf-8").replace(base, server) for name in (first, last))
    _follows_two_pages(server, page1, page2)


@pytest.mark.interop
@pytest.mark.parametrize("style", sorted(REFERENCE_HYDRA_STYLES))
def test_the_reference_hydra_paging_is_followed_over_http(vocab, reference_roots, server, style):
    fixtures = _corpus_feeds() / "udata-harvest-fixtures"
    page1, page2 = ((fixtures / name).read_text().replace(REFERENCE_BASE, server) for name in REFERENCE_HYDRA_STYLES[style])
    _follows_two_pages(server, page1, page2)


def _stops_the_loop(server: str, page1: str) -> None:
    _Pages.pages = {"/catalog.jsonld": (page1.encode(), "application/ld+json")}
    _, job = _run("loop", f"{server}/catalog.jsonld")
    assert job.status == JobStatus.FAILED and job.error_code == "paging_loop"
    assert Dataset.objects.filter(status=DatasetStatus.ACTIVE).count() == 0


def test_a_paging_loop_is_stopped(vocab, roots, server):
    page1 = (FEEDS / "hydra-paged-collection-1.jsonld").read_text(encoding="utf-8")
    _stops_the_loop(server, page1.replace(f"{PAGED_BASE}/catalog.jsonld?page=2", f"{server}/catalog.jsonld"))


@pytest.mark.interop
def test_a_reference_paging_loop_is_stopped(vocab, reference_roots, server):
    page1 = (_corpus_feeds() / "udata-harvest-fixtures" / "paged-collection-1.jsonld").read_text()
    _stops_the_loop(server, page1.replace(f"{REFERENCE_BASE}/catalog.jsonld?page=2", f"{server}/catalog.jsonld"))


def test_a_hostile_feed_is_refused_before_parsing_and_changes_nothing(vocab, roots, server):
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><rdf:RDF ' \
           b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&b;</rdf:RDF>'
    _Pages.pages = {"/feed.rdf": (bomb, "application/rdf+xml")}
    _, job = _run("bomb", f"{server}/feed.rdf")
    assert job.status == JobStatus.FAILED
    assert Dataset.objects.count() == 0
