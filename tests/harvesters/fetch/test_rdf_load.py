"""The checks of the one RDF load path (catalogue.dcat.load, docs/privacy.md §3, 2.1 to 2.3), rule by rule, with
hostile documents served by a real server on 127.0.0.1 and fetched through harvesters.fetch as a harvester would.
The same inputs through the whole harvest (job, report, memory) are in tests/harvesters/hostile/."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib import DCAT, DCTERMS, RDF, Graph, Literal, URIRef

from catalogue.dcat import load
from catalogue.dcat.load import (
    BUNDLED_CONTEXTS,
    ERROR_CODES,
    BoundedGraph,
    RdfParseError,
    load_graph,
    read_document,
    read_jsonld,
)
from config import paths
from harvesters.fetch import fetch
from tests.harvesters.fetch.hostile_server import HostileServer, wait_for

# rdflib's own JSON-LD parser warns about its internal use of ConjunctiveGraph: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

DCAT_AP_301 = "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld"
# The official DCAT-AP 3.0.1 example whose @context names the examples' remote context (shipped in the repository).
COMBINED_JSONLD = paths.DCAT_AP_EXAMPLES_DIR / "example-bee-population-dataset-series-combined.jsonld"

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


def _code(data: bytes | str, fmt: str, **kwargs: Any) -> str:
    with pytest.raises(RdfParseError) as caught:
        load_graph(data, fmt, **kwargs)
    assert caught.value.code in ERROR_CODES
    return caught.value.code


# ------------------------------------------------------------------------------------------ the code table


def test_every_code_the_module_raises_is_in_the_table_once() -> None:
    source = Path(load.__file__).read_text(encoding="utf-8")
    raised = set(re.findall(r'code="([a-z_]+)"', source)) | set(re.findall(r'_refused\([^)]*?"([a-z_]+)"\)', source))
    raised |= set(re.findall(r'"([a-z_]+)",?\s*\)\s*$', source, re.MULTILINE)) & set(ERROR_CODES)
    assert raised and raised <= set(ERROR_CODES), raised - set(ERROR_CODES)
    assert {"remote_context_not_allowed", "xml_dtd_not_allowed", "json_too_deep", "too_many_triples",
            "literal_too_large"} <= set(ERROR_CODES)
    assert "remote_context" not in ERROR_CODES and "dtd_refused" not in ERROR_CODES
    with pytest.raises(AssertionError):
        RdfParseError("x", fmt="nt", code="a_code_nobody_listed")


# ------------------------------------------------------------------------------------------ RDF/XML


def test_billion_laughs_is_refused_before_parsing(server: HostileServer) -> None:
    server.serve("/feed.rdf", BILLION_LAUGHS, "application/rdf+xml")
    body = fetch(server.url("/feed.rdf"), accept="rdf+xml").body
    assert _code(body, "xml") == "xml_dtd_not_allowed"


def test_internal_entities_are_live_in_rdflib_which_is_why_the_prescan_exists() -> None:
    small = BILLION_LAUGHS.replace(b"&lol7;", b"&lol1;")
    graph = Graph().parse(data=small, format="xml")
    assert graph.value(URIRef("http://example.org/ds"), DCTERMS.title) == Literal("lol" * 10)
    assert _code(small, "xml") == "xml_dtd_not_allowed"


def test_external_entity_is_refused_and_nothing_is_fetched(server: HostileServer) -> None:
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY ext SYSTEM "{server.url("/secret")}"><!ENTITY file SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="http://example.org/ds"><dct:title>&ext;&file;</dct:title></rdf:Description>
</rdf:RDF>""".encode()
    server.serve("/xxe.rdf", xxe, "application/rdf+xml")
    body = fetch(server.url("/xxe.rdf"), accept="rdf+xml").body
    with pytest.raises(RdfParseError) as caught:
        load_graph(body, "application/rdf+xml")
    assert caught.value.code == "xml_dtd_not_allowed"
    assert "passwd" not in caught.value.message
    assert server.paths() == ["/xxe.rdf"]


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + b"  \n\t<!doctype rdf [<!entity a 'b'>]><rdf/>",
        b"<?xml version='1.0'?><!DocType x><rdf/>",
        b"<?xml version='1.0'?>\n<!doctype rdf:RDF [<!ENTITY a SYSTEM 'file:///etc/passwd'>]><rdf/>",
        b"<rdf:RDF><!ENTITY a 'b'></rdf:RDF>",  # entity without doctype: still refused
        b"<rdf:RDF><!entity a 'b'></rdf:RDF>",
        codecs.BOM_UTF16_LE + "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x><rdf/>".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "<!DOCTYPE x><rdf/>".encode("utf-16-be"),
        "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x><rdf/>".encode("utf-16-le"),  # no BOM
        "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x><rdf/>".encode("utf-16-be"),
    ],
)
def test_dtds_are_found_through_case_bom_whitespace_and_utf16(data: bytes) -> None:
    assert _code(data, "xml") == "xml_dtd_not_allowed"


