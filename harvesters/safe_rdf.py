"""Safety checks on RDF bytes before any RDF parser sees them (PRIVACY.md §3, 2.1 to 2.3).

rdflib is built to fetch: its RDF/XML and TriX parsers use ``xml.sax`` without entity hardening (billion
laughs, RDFLib#3440), and its JSON-LD parser loads every ``@context`` URL through ``urllib`` with no
timeout and no address check, ``file:`` included (RDFLib#1369, Sonatype-2021-4223). So a harvester never
hands fetched bytes to rdflib directly:

* RDF/XML and TriX: ``check_rdf_bytes`` refuses any ``<!DOCTYPE`` or ``<!ENTITY`` (RDF/XML never needs a
  DTD), after decoding the bytes the way Expat would (BOM, UTF-16 without BOM) so an encoding trick cannot
  hide one; encodings other than Expat's built-in UTF-8 / UTF-16 / ISO-8859-1 / US-ASCII are refused for the
  same reason.
* JSON-LD: ``load_jsonld`` parses the JSON itself under a byte cap, refuses nesting deeper than 64 (checked
  on the raw text *before* ``json.loads``, whose C scanner recurses and raises RecursionError on 10k levels)
  and documents of more than 100k values, NaN/Infinity and duplicate keys, and replaces every ``@context`` /
  ``@import`` URL on the allow-list with a bundled local copy; any other URL (``file:``, relative, unknown
  host) is refused. Parse the returned object with ``Graph().parse(data=obj, format="json-ld")``: with
  only inline contexts left, rdflib has nothing to fetch.
* Turtle, N-Triples, N-Quads, TriG: byte cap only; their grammars cannot include or fetch anything.
* After or during the parse: ``BoundedGraph`` stops a parse at 500k triples, ``check_literal_sizes`` refuses
  literals over 64 KB and ill-typed literals (an integer of 5000 digits is a refusal, not a crash).

Duplicate JSON keys are refused although JSON (RFC 8259: names "SHOULD be unique") and JSON-LD do not
forbid them outright: parsers disagree on which value wins, and PRIVACY.md 2.5 / ASVS 13.1.1 ask for one
reading of a document everywhere. The JSON-LD we harvest is machine-written, which never needs duplicates.

``install_audit_hook`` (defined in ``harvesters.fetch``, re-exported here) is the process-wide backstop for
harvest workers: an ``urllib.Request`` or an unexpected ``socket.connect`` raises.
"""

from __future__ import annotations

import codecs
import copy
import hashlib
import json
import re
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from rdflib import Graph, Literal
from rdflib.plugins.stores.memory import Memory

from harvesters.base import HarvestError
from harvesters.fetch import install_audit_hook

__all__ = [
    "BUNDLED_CONTEXTS",
    "BoundedGraph",
    "BoundedMemory",
    "UnsafeRdfError",
    "check_jsonld_structure",
    "check_literal_sizes",
    "check_rdf_bytes",
    "inline_jsonld_contexts",
    "install_audit_hook",
    "load_jsonld",
]

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_JSON_NODES = 100_000
MAX_TRIPLES = 500_000
MAX_LITERAL_CHARS = 64 * 1024

# Context URL -> (bundled file in harvesters/contexts/, its SHA-256). Only contexts we ship a verified copy
# of: the file's hash is checked on load so an edited copy is noticed. schema.org is NOT listed: no official
# offline copy was available to bundle, and a context we cannot pin is one we would have to fetch.
# DCAT-AP 3.0.0's context differs from 3.0.1's (e.g. applicableLegislation), so it is not mapped to this
# file either. The http: spelling maps to the same copy: nothing is fetched, so the scheme carries no risk.
_DCAT_AP_301 = ("dcat-ap-3.0.1.jsonld", "9294fc1019ba6eb847c6c42e76e68a6689dfbc17a971866c92514834a89b84ab")
BUNDLED_CONTEXTS: dict[str, tuple[str, str]] = {
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld": _DCAT_AP_301,
    "http://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld": _DCAT_AP_301,
}

