"""The parser reads what real catalogues publish, leniently, and never fetches anything."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest

from catalogue.dcat.parser import RdfParseError, parse_rdf
from catalogue.descriptors import AgentRef, LangText

HDEU = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"
EUCAIM = "https://cancerimage.eu/ontology/EUCAIM#"

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix hyper: <https://hyperontology.eucaim.cancerimage.eu/#> .
@prefix w3hd: <https://w3id.org/healthdcat-ap#> .
@prefix hd: <http://healthdataportal.eu/ns/health#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
"""


def _one(ttl: str, **kwargs):  # type: ignore[no-untyped-def]
    result = parse_rdf((PREFIXES + ttl).encode(), "ttl", atlas_base_url="https://atlas.example.eu/", **kwargs)
    assert len(result.descriptors) == 1, result
    return result.descriptors[0]


def _codes(descriptor) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[str]] = {}
    for warning in descriptor.warnings:
        out.setdefault(warning.field, []).append(warning.code)
    return out


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the network fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the parser tried to reach the network: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_eucaim_and_healthdcat_namespace_variants_are_mapped_onto_the_official_ones() -> None:
    d = _one("""
    <https://node.example/ds/1> a dcat:Dataset ; dct:title "T"@en ;
        w3hd:healthCategory <http://publications.europa.eu/resource/authority/healthcategories/EHRS>,
            <http://13.81.34.152:1101/resource/authority/healthcategories/RQSH> ;
        w3hd:healthTheme <https://hdeu-dcat.acceptance.data.health.europa.eu/resource/authority/health-theme/CANCER> ;
        w3hd:numberOfRecords "12"^^xsd:nonNegativeInteger ;
        hyper:hasImageModality <http://dicom.nema.org/resources/ontology/DCM/CT> ;
        hyper:hasBirthSex hyper:COM1001370 ;
        adms:interoperabilityLevel <https://atlas.example.eu/vocab/tier/1> .
    """)
    assert d.health_categories == (HDEU + "healthcategories/EHRS", HDEU + "healthcategories/RQSH")
    assert d.health_themes == (HDEU + "health-theme/CANCER_DISEASE",)
    assert _codes(d) == {"health_themes": ["corrected_code"]}
    assert d.n_studies == 12
    assert d.birth_sex == (EUCAIM + "COM1001370",)
    assert d.modalities == ("http://dicom.nema.org/resources/ontology/DCM/CT",)
    assert d.tier == "https://atlas.example.eu/vocab/tier/1"


def test_the_tier_is_read_under_the_eucaim_namespace_too() -> None:
    d = _one("""<https://node.example/ds/1> a dcat:Dataset ; dct:title "T" ;
        <https://cancerimage.eu/ontology/EUCAIM#interoperabilityLevel> <https://atlas.example.eu/vocab/tier/2> .""")
    assert d.tier == "https://atlas.example.eu/vocab/tier/2"


def test_language_tagged_and_plain_literals_are_both_read() -> None:
    d = _one("""<https://node.example/ds/1> a dcat:Dataset ; dct:title "Plain", "Getagd"@nl ;
        dcat:keyword "lung"@en, "long"@nl, "CT" ; dcat:version "2"@en .""")
    assert d.title == (LangText("", "Plain"), LangText("nl", "Getagd"))
    assert d.keywords == ("CT", "long", "lung")
    assert d.version == "2"


def test_blank_and_named_agents_are_read_with_their_contact_details() -> None:
    d = _one("""<https://node.example/ds/1> a dcat:Dataset ; dct:title "T" ;
        dct:publisher [ a foaf:Organization ; foaf:name "Hospital A"@en, "Hospital A (nl)"@nl ;
                        foaf:mbox <mailto:data@a.example> ] ;
        hd:hdab <https://hdab.example/> ;
        dct:creator <https://people.example/undescribed> .
      <https://hdab.example/> a foaf:Agent ; foaf:name "HDAB" ;
        <http://data.europa.eu/m8g/contactPoint> [ <http://data.europa.eu/m8g/email> "mailto:hdab@x.example" ;
            <http://data.europa.eu/m8g/contactPage> <https://hdab.example/contact> ] .""")
    assert d.publisher == AgentRef(name="Hospital A", email="data@a.example")
    assert d.hdab == AgentRef(name="HDAB", iri="https://hdab.example/", email="hdab@x.example",
                              contact_page="https://hdab.example/contact")
    assert d.creators == ()
    assert _codes(d) == {"creators": ["agent_without_name"]}


def test_invalid_datatypes_become_field_warnings_not_crashes() -> None:
    d = _one("""<https://node.example/ds/1> a dcat:Dataset ; dct:title "T" ;
        hd:numberOfUniqueIndividuals "many"^^xsd:nonNegativeInteger ;
        hd:minTypicalAge "-3"^^xsd:integer ;
        hd:numberOfRecords "120.0"^^xsd:decimal ;
        hd:hasStructuredData "maybe"^^xsd:boolean ;
        dct:issued "2016-13-45"^^xsd:date ;
        dct:modified "yesterday" ;
        dcat:distribution [ dcat:byteSize "12 MB" ; dcat:accessURL <https://x.example/a> ] .""")
    assert (d.n_subjects, d.min_age, d.has_structured_data, d.issued, d.modified) == (None, None, None, "", "")
    assert d.n_studies == 120
    assert d.distributions[0].byte_size is None and d.distributions[0].access_urls == ("https://x.example/a",)
    assert _codes(d) == {
        "n_subjects": ["invalid_datatype"],
        "n_studies": ["coerced_datatype"],
        "min_age": ["invalid_datatype"],
        "has_structured_data": ["invalid_datatype"],
        "issued": ["invalid_datatype"],
        "modified": ["invalid_date"],
        "distributions.byte_size": ["invalid_datatype"],
    }


