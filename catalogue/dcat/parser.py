"""Parse DCAT-AP 2/3, HealthDCAT-AP and EUCAIM RDF into `DatasetDescriptor`s, with the profiles' own tables.

The parser reads what real catalogues publish, leniently: namespace and vocabulary-host variants are mapped
onto the official IRIs (`catalogue.dcat.namespaces`), literals may carry language tags or not, agents may be
blank or named nodes, and a value of the wrong datatype becomes a `FieldWarning` on its field, never a crash.
A document that is not RDF raises `RdfParseError` (typed, with line and column when the syntax says where).

It never fetches anything: it gets bytes and a format name. A JSON-LD `@context` that names a remote document
is replaced by a bundled copy (`BUNDLED_CONTEXTS`) or one the caller passes in `contexts`; any other remote
context is an `RdfParseError` naming it, before rdflib sees the document.

A parse returns the descriptors (guid = the dataset IRI, or its dct:identifier for a blank node; sorted by
guid), each with its warnings, plus document-level warnings and the Hydra next-page link if the feed is paged.
"""

from __future__ import annotations

import copy
import json
import logging
import warnings
import xml.sax
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import rdflib
from rdflib import Graph
from rdflib.exceptions import ParserError
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import BNode, Literal, URIRef

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
from catalogue.errors import AtlasError

__all__ = [
    "BUNDLED_CONTEXTS",
    "DEFAULT_BASE_IRI",
    "GraphIndex",
    "ParseResult",
    "RdfParseError",
    "format_for_path",
    "load_graph",
    "parse_graph",
    "parse_rdf",
]

DEFAULT_BASE_IRI = "https://harvest.invalid/"
"""Base for relative IRIs in a document without one (.invalid: it can never be dereferenced by mistake)."""

_CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"
BUNDLED_CONTEXTS: dict[str, str] = {
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld": "dcat-ap-3.0.1.jsonld",
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld#": "dcat-ap-3.0.1.jsonld",
    "https://raw.githubusercontent.com/SEMICeu/DCAT-AP/master/releases/3.0.1/context/dcat-ap.jsonld":
        "dcat-ap-3.0.1.jsonld",
}
"""Remote JSON-LD context URL -> bundled file in catalogue/dcat/contexts (see its README for provenance)."""

FORMATS: dict[str, str] = {
    "ttl": "turtle", "turtle": "turtle", "text/turtle": "turtle",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt",
    "rdf": "xml", "xml": "xml", "rdfxml": "xml", "rdf/xml": "xml", "application/rdf+xml": "xml",
    "jsonld": "json-ld", "json-ld": "json-ld", "application/ld+json": "json-ld",
}
"""Accepted format names and media types -> rdflib parser name."""

_FORMAT_LABELS = {"turtle": "Turtle", "nt": "N-Triples", "xml": "RDF/XML", "json-ld": "JSON-LD"}
_MAX_CONTEXT_DEPTH = 16
MAX_JSON_DEPTH = 64
MAX_JSON_NODES = 100_000
MAX_TRIPLES = 500_000
"""Resource limits of PRIVACY.md §2.2-2.3 (the fetcher caps the bytes; these cap what the bytes may expand to)."""