_XML_FORMATS = frozenset({"xml", "rdf+xml", "rdfxml", "application/rdf+xml", "pretty-xml", "trix", "application/trix"})
_JSONLD_FORMATS = frozenset({"json-ld", "jsonld", "ld+json", "application/ld+json"})
_TEXT_FORMATS = frozenset(
    {
        "turtle",
        "ttl",
        "text/turtle",
        "n-triples",
        "nt",
        "nt11",
        "ntriples",
        "application/n-triples",
        "nquads",
        "application/n-quads",
        "trig",
        "application/trig",
    }
)

# Expat's built-in encodings. Others go through pyexpat's unknown-encoding handler, where a declared
# single-byte codec (EBCDIC cp037, say) would turn bytes our scan reads as harmless into "<!DOCTYPE".
_XML_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin-1", "latin1"})
_XML_DECL_ENCODING = re.compile(r"""\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_XML_DTD = re.compile(r"<!doctype", re.IGNORECASE)
_XML_ENTITY = re.compile(r"<!entity", re.IGNORECASE)
# A JSON string (skipped whole, escapes included) or one bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class UnsafeRdfError(HarvestError):
    """An RDF document refused before (or while) parsing. Messages name the rule, never document content."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


# --------------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------------


def check_rdf_bytes(data: bytes, fmt: str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
    """Refuse ``data`` (an RDF document in format ``fmt``) if parsing it could expand entities, fetch a
    resource or exhaust memory; return None when it may be parsed (with inline contexts for JSON-LD: use
    ``load_jsonld`` to get them)."""
    key = fmt.strip().lower()
    if len(data) > max_bytes:
        raise UnsafeRdfError(f"document of {len(data)} bytes exceeds the {max_bytes} byte cap", code="too_large")
    if key in _XML_FORMATS:
        _check_xml(data)
    elif key in _JSONLD_FORMATS:
        load_jsonld(data, max_bytes=max_bytes)
    elif key not in _TEXT_FORMATS:
        raise UnsafeRdfError(f"RDF format {fmt[:40]!r} is not accepted for harvesting", code="format_not_allowed")


# --------------------------------------------------------------------------------------------------------
# RDF/XML, TriX
# --------------------------------------------------------------------------------------------------------


def _xml_text(data: bytes) -> str:
    """The document as Expat would read it, for scanning. Single-byte views are fine: the markup we look
    for is ASCII."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        raise UnsafeRdfError("XML in UTF-32 is not accepted", code="xml_encoding_not_allowed")
    utf16: str | None = None
    if data.startswith(codecs.BOM_UTF16_LE):
        utf16 = "utf-16-le"
        data = data[2:]
    elif data.startswith(codecs.BOM_UTF16_BE):
        utf16 = "utf-16-be"
        data = data[2:]
    elif data[:2] == b"<\x00":
        utf16 = "utf-16-le"
    elif data[:2] == b"\x00<":
        utf16 = "utf-16-be"
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise UnsafeRdfError("XML declared as UTF-16 does not decode", code="xml_encoding_not_allowed") from exc
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        text = data.decode("latin-1")
    if "\x00" in text:
        # NUL is never allowed in XML; in a single-byte view it means a UTF-16/32 document we did not
        # recognise (for instance one starting with whitespace), whose markup the scan would not see.
        raise UnsafeRdfError("XML contains NUL bytes or an unrecognised wide encoding", code="xml_encoding_not_allowed")
    declared = _XML_DECL_ENCODING.match(text)
    if declared is not None:
        encoding = declared.group(1).strip().lower()
        ok = encoding in ("utf-16", "utf16") if utf16 is not None else encoding in _XML_ENCODINGS
        if not ok:
            raise UnsafeRdfError(f"XML encoding {encoding[:30]!r} is not accepted", code="xml_encoding_not_allowed")
    return text


def _check_xml(data: bytes) -> None:
    """Refuse DTDs and entity declarations anywhere in the document (case-insensitive). A CDATA section
    quoting "<!DOCTYPE html>" is refused too: a false positive we accept for a check that cannot be fooled."""
    text = _xml_text(data)
    if _XML_DTD.search(text):
        raise UnsafeRdfError("XML document has a DOCTYPE (DTD): refused", code="xml_doctype_not_allowed")
    if _XML_ENTITY.search(text):
        raise UnsafeRdfError("XML document declares an ENTITY: refused", code="xml_entity_not_allowed")


# --------------------------------------------------------------------------------------------------------
# JSON-LD
# --------------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise UnsafeRdfError(f"JSON constant {name} is not allowed", code="json_invalid")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise UnsafeRdfError(f"duplicate JSON key {key[:60]!r}", code="json_duplicate_key")
        obj[key] = value
    return obj


def _check_raw_depth(text: str, max_depth: int) -> None:
    """Bracket depth of the raw JSON text, strings skipped: runs before json.loads, which recurses."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        char = text[match.start()]
        if char == "[" or char == "{":
            depth += 1
            if depth > max_depth:
                raise UnsafeRdfError(f"JSON nesting deeper than {max_depth}", code="json_too_deep")
        elif char == "]" or char == "}":
            depth -= 1


def check_jsonld_structure(obj: Any, *, max_depth: int = MAX_JSON_DEPTH, max_nodes: int = MAX_JSON_NODES) -> None:
    """Refuse a parsed JSON value nested deeper than ``max_depth`` or with more than ``max_nodes`` values
    (objects, arrays and scalars). Iterative, so a deep value cannot raise RecursionError here."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise UnsafeRdfError(f"JSON document has more than {max_nodes} values", code="json_too_many_nodes")
        if isinstance(value, dict):
            if depth > max_depth:
                raise UnsafeRdfError(f"JSON nesting deeper than {max_depth}", code="json_too_deep")
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            if depth > max_depth:
                raise UnsafeRdfError(f"JSON nesting deeper than {max_depth}", code="json_too_deep")
            stack.extend((child, depth + 1) for child in value)
        elif not (value is None or isinstance(value, (str, int, float, bool))):
            raise UnsafeRdfError(f"not a JSON value: {type(value).__name__}", code="json_invalid")


def load_jsonld(
    data: bytes,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
    max_nodes: int = MAX_JSON_NODES,
) -> Any:
    """Parse and check a JSON-LD document; return it with every allow-listed context inlined, ready for
    ``Graph().parse(data=obj, format="json-ld")``. Raises UnsafeRdfError on anything refused."""
    if len(data) > max_bytes:
        raise UnsafeRdfError(f"document of {len(data)} bytes exceeds the {max_bytes} byte cap", code="too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsafeRdfError("JSON-LD is not valid UTF-8", code="json_invalid") from exc
    _check_raw_depth(text, max_depth)
    try:
        obj = json.loads(text, object_pairs_hook=_unique_object, parse_constant=_reject_constant)
    except RecursionError as exc:  # the raw scan makes this unreachable; kept as a refusal, not a crash
        raise UnsafeRdfError("JSON nesting too deep", code="json_too_deep") from exc
    except ValueError as exc:  # JSONDecodeError, and int() over 4300 digits
        raise UnsafeRdfError(f"JSON-LD does not parse: {exc.__class__.__name__}", code="json_invalid") from exc
    return inline_jsonld_contexts(obj, max_depth=max_depth, max_nodes=max_nodes)


def _describe_url(url: str) -> str:
    """Scheme and host of a refused context URL: enough to act on, without echoing a path or query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "an unparseable URL"
    if parts.scheme and parts.hostname:
        return f"{parts.scheme}://{parts.hostname[:80]}/…"
    if parts.scheme:
        return f"a {parts.scheme[:20]}: URL"
    return "a relative URL"


@cache
def _bundled_document(filename: str, sha256: str) -> dict[str, Any]:
    raw = resources.files("harvesters").joinpath("contexts", filename).read_bytes()
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise UnsafeRdfError(f"bundled context {filename} does not match its pinned hash", code="context_corrupt")
    document = json.loads(raw)
    if not isinstance(document, dict) or not isinstance(document.get("@context"), dict):
        raise UnsafeRdfError(f"bundled context {filename} has no @context object", code="context_corrupt")
    return document


def bundled_context(url: str) -> dict[str, Any]:
    """A fresh copy of the ``@context`` object of the bundled document for an allow-listed context URL."""
    entry = BUNDLED_CONTEXTS.get(url)
    if entry is None:
        raise UnsafeRdfError(
            f"JSON-LD context {_describe_url(url)} is not on the allow-list; nothing was fetched",
            code="remote_context_not_allowed",
        )
    return copy.deepcopy(_bundled_document(*entry)["@context"])


def _inline_context_value(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        return bundled_context(value)
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, str):
                out.append(bundled_context(item))
            elif item is None or isinstance(item, dict):
                out.append(item)
            else:
                raise UnsafeRdfError("JSON-LD @context array holds an invalid entry", code="json_ld_invalid_context")
        return out
    raise UnsafeRdfError("JSON-LD @context has an invalid value", code="json_ld_invalid_context")


def inline_jsonld_contexts(obj: Any, *, max_depth: int = MAX_JSON_DEPTH, max_nodes: int = MAX_JSON_NODES) -> Any:
    """Return a copy of ``obj`` where every ``@context`` URL (top level, nested node, scoped context in a
    term definition) is replaced by the bundled copy of that context, and every ``@import`` is merged in
    (the importing context's own terms win, as JSON-LD 1.1 and rdflib do). A URL without a bundled copy
    raises ``UnsafeRdfError(code="remote_context_not_allowed")``: ``file:`` and relative URLs included.

    A key spelled ``@context`` inside a ``@json`` literal is treated the same way: over-strict, harmless.
    """
    check_jsonld_structure(obj, max_depth=max_depth, max_nodes=max_nodes)
    result = copy.deepcopy(obj)  # recursion is safe: depth was checked just above
    stack: list[Any] = [result]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        if "@import" in value:
            imported = value["@import"]
            if not isinstance(imported, str):
                raise UnsafeRdfError("JSON-LD @import must be a URL", code="json_ld_invalid_context")
            merged = bundled_context(imported)
            merged.update((k, v) for k, v in value.items() if k != "@import")
            value.clear()
            value.update(merged)
        if "@context" in value:
            value["@context"] = _inline_context_value(value["@context"])
        stack.extend(value.values())
    return result


# --------------------------------------------------------------------------------------------------------
# Parsed graphs
# --------------------------------------------------------------------------------------------------------


def _check_literal(literal: Literal, max_chars: int, refuse_ill_typed: bool) -> None:
    if len(literal) > max_chars:
        raise UnsafeRdfError(f"literal longer than {max_chars} characters", code="literal_too_large")
    if refuse_ill_typed and literal.ill_typed:
        raise UnsafeRdfError(f"ill-typed literal of datatype {literal.datatype}", code="literal_ill_typed")


def check_literal_sizes(graph: Graph, *, max_chars: int = MAX_LITERAL_CHARS, refuse_ill_typed: bool = True) -> None:
    """Refuse a parsed graph with a literal over ``max_chars`` characters, or (by default) an ill-typed
    literal such as an xsd:integer of 5000 digits, which Python 3.11 cannot convert: a refusal, not a
    crash later in the importer."""
    for _subject, _predicate, obj in graph:
        if isinstance(obj, Literal):
            _check_literal(obj, max_chars, refuse_ill_typed)


class BoundedMemory(Memory):
    """rdflib's in-memory store with a cap on the statements one parse may add.

    The cap sits in the store, not in ``Graph.add``: the JSON-LD parser wraps the target graph's store in a
    ConjunctiveGraph of its own, and every parser ends in ``Store.add`` (``Store.addN`` calls it too).
    """

    def __init__(self, *, max_triples: int, max_literal_chars: int | None = None) -> None:
        super().__init__()
        self.max_triples = max_triples
        self.max_literal_chars = max_literal_chars
        self.statements_added = 0

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.statements_added += 1
        if self.statements_added > self.max_triples:
            raise UnsafeRdfError(f"document has more than {self.max_triples} triples", code="too_many_triples")
        obj = triple[2]
        if self.max_literal_chars is not None and isinstance(obj, Literal):
            _check_literal(obj, self.max_literal_chars, refuse_ill_typed=False)
        super().add(triple, context, quoted)


class BoundedGraph(Graph):
    """A Graph whose parse stops once a document has produced ``max_triples`` statements, so the cap holds
    while parsing (memory stays bounded) rather than being checked after the damage; optionally it also
    refuses a literal over ``max_literal_chars`` as it arrives. Parse one document per BoundedGraph."""

    def __init__(self, *, max_triples: int = MAX_TRIPLES, max_literal_chars: int | None = None, **kwargs: Any) -> None:
        super().__init__(store=BoundedMemory(max_triples=max_triples, max_literal_chars=max_literal_chars), **kwargs)

    @property
    def statements_added(self) -> int:
        store = self.store
        assert isinstance(store, BoundedMemory)
        return store.statements_added