def test_a_lower_case_doctype_given_as_text_is_refused_too() -> None:
    """The parser's old check was case-sensitive on bytes: `<!doctype` and a str document went through."""
    assert _code("<!doctype r [<!ENTITY a 'b'>]><rdf:RDF/>", "rdf") == "xml_dtd_not_allowed"


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


def test_clean_rdfxml_passes_and_parses(server: HostileServer) -> None:
    server.serve("/ok.rdf", CLEAN_RDFXML, "application/rdf+xml")
    body = fetch(server.url("/ok.rdf"), accept="rdf+xml").body
    graph = load_graph(body, "xml")
    assert graph.value(URIRef("http://example.org/ds"), DCTERMS.title) == Literal("Lung CT")
    assert len(load_graph(CLEAN_RDFXML.replace(b"UTF-8", b"ISO-8859-1"), "xml")) == 1


def test_unknown_formats_are_the_callers_mistake_and_oversized_documents_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for fmt in ("html", "n3", "trix"):
        with pytest.raises(ValueError, match="unknown RDF format"):
            load_graph(b"<a> <b> <c> .", fmt)
    monkeypatch.setattr(load, "MAX_DOCUMENT_BYTES", 100)
    assert _code(b"#" * 101, "turtle") == "too_large"
    assert len(load_graph(b"<http://a/s> <http://a/p> <http://a/o> .", "nt")) == 1


def test_a_file_is_read_up_to_the_cap_and_never_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "feed.nt"
    path.write_bytes(b"#" * 101)
    assert read_document(path) == b"#" * 101
    monkeypatch.setattr(load, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(RdfParseError) as caught:
        read_document(path)
    assert caught.value.code == "too_large"
    with pytest.raises(RdfParseError):
        read_document("/dev/zero")  # endless: a read to the end would never return


# ------------------------------------------------------------------------------------------------ JSON-LD


def _remote_context_feed(server: HostileServer) -> bytes:
    server.serve("/ctx.jsonld", json.dumps({"@context": {"title": str(DCTERMS.title)}}).encode(), "application/ld+json")
    feed = {"@context": server.url("/ctx.jsonld"), "@id": "http://example.org/ds", "title": "Lung CT"}
    server.serve("/feed.jsonld", json.dumps(feed).encode(), "application/ld+json")
    return fetch(server.url("/feed.jsonld"), accept="json-ld").body


def test_remote_context_is_refused_and_never_fetched(server: HostileServer) -> None:
    body = _remote_context_feed(server)
    with pytest.raises(RdfParseError) as caught:
        load_graph(body, "json-ld")
    assert caught.value.code == "remote_context_not_allowed"
    assert "127.0.0.1/ctx.jsonld" in caught.value.message  # host and path: what a curator needs to bundle it
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
        {"@context": "http://169.254.169.254/latest/meta-data/?token=secret"},
        {"@context": [DCAT_AP_301, "https://evil.example/ctx.jsonld"]},
        {"@context": {"@import": "https://evil.example/ctx.jsonld"}},
        {"@graph": [{"@id": "http://e/x", "@context": "https://evil.example/nested.jsonld"}]},
        {"@context": {"Thing": {"@id": "http://e/T", "@context": "https://evil.example/scoped.jsonld"}}},
    ],
)
def test_every_context_url_off_the_allow_list_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(RdfParseError) as caught:
        read_jsonld(json.dumps(document).encode())
    assert caught.value.code == "remote_context_not_allowed"
    for secret in ("passwd", "blocked", "token", "secret"):
        assert secret not in caught.value.message


