"""The streaming writers produce the same graph in every syntax, with escaping done right."""

from __future__ import annotations

import io

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from catalogue.dcat.namespaces import DCAT, DCT, RDF_TYPE, XSD
from catalogue.dcat.writers import FORMATS, Blank, Lit, RdfXmlWriter, is_iri, writer_for

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

PARSERS = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}
NASTY = 'quote " backslash \\ newline\n tab\t cr\r emoji \U0001f9ec accents éß <tag> & ; , . # @en'


def _write(fmt: str, blocks) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer = writer_for(fmt, out)
    writer.start()
    writer.blocks(blocks)
    writer.end()
    return out.getvalue(), writer


BLOCKS = [
    ("https://x.example/ds/1", [
        (RDF_TYPE, DCAT.Dataset),
        (DCT.title, Lit(NASTY, "en")),
        (DCT.title, Lit("plain")),
        (DCT.description, Lit("", "")),
        (DCAT.byteSize, Lit("42", dt=XSD.nonNegativeInteger)),
        (DCT.issued, Lit("2021", dt=XSD.gYear)),
        (DCAT.keyword, Lit("x", dt=XSD.string)),
        (DCT.relation, "https://x.example/path.with.dots."),
        (DCT.source, "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("http://example.org/other-vocab#prop-1", Lit("property of a namespace without a prefix")),
        (DCAT.contactPoint, Blank([(RDF_TYPE, "http://www.w3.org/2006/vcard/ns#Kind"),
                                   ("http://www.w3.org/2006/vcard/ns#fn", Lit(NASTY)),
                                   (DCT.hasPart, Blank([(DCT.title, Lit("nested twice"))]))])),
    ]),
    ("https://x.example/ds/2", [(DCT.title, Lit("second"))]),
]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_writer_writes_the_graph_the_n_triples_writer_writes(fmt: str) -> None:
    reference = Graph().parse(data=_write("nt", BLOCKS)[0], format="nt")
    text, writer = _write(fmt, BLOCKS)
    graph = Graph().parse(data=text, format=PARSERS[fmt])
    assert isomorphic(graph, reference)
    assert len(graph) == writer.triples == 16  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_literals_keep_quotes_backslashes_newlines_and_unicode(fmt: str) -> None:
    graph = Graph().parse(data=_write(fmt, BLOCKS)[0], format=PARSERS[fmt])
    titles = set(graph.objects(URIRef("https://x.example/ds/1"), URIRef(DCT.title)))
    assert Literal(NASTY, lang="en") in titles
    assert Literal("42", datatype=URIRef(XSD.nonNegativeInteger)) in set(graph.objects(None, URIRef(DCAT.byteSize)))


def test_an_iri_with_forbidden_characters_is_percent_encoded_not_written_raw() -> None:
    text, _ = _write("nt", [("https://x.example/a b", [(DCT.relation, 'https://x.example/<"q">')])])
    assert "<https://x.example/a%20b> <http://purl.org/dc/terms/relation> <https://x.example/%3C%22q%22%3E> ." in text
    assert not is_iri("https://x.example/a b") and is_iri("urn:x:y")


def test_xml_cannot_carry_control_characters_so_they_are_replaced_and_counted() -> None:
    text, writer = _write("rdf", [("https://x.example/ds", [(DCT.title, Lit("bell\x07 and nul\x00"))])])
    graph = Graph().parse(data=text, format="xml")
    assert str(next(graph.objects())) == "bell\ufffd and nul\ufffd"
    assert writer.replaced_characters == 2  # type: ignore[attr-defined]


def test_a_property_without_an_xml_name_at_its_end_is_refused_in_rdf_xml() -> None:
    with pytest.raises(ValueError, match="cannot write property"):
        RdfXmlWriter._element("https://x.example/123/")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        writer_for("yaml", io.StringIO())
