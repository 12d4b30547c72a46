"""Pre-parse refusal of hostile RDF (PRIVACY.md 2.1 to 2.3), with the documents served by a real server and
fetched through harvesters.fetch, as a harvester would."""

from __future__ import annotations

import codecs
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from rdflib import DCAT, DCTERMS, RDF, Graph, Literal, URIRef

from harvesters import safe_rdf
from harvesters.fetch import fetch
from harvesters.safe_rdf import (
    BUNDLED_CONTEXTS,
    BoundedGraph,
    UnsafeRdfError,
    check_jsonld_structure,
    check_literal_sizes,
    check_rdf_bytes,
    inline_jsonld_contexts,
    load_jsonld,
)
from tests.harvesters.fetch.hostile_server import HostileServer, wait_for

# rdflib's own JSON-LD parser warns about its internal use of ConjunctiveGraph: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

DCAT_AP_301 = "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld"
REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference"

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
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="http://example.org/ds"><dct:title>&lol7;</dct:title></rdf:Description>
</rdf:RDF>
"""

CLEAN_RDFXML = b"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="http://example.org/ds"><dct:title>Lung CT</dct:title></rdf:Description>
</rdf:RDF>
"""


def _code(data: bytes, fmt: str, **kwargs: Any) -> str:
    with pytest.raises(UnsafeRdfError) as caught:
        check_rdf_bytes(data, fmt, **kwargs)
    return caught.value.code


# ------------------------------------------------------------------------------------------ RDF/XML, TriX


def test_billion_laughs_is_refused_before_parsing(server: HostileServer) -> None:
    server.serve("/feed.rdf", BILLION_LAUGHS, "application/rdf+xml")
    body = fetch(server.url("/feed.rdf"), accept="rdf+xml").body
    assert _code(body, "xml") == "xml_doctype_not_allowed"


def test_internal_entities_are_live_in_rdflib_which_is_why_the_prescan_exists() -> None:
    small = BILLION_LAUGHS.replace(b"&lol7;", b"&lol1;")
    graph = Graph().parse(data=small, format="xml")
    assert graph.value(URIRef("http://example.org/ds"), DCTERMS.title) == Literal("lol" * 10)
    assert _code(small, "xml") == "xml_doctype_not_allowed"