@pytest.mark.parametrize(
    "document",
    [{"@context": 5}, {"@context": [True]}, {"@context": {"@import": ["x"]}}],
)
def test_malformed_contexts_are_refused(document: dict[str, Any]) -> None:
    assert _code(json.dumps(document), "json-ld") == "json_ld_invalid_context"


def test_allow_listed_context_is_inlined_and_rdflib_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("rdflib tried to fetch a context")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    document = {"@context": DCAT_AP_301, "@id": "http://example.org/ds", "@type": "Dataset", "title": "Lung CT"}
    obj = read_jsonld(json.dumps(document).encode())
    assert isinstance(obj["@context"], dict) and "Dataset" in obj["@context"]
    graph = load_graph(json.dumps(document), "json-ld")
    ds = URIRef("http://example.org/ds")
    assert (ds, RDF.type, DCAT.Dataset) in graph
    assert graph.value(ds, DCTERMS.title) == Literal("Lung CT")


def test_a_top_level_array_parses_like_its_graph() -> None:
    nodes = [{"@context": DCAT_AP_301, "@id": f"http://example.org/ds/{i}", "@type": "Dataset"} for i in range(3)]
    graph = load_graph(json.dumps(nodes), "json-ld")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 3


def test_import_of_an_allow_listed_context_is_merged_with_local_terms_winning() -> None:
    document = {"@context": {"@import": DCAT_AP_301, "title": "http://example.org/myTitle"}}
    original = json.loads(json.dumps(document))
    context = read_jsonld(json.dumps(document).encode())["@context"]
    assert "@import" not in context and "Dataset" in context
    assert context["title"] == "http://example.org/myTitle"
    assert document == original  # the input is not modified


def test_context_references_are_bounded_and_cycles_refused() -> None:
    many = [{"@context": DCAT_AP_301, "@id": f"http://e/{i}"} for i in range(load.MAX_CONTEXT_REFERENCES + 1)]
    assert _code(json.dumps(many), "json-ld") == "json_ld_too_many_contexts"
    a, b = "https://offline.example/a.jsonld", "https://offline.example/b.jsonld"
    cycle = {a: {"@context": {"@import": b}}, b: {"@context": [a]}}
    assert _code(json.dumps({"@context": a}), "json-ld", contexts=cycle) == "json_ld_too_many_contexts"


def test_the_official_example_with_its_remote_examples_context_is_refused() -> None:
    assert _code(COMBINED_JSONLD.read_bytes(), "json-ld") == "remote_context_not_allowed"


def test_the_one_shipped_copy_of_the_context_is_the_official_release_file() -> None:
    official = paths.SHAPES_DIR / "dcat-ap-3" / "3.0.1" / "dcat-ap-context.jsonld"
    digest = hashlib.sha256(official.read_bytes()).hexdigest()
    assert {entry for entry in BUNDLED_CONTEXTS.values()} == {(official, digest)}
    copies = [p for p in paths.REPO_ROOT.rglob("*.jsonld") if ".venv" not in p.parts and p.stat().st_size < 10**7
              and hashlib.sha256(p.read_bytes()).hexdigest() == digest]
    assert copies == [official]


def test_bundled_contexts_hold_no_remote_references() -> None:
    for url in BUNDLED_CONTEXTS:
        context = load._bundled_context(*BUNDLED_CONTEXTS[url])
        assert read_jsonld(json.dumps({"@context": context}).encode())["@context"] == context


def test_an_edited_bundled_context_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = BUNDLED_CONTEXTS[DCAT_AP_301]
    load._bundled_context.cache_clear()
    monkeypatch.setitem(BUNDLED_CONTEXTS, DCAT_AP_301, (path, "0" * 64))
    try:
        assert _code(json.dumps({"@context": DCAT_AP_301}), "json-ld") == "context_corrupt"
    finally:
        load._bundled_context.cache_clear()


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
    read_jsonld(("[" * 64 + "]" * 64).encode())
    assert _code(("[" * 65 + "]" * 65).encode(), "json-ld") == "json_too_deep"
    read_jsonld(json.dumps({"@id": "http://e/x", "note": "[{" * 5000 + '\\"]'}).encode())


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
        (b'"just a string"', "rdf_parse_error"),
    ],
)
def test_hostile_json_is_refused(data: bytes, code: str) -> None:
    assert _code(data, "json-ld") == code


