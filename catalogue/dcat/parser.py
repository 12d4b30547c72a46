"""Parse DCAT-AP 2/3, HealthDCAT-AP and EUCAIM RDF into `DatasetDescriptor`s, with the profiles' own tables.

The parser reads what real catalogues publish, leniently: namespace and vocabulary-host variants are mapped
onto the official IRIs (`catalogue.dcat.namespaces`), literals may carry language tags or not, agents may be
blank or named nodes, and a value of the wrong datatype becomes a `FieldWarning` on its field, never a crash.

Bytes become a graph in one place only, `catalogue.dcat.load.load_graph` (checks before the parse, a bounded
parse, never a fetch); `parse_rdf` goes through it, and a document it refuses or cannot parse raises its
`RdfParseError` (re-exported here, with line and column when the syntax says where).

A parse returns the descriptors (guid = the dataset IRI, or its dct:identifier for a blank node; sorted by
guid), each with its warnings, plus document-level warnings and the Hydra next-page link if the feed is paged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from rdflib import Graph
from rdflib.term import BNode, Literal, URIRef

from catalogue.dcat.load import DEFAULT_BASE_IRI, RdfParseError, format_for_path, load_graph
from catalogue.dcat.namespaces import DCAT, DCT, HYDRA, RDF_TYPE, normalise_namespace
from catalogue.dcat.profiles import (
    EucaimProfile,
    GraphIndexProtocol,
    Node,
    Profile,
    ReadContext,
    parse_doi,
    read_fields,
)
from catalogue.dcat.writers import is_iri
from catalogue.descriptors import DatasetDescriptor, Identifier

__all__ = [
    "DEFAULT_BASE_IRI",
    "GraphIndex",
    "ParseResult",
    "RdfParseError",
    "format_for_path",
    "load_graph",
    "parse_graph",
    "parse_rdf",
]


# ================================================================================================ reading


class GraphIndex(GraphIndexProtocol):
    """subject -> predicate (namespace-normalised, plain str) -> sorted objects, built in one pass."""

    def __init__(self, graph: Graph) -> None:
        index: dict[Node, dict[str, list[Node]]] = {}
        for s, p, o in graph:
            subject = cast(Node, s)
            index.setdefault(subject, {}).setdefault(normalise_namespace(str(p)), []).append(cast(Node, o))
        self._index = index
        self._signatures: dict[BNode, str] = {}
        for props in index.values():
            for values in props.values():
                if len(values) > 1:
                    values.sort(key=self._sort_key)

    def _signature(self, node: BNode, depth: int = 0) -> str:
        """A content-based stand-in for a blank node's random label, so sorting (and picking) is stable."""
        if node in self._signatures:
            return self._signatures[node]
        parts = []
        for predicate, values in sorted(self._index.get(node, {}).items()):
            for value in values:
                text = self._signature(value, depth + 1) if isinstance(value, BNode) and depth < 3 else str(value)
                parts.append(f"{predicate}={text}")
        signature = "[" + ";".join(sorted(parts)) + "]"
        self._signatures[node] = signature
        return signature

    def _sort_key(self, node: Node) -> tuple[int, str, str]:
        if isinstance(node, URIRef):
            return 0, "", str(node)
        if isinstance(node, Literal):
            return 1, f"{node.language or ''}|{node.datatype or ''}", str(node)
        return 2, "", self._signature(node)  # type: ignore[arg-type]

    def props(self, node: Node) -> dict[str, list[Node]]:
        return self._index.get(node, {})

    def types(self, node: Node) -> set[str]:
        return {normalise_namespace(str(t)) for t in self._index.get(node, {}).get(RDF_TYPE, ())}

    def subjects(self) -> list[Node]:
        return list(self._index)

    def objects_of(self, predicate: str) -> list[Node]:
        return [o for props in self._index.values() for o in props.get(predicate, ())]


@dataclass(frozen=True)
class ParseResult:
    """What a document said: its datasets (with per-dataset warnings), document warnings, the next page."""

    descriptors: tuple[DatasetDescriptor, ...]
    warnings: tuple[str, ...] = ()
    next_page: str | None = None
    triples: int = 0


def _atlas_base_url(explicit: str | None) -> str:
    """The atlas base URL (to read minted series IRIs back as keys), unless the caller gives one."""
    if explicit is not None:
        return explicit
    from config.app_settings import app_settings

    return app_settings.ATLAS_BASE_URL