def test_external_entity_is_refused_and_nothing_is_fetched(server: HostileServer) -> None:
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY ext SYSTEM "{server.url("/secret")}"><!ENTITY file SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="http://example.org/ds"><dct:title>&ext;&file;</dct:title></rdf:Description>
</rdf:RDF>""".encode()
    server.serve("/xxe.rdf", xxe, "application/rdf+xml")
    body = fetch(server.url("/xxe.rdf"), accept="rdf+xml").body
    with pytest.raises(UnsafeRdfError) as caught:
        check_rdf_bytes(body, "application/rdf+xml")
    assert caught.value.code == "xml_doctype_not_allowed"
    assert "passwd" not in caught.value.message
    assert server.paths() == ["/xxe.rdf"]


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + b"  \n\t<!doctype rdf [<!entity a 'b'>]><rdf/>",
        b"<?xml version='1.0'?><!DocType x><rdf/>",
        b"<rdf:RDF><!ENTITY a 'b'></rdf:RDF>",  # entity without doctype: still refused
        codecs.BOM_UTF16_LE + "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x><rdf/>".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "<!DOCTYPE x><rdf/>".encode("utf-16-be"),
        "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x><rdf/>".encode("utf-16-le"),  # no BOM
        "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x><rdf/>".encode("utf-16-be"),
    ],
)
def test_dtds_are_found_through_case_bom_whitespace_and_utf16(data: bytes) -> None:
    assert _code(data, "xml") in {"xml_doctype_not_allowed", "xml_entity_not_allowed"}


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF32_LE + "<!DOCTYPE x><rdf/>".encode("utf-32-le"),
        "  <!DOCTYPE x><rdf/>".encode("utf-16-le"),  # wide encoding the scan cannot see: NUL bytes
        b"<?xml version='1.0' encoding='cp037'?>" + "<!DOCTYPE x><rdf/>".encode("cp037"),  # EBCDIC body
        b"<?xml version='1.0' encoding='UTF-7'?><rdf/>",
        codecs.BOM_UTF16_LE + b"\x00\xd8",  # lone surrogate: not UTF-16
    ],
)
def test_encodings_that_could_hide_a_dtd_are_refused(data: bytes) -> None:
    assert _code(data, "xml") == "xml_encoding_not_allowed"


def test_trix_gets_the_same_check() -> None:
    trix = b'<!DOCTYPE TriX [<!ENTITY a "b">]><TriX xmlns="http://www.w3.org/2004/03/trix/trix-1/"/>'
    assert _code(trix, "trix") == "xml_doctype_not_allowed"


def test_clean_rdfxml_passes_and_parses(server: HostileServer) -> None:
    server.serve("/ok.rdf", CLEAN_RDFXML, "application/rdf+xml")
    body = fetch(server.url("/ok.rdf"), accept="rdf+xml").body
    check_rdf_bytes(body, "xml")
    check_rdf_bytes(CLEAN_RDFXML.replace(b"UTF-8", b"ISO-8859-1"), "xml")
    graph = Graph().parse(data=body, format="xml")
    assert graph.value(URIRef("http://example.org/ds"), DCTERMS.title) == Literal("Lung CT")


def test_unknown_formats_and_oversized_documents_are_refused() -> None:
    assert _code(b"<html/>", "html") == "format_not_allowed"
    assert _code(b"<a> <b> <c> .", "n3") == "format_not_allowed"
    assert _code(b"#" * 101, "turtle", max_bytes=100) == "too_large"
    check_rdf_bytes(b"<http://a/s> <http://a/p> <http://a/o> .", "nt")


# ------------------------------------------------------------------------------------------------ JSON-LD


def _remote_context_feed(server: HostileServer) -> bytes:
    server.serve("/ctx.jsonld", json.dumps({"@context": {"title": str(DCTERMS.title)}}).encode(), "application/ld+json")
    feed = {"@context": server.url("/ctx.jsonld"), "@id": "http://example.org/ds", "title": "Lung CT"}
    server.serve("/feed.jsonld", json.dumps(feed).encode(), "application/ld+json")
    return fetch(server.url("/feed.jsonld"), accept="json-ld").body


def test_remote_context_is_refused_and_never_fetched(server: HostileServer) -> None:
    body = _remote_context_feed(server)
    with pytest.raises(UnsafeRdfError) as caught:
        load_jsonld(body)
    assert caught.value.code == "remote_context_not_allowed"
    assert "127.0.0.1" in caught.value.message and "ctx.jsonld" not in caught.value.message
    assert _code(body, "json-ld") == "remote_context_not_allowed"
    assert server.paths() == ["/feed.jsonld"]


def test_rdflib_alone_would_fetch_the_remote_context(server: HostileServer) -> None:
    """The hazard the check prevents: handed the raw document, rdflib fetches the context by itself."""
    body = _remote_context_feed(server)
    graph = Graph().parse(data=body, format="json-ld")
    assert len(graph) == 1
    assert wait_for(lambda: "/ctx.jsonld" in server.paths())


@pytest.mark.parametrize(
    "document",
    [
        {"@context": "file:///etc/passwd", "@id": "http://e/x"},
        {"@context": "FILE:///srv/blocked.jsonld"},
        {"@context": "context.jsonld"},  # relative: resolved against the feed URL and fetched
        {"@context": "https://schema.org/"},
        {"@context": "https://semiceu.github.io/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld"},
        {"@context": "http://169.254.169.254/latest/meta-data/"},
        {"@context": [DCAT_AP_301, "https://evil.example/ctx.jsonld"]},
        {"@context": {"@import": "https://evil.example/ctx.jsonld"}},
        {"@graph": [{"@id": "http://e/x", "@context": "https://evil.example/nested.jsonld"}]},
        {"@context": {"Thing": {"@id": "http://e/T", "@context": "https://evil.example/scoped.jsonld"}}},
    ],
)
def test_every_context_url_off_the_allow_list_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(UnsafeRdfError) as caught:
        load_jsonld(json.dumps(document).encode())
    assert caught.value.code == "remote_context_not_allowed"
    assert "passwd" not in caught.value.message and "blocked" not in caught.value.message


@pytest.mark.parametrize(
    "document",
    [{"@context": 5}, {"@context": [True]}, {"@context": {"@import": ["x"]}}],
)
def test_malformed_contexts_are_refused(document: dict[str, Any]) -> None:
    with pytest.raises(UnsafeRdfError) as caught:
        inline_jsonld_contexts(document)
    assert caught.value.code == "json_ld_invalid_context"


def test_allow_listed_context_is_inlined_and_rdflib_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("rdflib tried to fetch a context")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    document = {"@context": DCAT_AP_301, "@id": "http://example.org/ds", "@type": "Dataset", "title": "Lung CT"}
    obj = load_jsonld(json.dumps(document).encode())
    assert isinstance(obj["@context"], dict) and "Dataset" in obj["@context"]
    graph = Graph().parse(data=obj, format="json-ld")
    ds = URIRef("http://example.org/ds")
    assert (ds, RDF.type, DCAT.Dataset) in graph
    assert graph.value(ds, DCTERMS.title) == Literal("Lung CT")


def test_import_of_an_allow_listed_context_is_merged_with_local_terms_winning() -> None:
    document = {"@context": {"@import": DCAT_AP_301, "title": "http://example.org/myTitle"}}
    original = json.loads(json.dumps(document))
    obj = inline_jsonld_contexts(document)
    context = obj["@context"]
    assert "@import" not in context and "Dataset" in context
    assert context["title"] == "http://example.org/myTitle"
    assert document == original  # the input is not modified


def test_reference_example_with_a_remote_context_is_refused() -> None:
    path = REFERENCE / "shapes/dcat-ap-3/examples-3.0.1/example-bee-population-dataset-series-combined.jsonld"
    if not path.exists():
        pytest.skip("shared/reference not present")
    assert _code(path.read_bytes(), "json-ld") == "remote_context_not_allowed"


def test_bundled_contexts_hold_no_remote_references() -> None:
    for url in BUNDLED_CONTEXTS:
        context = safe_rdf.bundled_context(url)
        assert inline_jsonld_contexts({"@context": context})["@context"] == context


def test_an_edited_bundled_context_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    safe_rdf._bundled_document.cache_clear()
    monkeypatch.setitem(BUNDLED_CONTEXTS, DCAT_AP_301, ("dcat-ap-3.0.1.jsonld", "0" * 64))
    try:
        with pytest.raises(UnsafeRdfError) as caught:
            load_jsonld(json.dumps({"@context": DCAT_AP_301}).encode())
        assert caught.value.code == "context_corrupt"
    finally:
        safe_rdf._bundled_document.cache_clear()


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deep_nesting_is_refused_without_recursion_error(server: HostileServer, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    deep = (opener * 10_000 + "1" + closer * 10_000).encode()
    with pytest.raises(RecursionError):
        json.loads(deep)  # the hazard: the stdlib parser recurses
    server.serve("/deep.jsonld", deep, "application/ld+json")
    body = fetch(server.url("/deep.jsonld"), accept="json-ld").body
    assert _code(body, "json-ld") == "json_too_deep"


def test_depth_limit_is_exact_and_brackets_in_strings_do_not_count() -> None:
    load_jsonld(("[" * 64 + "]" * 64).encode())
    assert _code(("[" * 65 + "]" * 65).encode(), "json-ld") == "json_too_deep"
    load_jsonld(json.dumps({"@id": "http://e/x", "note": "[{" * 5000 + '\\"]'}).encode())
    with pytest.raises(UnsafeRdfError) as caught:
        check_jsonld_structure([[[1]]], max_depth=2)
    assert caught.value.code == "json_too_deep"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (json.dumps(list(range(100_000))).encode(), "json_too_many_nodes"),
        (b'{"a": NaN}', "json_invalid"),
        (b'{"a": -Infinity}', "json_invalid"),
        (b'{"@id": "http://e/a", "@id": "http://e/b"}', "json_duplicate_key"),
        (b'{"n": ' + b"9" * 5000 + b"}", "json_invalid"),
        (b'{"a": "\xff"}', "json_invalid"),
        (b'{"a": ', "json_invalid"),
        (b"x" * 101, "too_large"),
    ],
)
def test_hostile_json_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(UnsafeRdfError) as caught:
        load_jsonld(data, max_bytes=100 if code == "too_large" else 50 * 1024 * 1024)
    assert caught.value.code == code


# ------------------------------------------------------------------------------------------ parsed graphs


def _ntriples(count: int) -> bytes:
    return b"".join(b"<http://e/s%d> <http://e/p> <http://e/o> .\n" % i for i in range(count))


@pytest.mark.parametrize("fmt", ["nt", "turtle", "xml", "json-ld"])
def test_bounded_graph_stops_the_parser_at_the_triple_cap(fmt: str) -> None:
    data = Graph().parse(data=_ntriples(101), format="nt").serialize(format=fmt, encoding="utf-8")
    BoundedGraph(max_triples=101).parse(data=data, format=fmt)
    with pytest.raises(UnsafeRdfError) as caught:
        BoundedGraph(max_triples=100).parse(data=data, format=fmt)
    assert caught.value.code == "too_many_triples"


def test_bounded_graph_can_cap_literals_while_parsing() -> None:
    data = b'<http://e/s> <http://e/p> "' + b"x" * 101 + b'" .\n'
    with pytest.raises(UnsafeRdfError) as caught:
        BoundedGraph(max_literal_chars=100).parse(data=data, format="nt")
    assert caught.value.code == "literal_too_large"


def test_literal_checks_on_a_parsed_graph() -> None:
    ok = Graph().parse(data=b'<http://e/s> <http://e/p> "short"@en .', format="nt")
    check_literal_sizes(ok)
    long = Graph().parse(data=b'<http://e/s> <http://e/p> "' + b"x" * (64 * 1024 + 1) + b'" .', format="nt")
    with pytest.raises(UnsafeRdfError) as caught:
        check_literal_sizes(long)
    assert caught.value.code == "literal_too_large"
    check_literal_sizes(long, max_chars=128 * 1024)
    huge_int = b'<http://e/s> <http://e/p> "' + b"9" * 5000 + b'"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    ill = Graph().parse(data=huge_int, format="nt")
    with pytest.raises(UnsafeRdfError) as caught:
        check_literal_sizes(ill)
    assert caught.value.code == "literal_ill_typed"
    check_literal_sizes(ill, refuse_ill_typed=False)