# ------------------------------------------------------------------------------------------ the bounded parse


def _ntriples(count: int) -> bytes:
    return b"".join(b"<http://e/s%d> <http://e/p> <http://e/o> .\n" % i for i in range(count))


@pytest.mark.parametrize("fmt", ["nt", "turtle", "xml", "json-ld"])
def test_bounded_graph_stops_the_parser_at_the_triple_cap(fmt: str) -> None:
    data = Graph().parse(data=_ntriples(101), format="nt").serialize(format=fmt, encoding="utf-8")
    assert len(BoundedGraph(max_triples=101).parse(data=data, format=fmt)) == 101
    graph = BoundedGraph(max_triples=100)
    with pytest.raises(RdfParseError) as caught:
        graph.parse(data=data, format=fmt)
    assert caught.value.code == "too_many_triples"
    assert graph.statements_added == 101  # stopped at the first statement past the cap, not after the parse


def test_load_graph_stops_at_max_triples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "BoundedGraph", lambda: BoundedGraph(max_triples=50))
    assert _code(_ntriples(51), "nt") == "too_many_triples"
    assert load.MAX_TRIPLES == BoundedGraph().store.max_triples  # type: ignore[attr-defined]


def test_a_literal_over_the_cap_is_refused_as_it_arrives() -> None:
    huge = b'<http://e/s> <http://e/p> "' + b"x" * (load.MAX_LITERAL_CHARS + 1) + b'" .\n'
    assert _code(huge, "nt") == "literal_too_large"
    just = b'<http://e/s> <http://e/p> "' + b"x" * load.MAX_LITERAL_CHARS + b'" .\n'
    assert len(load_graph(just, "nt")) == 1
    with pytest.raises(RdfParseError) as caught:
        BoundedGraph(max_literal_chars=100).parse(data=b'<http://e/s> <http://e/p> "' + b"x" * 101 + b'" .', format="nt")
    assert caught.value.code == "literal_too_large"


def test_an_ill_typed_literal_is_kept_for_the_profiles_to_warn_about() -> None:
    huge_int = b'<http://e/s> <http://e/p> "' + b"9" * 5000 + b'"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    (literal,) = load_graph(huge_int, "nt").objects()
    assert isinstance(literal, Literal) and literal.ill_typed


def test_lexical_forms_are_kept_and_rdflib_normalisation_restored_even_in_parallel() -> None:
    before = rdflib.NORMALIZE_LITERALS
    doc = b'<http://e/s> <http://e/p> "2022-01-01T10:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    results: list[str] = []

    def parse() -> None:
        for _ in range(20):
            results.append(str(next(iter(load_graph(doc, "nt").objects()))))

    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"2022-01-01T10:00:00Z"} and len(results) == 80
    with pytest.raises(RdfParseError):
        load_graph(b"<broken", "nt")
    assert rdflib.NORMALIZE_LITERALS == before


@pytest.mark.parametrize(("opener", "closer"), [(b"[ <http://e/p> ", b" ]"), (b"( ", b")")])
def test_turtle_nested_past_the_parsers_recursion_is_a_refusal_not_a_crash(opener: bytes, closer: bytes) -> None:
    doc = b"<http://e/s> <http://e/p> " + opener * 5000 + b"<http://e/o>" + closer * 5000 + b" ."
    assert _code(doc, "ttl") == "rdf_too_deep"


def test_a_syntax_error_says_where() -> None:
    with pytest.raises(RdfParseError) as caught:
        load_graph(b"@prefix dct: <http://purl.org/dc/terms/> .\n<a> dct:title \"x\" \"y\" .", "ttl")
    assert (caught.value.code, caught.value.line, caught.value.format) == ("rdf_parse_error", 2, "turtle")


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("bomb.rdf", BILLION_LAUGHS, "xml_dtd_not_allowed"),
        ("ctx.jsonld", json.dumps({"@context": "file:///etc/passwd", "@id": "http://e/x"}).encode(),
         "remote_context_not_allowed"),
    ],
)
def test_validate_dcat_reads_its_file_through_the_same_load_path(tmp_path: Path, name: str, data: bytes,
                                                                 code: str) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=rf"\[{code}\]"):
        call_command("validate_dcat", str(path))