def _dataset_nodes(index: GraphIndex, profile: Profile, doc_warnings: list[str]) -> list[Node]:
    """Typed datasets, and untyped ones a catalogue links with dcat:dataset when this document describes them
    (a paged feed links every dataset from every page but describes each on one page only)."""
    excluded = {DCAT.DatasetSeries, DCAT.Catalog, DCAT.DataService}
    nodes = [s for s in index.subjects() if profile.DATASET_CLASS in index.types(s)]
    if profile.DATASET_CLASS == DCAT.Dataset:
        linked = [o for o in index.objects_of(DCAT.dataset) if not isinstance(o, Literal)]
        undescribed = [o for o in dict.fromkeys(linked) if not index.props(o)]
        if undescribed:
            doc_warnings.append(f"{len(undescribed)} linked dataset(s) not described in this document: skipped")
        nodes += [o for o in linked if index.props(o)]
    return [node for node in dict.fromkeys(nodes) if not (index.types(node) & excluded)]


def _next_page(index: GraphIndex) -> str | None:
    links = sorted(
        str(o) for p in (HYDRA.nextPage, HYDRA.next) for o in index.objects_of(p) if not isinstance(o, BNode)
    )
    return links[0] if links else None


def _read_dataset(
    node: Node, index: GraphIndex, profile: Profile, base_url: str, doc_warnings: list[str]
) -> DatasetDescriptor | None:
    rctx = ReadContext(index, base_url=base_url, profile=profile)
    values = read_fields(profile.FIELDS, node, rctx)
    identifiers = [str(o).strip() for o in index.props(node).get(DCT.identifier, ()) if isinstance(o, Literal)]
    if isinstance(node, URIRef):
        guid = original_iri = str(node)
    elif identifiers:
        guid, original_iri = identifiers[0], ""
    else:
        titles = values.get("title") or ()
        name = repr(titles[0].text) if titles else "without a title"
        doc_warnings.append(f"a blank-node dataset {name} has no dct:identifier: skipped (no stable guid)")
        return None
    others = list(values.pop("other_identifiers", ()))
    known = {i.value for i in others}
    for identifier in identifiers:
        if identifier in (guid, original_iri) or identifier in known:
            continue
        doi = parse_doi(identifier)
        if doi and not values.get("doi"):
            values["doi"] = doi
        elif doi and doi != values.get("doi"):
            others.append(Identifier("doi", doi))
        elif not doi:
            others.append(Identifier("iri" if is_iri(identifier) else "identifier", identifier))
    title = values.pop("title", ())
    try:
        return DatasetDescriptor(
            guid=guid, title=title, original_iri=original_iri, other_identifiers=tuple(others),
            warnings=tuple(rctx.warnings), **values,
        )
    except (TypeError, ValueError) as exc:
        doc_warnings.append(f"dataset {guid}: cannot be read: {exc}")
        return None


def parse_graph(graph: Graph, *, profile: Profile = EucaimProfile, atlas_base_url: str | None = None) -> ParseResult:
    """Read every dataset of an rdflib graph with a profile's mapping table (EUCAIM reads everything)."""
    index = GraphIndex(graph)
    base_url = _atlas_base_url(atlas_base_url)
    doc_warnings: list[str] = []
    nodes = _dataset_nodes(index, profile, doc_warnings)
    descriptors = [d for d in (_read_dataset(n, index, profile, base_url, doc_warnings) for n in nodes) if d]
    seen: set[str] = set()
    unique = []
    for descriptor in sorted(descriptors, key=lambda d: d.guid):
        if descriptor.guid in seen:
            doc_warnings.append(f"two datasets share the guid {descriptor.guid}: the second is skipped")
            continue
        seen.add(descriptor.guid)
        unique.append(descriptor)
    return ParseResult(tuple(unique), tuple(doc_warnings), _next_page(index), len(graph))


def parse_rdf(
    data: bytes | str,
    fmt: str,
    *,
    profile: Profile = EucaimProfile,
    base_iri: str = DEFAULT_BASE_IRI,
    atlas_base_url: str | None = None,
    contexts: Mapping[str, Any] | None = None,
) -> ParseResult:
    """Parse a document (bytes + format name) into descriptors; see the module docstring."""
    return parse_graph(load_graph(data, fmt, base_iri=base_iri, contexts=contexts), profile=profile,
                       atlas_base_url=atlas_base_url)