def test_a_blank_dataset_takes_its_identifier_as_guid_and_a_doi_identifier_becomes_the_doi() -> None:
    result = parse_rdf((PREFIXES + """
        [] a dcat:Dataset ; dct:title "Blank" ; dct:identifier "ds-42", "https://doi.org/10.1234/ABC" .
        [] a dcat:Dataset ; dct:title "No identifier" .
    """).encode(), "ttl")
    (d,) = result.descriptors
    assert (d.guid, d.original_iri, d.doi) == ("ds-42", "", "10.1234/ABC")
    assert result.warnings == ("a blank-node dataset 'No identifier' has no dct:identifier: skipped (no stable guid)",)


def test_a_paged_feed_gives_its_next_page() -> None:
    result = parse_rdf((PREFIXES + """
        <https://feed.example/?page=1> a hydra:PartialCollectionView ; hydra:next <https://feed.example/?page=2> .
        <https://feed.example/ds/1> a dcat:Dataset ; dct:title "T" .""").encode(), "ttl")
    assert result.next_page == "https://feed.example/?page=2"


def test_json_ld_with_the_bundled_dcat_ap_context_is_read_offline() -> None:
    document = {
        "@context": "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld",
        "@id": "https://node.example/ds/9",
        "@type": "Dataset",
        "title": [{"@value": "Bundled", "@language": "en"}],
        "keyword": ["imaging"],
    }
    (d,) = parse_rdf(json.dumps(document).encode(), "jsonld").descriptors
    assert d.title == (LangText("en", "Bundled"),) and d.keywords == ("imaging",)


@pytest.mark.parametrize("context", [
    "https://example.org/unknown-context.jsonld",
    ["https://example.org/unknown-context.jsonld", {"dct": "http://purl.org/dc/terms/"}],
    {"@import": "https://example.org/unknown-context.jsonld"},
])
def test_an_unknown_remote_json_ld_context_is_a_clear_error(context: object) -> None:
    document = {"@context": context, "@id": "https://node.example/ds/1", "@type": "http://www.w3.org/ns/dcat#Dataset"}
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(json.dumps(document).encode(), "jsonld")
    assert raised.value.code == "remote_context_not_allowed" and "unknown-context.jsonld" in raised.value.message


def test_a_context_passed_by_the_caller_is_used_instead_of_fetching() -> None:
    url = "https://example.org/ctx.jsonld"
    document = {"@context": url, "@id": "https://node.example/ds/1", "@type": "Dataset", "name": "Mine"}
    contexts = {url: {"@context": {"Dataset": "http://www.w3.org/ns/dcat#Dataset",
                                   "name": "http://purl.org/dc/terms/title"}}}
    (d,) = parse_rdf(json.dumps(document).encode(), "jsonld", contexts=contexts).descriptors
    assert d.title == (LangText("", "Mine"),)


@pytest.mark.parametrize("declaration", [
    b'<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "http://attacker.example/secret">]>',
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>',
])
def test_rdf_xml_with_a_dtd_is_refused_before_parsing(declaration: bytes) -> None:
    document = b"""<?xml version="1.0"?>\n""" + declaration + b"""
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/"
         xmlns:dcat="http://www.w3.org/ns/dcat#">
  <dcat:Dataset rdf:about="https://node.example/ds/1"><dct:title>A &ext; B</dct:title></dcat:Dataset>
</rdf:RDF>"""
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(document, "rdf")
    assert raised.value.code == "xml_dtd_not_allowed"


def test_json_ld_nested_beyond_the_limit_is_refused() -> None:
    document: dict[str, object] = {"@id": "https://node.example/ds/1"}
    deep = document
    for _ in range(70):
        inner: dict[str, object] = {}
        deep["http://example.org/p"] = inner
        deep = inner
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(json.dumps(document).encode(), "jsonld")
    assert raised.value.code == "json_too_deep"


@pytest.mark.parametrize(("fmt", "data", "line"), [
    ("ttl", b"@prefix dct: <http://purl.org/dc/terms/> .\n<a> dct:title \"x\" .\n<b> dct:title \"y\" \"z\" .", 3),
    ("rdf", b"<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n<oops>", 3),
    ("jsonld", b'{\n "@id": "https://x.example/",\n "oops"\n}', 4),
])
def test_syntax_errors_are_typed_and_say_where(fmt: str, data: bytes, line: int) -> None:
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(data, fmt)
    assert raised.value.line == line
    assert f"line {line}" in raised.value.message


def test_a_broken_n_triples_line_is_a_typed_error() -> None:
    with pytest.raises(RdfParseError):
        parse_rdf(b"<https://a.example/> <https://b.example/> oops .\n", "nt")


def test_an_unknown_format_name_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown RDF format"):
        parse_rdf(b"", "yaml")


def test_a_literal_longer_than_the_cap_is_refused_with_a_warning() -> None:
    long_title = "x" * 70_000
    d = _one(f'<https://node.example/ds/1> a dcat:Dataset ; dct:title "{long_title}", "Short" .')
    assert d.title == (LangText("", "Short"),)
    assert _codes(d) == {"title": ["literal_too_long"]}