class RdfParseError(AtlasError):
    """The document is not RDF in the given format, or needs something the parser will not fetch."""

    code = "rdf_parse_error"

    def __init__(
        self, message: str, *, fmt: str, line: int | None = None, column: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.format = fmt
        self.line = line
        self.column = column


def format_for_path(path: str | Path) -> str:
    """The format name of a file from its extension (.ttl, .nt, .rdf/.xml, .jsonld/.json)."""
    name = str(path).lower()
    for suffix, fmt in ((".ttl", "turtle"), (".nt", "nt"), (".rdf", "xml"), (".xml", "xml"), (".jsonld", "json-ld"),
                        (".json", "json-ld")):
        if name.endswith(suffix):
            return fmt
    raise ValueError(f"cannot tell the RDF format of {path}; name it .ttl, .nt, .rdf or .jsonld")


# ================================================================================================ JSON-LD


@lru_cache(maxsize=8)
def _bundled(name: str) -> Any:
    return json.loads((_CONTEXT_DIR / name).read_text(encoding="utf-8"))


def _context_document(url: str, extra: Mapping[str, Any]) -> Any:
    """The `@context` value of a remote context, from the caller's map or the bundle; never from the network."""
    document = extra.get(url)
    if document is None and url in BUNDLED_CONTEXTS:
        document = _bundled(BUNDLED_CONTEXTS[url])
    if document is None:
        raise RdfParseError(
            f"JSON-LD remote context {url!r} is not bundled and will not be fetched; "
            "inline it or pass it in `contexts`",
            fmt="json-ld", code="remote_context",
        )
    return copy.deepcopy(document.get("@context", document) if isinstance(document, dict) else document)


def _inline_context(value: Any, extra: Mapping[str, Any], depth: int) -> Any:
    if depth > _MAX_CONTEXT_DEPTH:
        raise RdfParseError("JSON-LD contexts nest too deeply (a cycle?)", fmt="json-ld", code="context_depth")
    if isinstance(value, str):
        return _inline_context(_context_document(value, extra), extra, depth + 1)
    if isinstance(value, list):
        return [_inline_context(v, extra, depth) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        if "@import" in value:
            imported = _inline_context(value["@import"], extra, depth + 1)
            if not isinstance(imported, dict):
                raise RdfParseError("a JSON-LD @import must name one context object", fmt="json-ld")
            out.update(imported)
        for key, item in value.items():
            if key == "@import":
                continue
            if isinstance(item, dict) and "@context" in item:
                item = {**item, "@context": _inline_context(item["@context"], extra, depth + 1)}
            out[key] = item
        return out
    return value


def _check_shape(document: Any) -> None:
    """Refuse JSON deeper than MAX_JSON_DEPTH or with more than MAX_JSON_NODES values (walked iteratively)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > MAX_JSON_DEPTH or nodes > MAX_JSON_NODES:
            limit = f"deeper than {MAX_JSON_DEPTH}" if depth > MAX_JSON_DEPTH else f"more than {MAX_JSON_NODES} values"
            raise RdfParseError(f"JSON-LD document refused: {limit}", fmt="json-ld", code="too_large")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _inline_contexts(document: Any, extra: Mapping[str, Any], depth: int = 0) -> Any:
    """Replace every `@context` reference in a JSON-LD document with its (bundled) content."""
    if isinstance(document, list):
        return [_inline_contexts(item, extra, depth) for item in document]
    if isinstance(document, dict):
        out = {}
        for key, value in document.items():
            if key == "@context":
                out[key] = _inline_context(value, extra, 0)
            else:
                out[key] = _inline_contexts(value, extra, depth)
        return out
    return document


# ================================================================================================ loading


@contextmanager
def _parsing_environment() -> Iterator[None]:
    """Keep the source's lexical forms and keep rdflib quiet while a document is parsed.

    rdflib rewrites literals it can normalise ("2022-01-01T10:00:00Z" becomes "...+00:00", "tru" becomes
    "false"), which would change dates on a round trip and hide bad values; `NORMALIZE_LITERALS` is a module
    global in rdflib, so it is switched off for the parse and restored after (harvest parses run one per
    worker process). rdflib also logs a traceback and warns for every ill-typed literal: the parser reports
    those as FieldWarnings instead.
    """
    logger = logging.getLogger("rdflib.term")
    muted = logging.Filter("-")  # a logger name no record has: rejects every record
    logger.addFilter(muted)
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
            yield
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
        logger.removeFilter(muted)


def _syntax_position(exc: BadSyntax) -> tuple[int | None, int | None]:
    try:
        text: bytes | str = exc._str  # type: ignore[attr-defined]
        index: int = exc._i  # type: ignore[attr-defined]
        newline = b"\n" if isinstance(text, bytes) else "\n"
        line = text.count(newline, 0, index) + 1  # type: ignore[arg-type]
        column = index - (text.rfind(newline, 0, index) + 1) + 1  # type: ignore[arg-type]
        return line, column
    except (AttributeError, TypeError):
        return None, None


def load_graph(
    data: bytes | str,
    fmt: str,
    *,
    base_iri: str = DEFAULT_BASE_IRI,
    contexts: Mapping[str, Any] | None = None,
) -> Graph:
    """Parse a document into an rdflib graph, or raise `RdfParseError` (never fetches anything)."""
    rdflib_format = FORMATS.get(fmt.lower())
    if rdflib_format is None:
        raise ValueError(f"unknown RDF format {fmt!r}; use one of {', '.join(sorted(set(FORMATS)))}")
    label = _FORMAT_LABELS[rdflib_format]
    if rdflib_format == "json-ld":
        try:
            document = json.loads(data)
        except json.JSONDecodeError as exc:
            raise RdfParseError(f"JSON-LD is not JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                                fmt=rdflib_format, line=exc.lineno, column=exc.colno) from exc
        except UnicodeDecodeError as exc:
            raise RdfParseError(f"JSON-LD is not UTF-8: {exc}", fmt=rdflib_format) from exc
        except RecursionError as exc:
            raise RdfParseError("JSON-LD document refused: nested too deeply", fmt=rdflib_format,
                                code="too_large") from exc
        _check_shape(document)
        data = json.dumps(_inline_contexts(document, contexts or {}))
    elif rdflib_format == "xml":
        head = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            # RDF/XML never needs a DTD, and entity declarations are how billion-laughs and XXE payloads
            # start (PRIVACY.md §2.1): refuse them before the XML parser sees the document.
            raise RdfParseError("RDF/XML with a DOCTYPE or ENTITY declaration is refused", fmt=rdflib_format,
                                code="dtd_refused")
    graph = Graph()
    try:
        with _parsing_environment():
            graph.parse(data=data, format=rdflib_format, publicID=base_iri)
    except BadSyntax as exc:
        line, column = _syntax_position(exc)
        why = getattr(exc, "_why", str(exc))
        raise RdfParseError(f"{label} syntax error at line {line}, column {column}: {why}",
                            fmt=rdflib_format, line=line, column=column) from exc
    except xml.sax.SAXParseException as exc:
        line, column = exc.getLineNumber(), exc.getColumnNumber()
        raise RdfParseError(f"{label} syntax error at line {line}, column {column}: {exc.getMessage()}",
                            fmt=rdflib_format, line=line, column=column) from exc
    except RecursionError as exc:
        raise RdfParseError(f"{label} refused: nested too deeply", fmt=rdflib_format, code="too_large") from exc
    except (ParserError, ValueError, TypeError, KeyError, AttributeError, SyntaxError) as exc:
        # rdflib's parsers raise assorted exception types for malformed input (ParserError, ValueError for a
        # bad IRI or language tag, KeyError/TypeError from JSON-LD shapes it does not expect...): all of them
        # mean "this document is not valid RDF", which is what the caller must be told.
        raise RdfParseError(f"{label} could not be parsed: {exc}", fmt=rdflib_format) from exc
    if len(graph) > MAX_TRIPLES:
        raise RdfParseError(f"{label} document refused: {len(graph)} triples, more than {MAX_TRIPLES}",
                            fmt=rdflib_format, code="too_large")
    return graph


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
    """The atlas base URL (to read minted series IRIs back as keys); "" when Django is not configured."""
    if explicit is not None:
        return explicit
    try:
        from django.conf import settings

        return str(getattr(settings, "ATLAS_BASE_URL", ""))
    except Exception:  # noqa: BLE001 - settings not configured: a standalone parse has no atlas base URL
        return ""


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

