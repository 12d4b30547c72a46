"""The one way RDF enters the atlas: checks before the parse, a bounded parse, one set of limits, one code per rule.

Every RDF document from outside goes through `load_graph`: feeds harvested by `harvesters.dcat_rdf` (fetched by
`harvesters.fetch` or read from a file under ATLAS_HARVEST_FILE_ROOTS), files given to `manage.py validate_dcat`,
and `catalogue.dcat.parser.parse_rdf`, which reads descriptors from the graph it returns. Nothing else in the
project hands outside bytes to rdflib (docs/privacy.md §3, 2.1 to 2.3).

rdflib is built to fetch and to trust: its RDF/XML parser runs `xml.sax` without entity hardening (billion laughs,
RDFLib#3440), its JSON-LD parser loads every `@context` URL through `urllib` with no timeout and no address check,
`file:` included (RDFLib#1369), and its store grows until memory runs out. So, in this order:

1. Byte cap (`MAX_DOCUMENT_BYTES`), then per syntax:
   * RDF/XML: any `<!DOCTYPE` or `<!ENTITY` is refused, case-insensitively, after decoding the bytes the way
     Expat would (BOM, UTF-16 without BOM), so an encoding trick cannot hide one; encodings other than Expat's
     built-in UTF-8 / UTF-16 / ISO-8859-1 / US-ASCII are refused for the same reason. RDF/XML never needs a DTD,
     and entity declarations are how billion-laughs and XXE payloads start.
   * JSON-LD: parsed here, not by rdflib: nesting deeper than `MAX_JSON_DEPTH` is refused on the raw text
     before `json.loads` (whose C scanner recurses), then documents of more than `MAX_JSON_NODES` values,
     NaN/Infinity and duplicate keys (parsers disagree on which value wins; docs/privacy.md §3, 2.5). Every
     `@context` / `@import` URL is replaced by the bundled copy of that context (`BUNDLED_CONTEXTS`, one map,
     one file) or by a document the calling code passed in `contexts`; any other URL (http, `file:`,
     relative) is refused, and at most `MAX_CONTEXT_REFERENCES` are resolved per document (each inlined
     context is processed again by rdflib wherever it is referenced). rdflib gets the checked object, with
     nothing left to fetch.
   * Turtle, N-Triples: byte cap only; their grammars cannot include or fetch anything. N-Triples is handed to
     rdflib one line at a time (`_NTriplesLines`): its reader is quadratic in the length of a line.
2. The parse fills a `BoundedGraph`: its store refuses the statement after `MAX_TRIPLES` and any literal longer
   than `MAX_LITERAL_CHARS` as it arrives, so memory stays bounded while parsing instead of being checked after
   the damage. A syntax error is an `RdfParseError` with line and column when the parser says where.

Every refusal is an `RdfParseError` whose `code` is one of `ERROR_CODES` (one code per rule) and whose message
names the rule, never document content. The harvest job records the same code (`HarvestJob.error_code`).
"""

from __future__ import annotations

import codecs
import copy
import hashlib
import io
import json
import logging
import re
import threading
import warnings
import xml.sax
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import rdflib
from rdflib import Graph, Literal
from rdflib.exceptions import ParserError
from rdflib.parser import InputSource
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.plugins.stores.memory import Memory

from catalogue.error_codes import describe
from catalogue.errors import AtlasError
from config import paths

__all__ = [
    "BUNDLED_CONTEXTS",
    "DEFAULT_BASE_IRI",
    "ERROR_CODES",
    "FORMATS",
    "MAX_CONTEXT_REFERENCES",
    "MAX_DOCUMENT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_JSON_NODES",
    "MAX_LITERAL_CHARS",
    "MAX_TRIPLES",
    "BoundedGraph",
    "RdfParseError",
    "format_for_path",
    "load_graph",
    "read_document",
    "read_jsonld",
]

# ------------------------------------------------------------------------------------------------ limits

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Largest document accepted, after decompression (the fetcher applies it on the wire, this module again)."""
MAX_JSON_DEPTH = 64
"""Deepest JSON nesting accepted (DCAT JSON-LD needs about 8)."""
MAX_JSON_NODES = 100_000
"""Most JSON values (objects, arrays, scalars) in one JSON-LD document."""
MAX_CONTEXT_REFERENCES = 64
"""Most `@context` / `@import` URLs resolved in one JSON-LD document (a cycle between contexts stops here too)."""
MAX_TRIPLES = 200_000
"""Most statements one document may produce. Measured: rdflib's memory store costs about 1.6 KiB per statement,
so 500,000 statements took about 830 MiB of RSS before the parser's index was built; 200,000 keeps a whole
harvest of the worst document the limits allow under 1 GiB (tests/harvesters/hostile). A feed larger than this
pages (Hydra)."""
MAX_LITERAL_CHARS = 1024 * 1024
"""Longest literal accepted in a document. The profiles ignore a field value over 64 KiB with a warning
(`catalogue.dcat.profiles.MAX_LITERAL`); a literal this long is no metadata, and refuses the document."""

ERROR_CODES: dict[str, str] = {
    code: describe(code)
    for code in (
        "too_large", "xml_encoding_not_allowed", "xml_dtd_not_allowed", "json_invalid", "json_duplicate_key",
        "json_too_deep", "json_too_many_nodes", "remote_context_not_allowed", "json_ld_invalid_context",
        "json_ld_too_many_contexts", "context_corrupt", "too_many_triples", "literal_too_large", "rdf_too_deep",
        "rdf_parse_error",
    )
}
"""Every code `load_graph` raises; the meanings live in the one table, catalogue/error_codes.py."""

DEFAULT_BASE_IRI = "https://harvest.invalid/"
"""Base for relative IRIs in a document without one (.invalid: it can never be dereferenced by mistake)."""

FORMATS: dict[str, str] = {
    "ttl": "turtle", "turtle": "turtle", "text/turtle": "turtle",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt",
    "rdf": "xml", "xml": "xml", "rdfxml": "xml", "rdf/xml": "xml", "rdf+xml": "xml", "application/rdf+xml": "xml",
    "jsonld": "json-ld", "json-ld": "json-ld", "application/ld+json": "json-ld",
}
"""Accepted format names and media types -> rdflib parser name (nothing else is parsed)."""

_FORMAT_LABELS = {"turtle": "Turtle", "nt": "N-Triples", "xml": "RDF/XML", "json-ld": "JSON-LD"}

# Context URL -> (shipped file, its SHA-256). The file is the official DCAT-AP 3.0.1 release's context, shipped
# verbatim with the shapes (catalogue/dcat/shapes/dcat-ap-3/NOTICE.md, CC BY 4.0); the hash is checked on load so
# an edited copy is noticed. The http: spelling, the empty fragment and the raw Git URL of the same release file
# map to it: nothing is fetched, so the spelling carries no risk. Not mapped, hence refused: DCAT-AP 3.0.0's
# context (it differs from 3.0.1's, e.g. applicableLegislation on Catalogue: mapping it here would silently
# change terms), schema.org (no official offline copy), EUCAIM (none published). To add one, ship the official
# file with its NOTICE and add its URL(s) here with the file's SHA-256.
_DCAT_AP_301 = (
    paths.SHAPES_DIR / "dcat-ap-3" / "3.0.1" / "dcat-ap-context.jsonld",
    "9294fc1019ba6eb847c6c42e76e68a6689dfbc17a971866c92514834a89b84ab",
)
BUNDLED_CONTEXTS: dict[str, tuple[Path, str]] = {
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld": _DCAT_AP_301,
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld#": _DCAT_AP_301,
    "http://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld": _DCAT_AP_301,
    "https://raw.githubusercontent.com/SEMICeu/DCAT-AP/master/releases/3.0.1/context/dcat-ap.jsonld": _DCAT_AP_301,
}
"""The one map of JSON-LD context URLs the atlas resolves, each to a shipped file pinned by SHA-256."""


class RdfParseError(AtlasError):
    """A document refused before or while parsing, or not RDF at all. `code` is one of `ERROR_CODES`."""

    code = "rdf_parse_error"

    def __init__(
        self, message: str, *, fmt: str, line: int | None = None, column: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        assert self.code in ERROR_CODES, self.code
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


def read_document(path: str | Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of an RDF file, reading at most one byte past the cap (a huge file or a device is refused, never
    read whole). Raises OSError when the file cannot be read, `RdfParseError(code="too_large")` when it is too big."""
    limit = min(max_bytes, MAX_DOCUMENT_BYTES)
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise RdfParseError(f"the file is larger than the {limit} byte cap", fmt="", code="too_large")
    return data


# ================================================================================================ RDF/XML

# Expat's built-in encodings. Others go through pyexpat's unknown-encoding handler, where a declared single-byte
# codec (EBCDIC cp037, say) would turn bytes our scan reads as harmless into "<!DOCTYPE".
_XML_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin-1", "latin1"})
_XML_DECL_ENCODING = re.compile(r"""\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_XML_DTD = re.compile(r"<!(?:doctype|entity)", re.IGNORECASE)


def _xml_refused(message: str, code: str) -> RdfParseError:
    return RdfParseError(message, fmt="xml", code=code)


def _xml_text(data: bytes) -> str:
    """The document as Expat would read it, for scanning (single-byte views suffice: the markup sought is ASCII)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        raise _xml_refused("XML in UTF-32 is not accepted", "xml_encoding_not_allowed")
    utf16: str | None = None
    if data.startswith(codecs.BOM_UTF16_LE):
        utf16, data = "utf-16-le", data[2:]
    elif data.startswith(codecs.BOM_UTF16_BE):
        utf16, data = "utf-16-be", data[2:]
    elif data[:2] == b"<\x00":
        utf16 = "utf-16-le"
    elif data[:2] == b"\x00<":
        utf16 = "utf-16-be"
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise _xml_refused("XML declared as UTF-16 does not decode", "xml_encoding_not_allowed") from exc
    else:
        text = data.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    if "\x00" in text:
        # NUL is never allowed in XML; in a single-byte view it means a UTF-16/32 document we did not recognise
        # (one starting with whitespace, say), whose markup the scan would not see.
        raise _xml_refused("XML contains NUL bytes or an unrecognised wide encoding", "xml_encoding_not_allowed")
    declared = _XML_DECL_ENCODING.match(text)
    if declared is not None:
        encoding = declared.group(1).strip().lower()
        ok = encoding in ("utf-16", "utf16") if utf16 is not None else encoding in _XML_ENCODINGS
        if not ok:
            raise _xml_refused(f"XML encoding {encoding[:30]!r} is not accepted", "xml_encoding_not_allowed")
    return text


def _check_xml(data: bytes) -> None:
    """Refuse a DTD or an entity declaration anywhere in the document, in any letter case. A CDATA section quoting
    "<!DOCTYPE html>" is refused too: a false positive accepted for a check that cannot be fooled."""
    if _XML_DTD.search(_xml_text(data)):
        raise _xml_refused("RDF/XML with a DOCTYPE or ENTITY declaration is refused (RDF/XML never needs a DTD)",
                           "xml_dtd_not_allowed")


# ================================================================================================ JSON-LD

# A JSON string (skipped whole, escapes included) or one bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _json_refused(message: str, code: str) -> RdfParseError:
    return RdfParseError(message, fmt="json-ld", code=code)


def _reject_constant(name: str) -> Any:
    raise _json_refused(f"JSON constant {name} is not allowed", "json_invalid")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _json_refused(f"duplicate JSON key {key[:60]!r}", "json_duplicate_key")
        obj[key] = value
    return obj


def _check_raw_depth(text: str) -> None:
    """Bracket depth of the raw JSON text, strings skipped: runs before json.loads, which recurses."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        char = text[match.start()]
        if char == "[" or char == "{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise _json_refused(f"JSON nested deeper than {MAX_JSON_DEPTH}", "json_too_deep")
        elif char == "]" or char == "}":
            depth -= 1


def _check_structure(obj: Any) -> None:
    """Refuse a parsed value nested deeper than MAX_JSON_DEPTH or of more than MAX_JSON_NODES values (iterative)."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise _json_refused(f"JSON document has more than {MAX_JSON_NODES} values", "json_too_many_nodes")
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise _json_refused(f"JSON nested deeper than {MAX_JSON_DEPTH}", "json_too_deep")
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))


def _describe_url(url: str) -> str:
    """What a refusal may say of a context URL: scheme, host and path of an http(s) URL (what a curator needs to
    bundle it); never a query, credentials, or the path of a local file."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "an unparseable URL"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname:
        return f"{scheme}://{parts.hostname[:80]}{parts.path[:160]}"
    if scheme:
        return f"a {scheme[:20]}: URL"
    return "a relative URL"


@cache
def _bundled_context(path: Path, sha256: str) -> Any:
    """The `@context` value of a shipped context file, verified against its pinned hash (read once)."""
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise _json_refused(f"bundled context {path.name} does not match its pinned hash", "context_corrupt")
    document = json.loads(raw)
    if not isinstance(document, dict) or not isinstance(document.get("@context"), dict):
        raise _json_refused(f"bundled context {path.name} has no @context object", "context_corrupt")
    return document["@context"]


class _ContextResolver:
    """Resolve context URLs of one document: bundled copies or the caller's documents, each inlined once."""

    def __init__(self, contexts: Mapping[str, Any]) -> None:
        self._extra = contexts
        self._resolved: dict[str, Any] = {}
        self._references = 0

    def resolve(self, url: str) -> Any:
        self._references += 1
        if self._references > MAX_CONTEXT_REFERENCES:
            raise _json_refused(f"more than {MAX_CONTEXT_REFERENCES} JSON-LD context references (a cycle?)",
                                "json_ld_too_many_contexts")
        if url in self._resolved:
            # Shared, not copied: rdflib only reads contexts, and a copy per reference would let a document of
            # many small nodes naming one big context multiply it in memory.
            return self._resolved[url]
        if url in self._extra:
            document = self._extra[url]
            context = copy.deepcopy(document.get("@context", document) if isinstance(document, dict) else document)
        elif url in BUNDLED_CONTEXTS:
            context = copy.deepcopy(_bundled_context(*BUNDLED_CONTEXTS[url]))
        else:
            raise _json_refused(
                f"JSON-LD remote context {_describe_url(url)} is not bundled and will not be fetched",
                "remote_context_not_allowed",
            )
        self._resolved[url] = None  # a context that refers back to itself is a cycle, refused below
        inlined = self._context_value(context)
        self._resolved[url] = inlined
        return inlined

    def _context_value(self, value: Any) -> Any:
        """An inlined `@context` value: a URL becomes its context object, arrays are resolved item by item."""
        if isinstance(value, str):
            return self._checked(self.resolve(value))
        if isinstance(value, list):
            out: list[Any] = []
            for item in value:
                if isinstance(item, str):
                    out.append(self._checked(self.resolve(item)))
                elif item is None or isinstance(item, dict):
                    out.append(self.inline(item))
                else:
                    raise _json_refused("JSON-LD @context array holds an invalid entry", "json_ld_invalid_context")
            return out
        if value is None or isinstance(value, dict):
            return self.inline(value)
        raise _json_refused("JSON-LD @context has an invalid value", "json_ld_invalid_context")

    @staticmethod
    def _checked(context: Any) -> Any:
        if context is None:
            raise _json_refused("JSON-LD contexts refer to each other in a cycle", "json_ld_too_many_contexts")
        return context

    def inline(self, obj: Any) -> Any:
        """A copy of `obj` where every `@context` URL (top level, nested node, scoped context in a term definition)
        is replaced by its context and every `@import` merged in (the importing context's own terms win, as in
        JSON-LD 1.1). A key spelled `@context` inside a `@json` literal is treated the same: over-strict, harmless."""
        if isinstance(obj, list):
            return [self.inline(item) for item in obj]  # depth was checked before: recursion is bounded
        if not isinstance(obj, dict):
            return obj
        out: dict[str, Any] = {}
        if "@import" in obj:
            imported = obj["@import"]
            if not isinstance(imported, str):
                raise _json_refused("JSON-LD @import must be one URL", "json_ld_invalid_context")
            merged = self._checked(self.resolve(imported))
            if not isinstance(merged, dict):
                raise _json_refused("JSON-LD @import must name one context object", "json_ld_invalid_context")
            out.update(merged)
        for key, value in obj.items():
            if key == "@import":
                continue
            out[key] = self._context_value(value) if key == "@context" else self.inline(value)
        return out


def read_jsonld(data: bytes, *, contexts: Mapping[str, Any] | None = None) -> Any:
    """Parse and check a JSON-LD document; return it with every context inlined, ready for rdflib. Raises
    `RdfParseError` on anything refused (see the module docstring)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _json_refused("JSON-LD is not valid UTF-8", "json_invalid") from exc
    _check_raw_depth(text)
    try:
        obj = json.loads(text, object_pairs_hook=_unique_object, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise RdfParseError(f"JSON-LD is not JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                            fmt="json-ld", line=exc.lineno, column=exc.colno, code="json_invalid") from exc
    except RecursionError as exc:  # the raw scan makes this unreachable; kept as a refusal, not a crash
        raise _json_refused("JSON nesting too deep", "json_too_deep") from exc
    except ValueError as exc:  # int() over 4300 digits
        raise _json_refused(f"JSON-LD does not parse: {str(exc)[:120]}", "json_invalid") from exc
    _check_structure(obj)
    return _ContextResolver(contexts or {}).inline(obj)


# ================================================================================================ the parse


class _BoundedMemory(Memory):
    """rdflib's in-memory store with a cap on the statements one parse may add and on literal length.

    The cap sits in the store, not in `Graph.add`: the JSON-LD parser wraps the target graph's store in a
    ConjunctiveGraph of its own, and every parser ends in `Store.add` (`Store.addN` calls it too).
    """

    def __init__(self, *, max_triples: int, max_literal_chars: int) -> None:
        super().__init__()
        self.max_triples = max_triples
        self.max_literal_chars = max_literal_chars
        self.statements_added = 0

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.statements_added += 1
        if self.statements_added > self.max_triples:
            raise RdfParseError(f"document refused: more than {self.max_triples} triples", fmt="",
                                code="too_many_triples")
        obj = triple[2]
        if isinstance(obj, Literal) and len(obj) > self.max_literal_chars:
            raise RdfParseError(f"document refused: a literal longer than {self.max_literal_chars} characters",
                                fmt="", code="literal_too_large")
        super().add(triple, context, quoted)


class BoundedGraph(Graph):
    """A Graph whose parse stops at `max_triples` statements and refuses a literal over `max_literal_chars` as it
    arrives. Parse one document per BoundedGraph (the count is of statements added, not of distinct ones)."""

    def __init__(self, *, max_triples: int = MAX_TRIPLES, max_literal_chars: int = MAX_LITERAL_CHARS,
                 **kwargs: Any) -> None:
        super().__init__(store=_BoundedMemory(max_triples=max_triples, max_literal_chars=max_literal_chars), **kwargs)

    @property
    def statements_added(self) -> int:
        store = self.store
        assert isinstance(store, _BoundedMemory)
        return store.statements_added


_environment_lock = threading.Lock()
_environment_users = 0
_environment_saved: tuple[warnings.catch_warnings, bool, logging.Filter] | None = None


@contextmanager
def _parsing_environment() -> Iterator[None]:
    """Keep the source's lexical forms and keep rdflib quiet while documents are parsed.

    rdflib rewrites literals it can normalise ("2022-01-01T10:00:00Z" becomes "...+00:00", "tru" becomes "false"),
    which would change dates on a round trip and hide bad values; `NORMALIZE_LITERALS` is a module global, so it
    is switched off while any parse runs and restored when the last one ends (the worker's threads pool parses in
    parallel threads). rdflib also logs and warns for every ill-typed literal: the profiles report those as
    FieldWarnings instead.
    """
    global _environment_users, _environment_saved
    with _environment_lock:
        if _environment_users == 0:
            caught = warnings.catch_warnings()
            caught.__enter__()
            warnings.simplefilter("ignore", UserWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
            muted = logging.Filter("-")  # a logger name no record has: rejects every record
            logging.getLogger("rdflib.term").addFilter(muted)
            _environment_saved = (caught, rdflib.NORMALIZE_LITERALS, muted)
            rdflib.NORMALIZE_LITERALS = False
        _environment_users += 1
    try:
        yield
    finally:
        with _environment_lock:
            _environment_users -= 1
            if _environment_users == 0 and _environment_saved is not None:
                caught, normalize, muted = _environment_saved
                rdflib.NORMALIZE_LITERALS = normalize
                logging.getLogger("rdflib.term").removeFilter(muted)
                caught.__exit__(None, None, None)
                _environment_saved = None


_LINE_END = re.compile(r"\r\n?|\n")


class _NTriplesLines(io.TextIOBase):
    """An N-Triples document handed to rdflib one whole line per `read()`.

    rdflib's N-Triples reader asks for 2,048 characters at a time and matches its line pattern against the whole
    growing buffer after each read, so a line of n characters costs n²/2048 steps: one 50 MB line would keep a
    worker busy for hours, a 1 MiB literal about 10 s. Served whole lines, the same reader is linear.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text
        self._position = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        start = self._position
        if start >= len(self._text):
            return ""
        end = _LINE_END.search(self._text, start)
        self._position = end.end() if end is not None else len(self._text)
        return self._text[start:self._position]


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


def _prepare(data: bytes, rdflib_format: str, contexts: Mapping[str, Any] | None) -> bytes | dict[str, Any]:
    """The pre-parse checks: what may be handed to rdflib for this document."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RdfParseError(f"document of {len(data)} bytes exceeds the {MAX_DOCUMENT_BYTES} byte cap",
                            fmt=rdflib_format, code="too_large")
    if rdflib_format == "xml":
        _check_xml(data)
    elif rdflib_format == "json-ld":
        document = read_jsonld(data, contexts=contexts)
        if isinstance(document, list):
            return {"@graph": document}  # the same node objects; rdflib takes a dict, not a top-level array
        if not isinstance(document, dict):
            raise _json_refused("a JSON-LD document is an object or an array", "rdf_parse_error")
        return document
    return data


def load_graph(
    data: bytes | str,
    fmt: str,
    *,
    base_iri: str = DEFAULT_BASE_IRI,
    contexts: Mapping[str, Any] | None = None,
) -> BoundedGraph:
    """Check and parse one document into a bounded graph, or raise `RdfParseError`; never fetches anything.

    `contexts` maps context URLs to documents the calling code already holds (tests, offline tools); a harvest
    never passes it. An unknown `fmt` is a ValueError: the caller's mistake, not the document's.
    """
    rdflib_format = FORMATS.get(fmt.lower())
    if rdflib_format is None:
        raise ValueError(f"unknown RDF format {fmt!r}; use one of {', '.join(sorted(set(FORMATS)))}")
    label = _FORMAT_LABELS[rdflib_format]
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    source = _prepare(raw, rdflib_format, contexts)
    graph = BoundedGraph()
    try:
        with _parsing_environment():
            if rdflib_format == "nt" and isinstance(source, bytes):
                lines = InputSource()
                lines.setCharacterStream(_NTriplesLines(source.decode("utf-8")))
                graph.parse(source=lines, format="nt", publicID=base_iri)
            else:
                graph.parse(data=source, format=rdflib_format, publicID=base_iri)
    except RdfParseError as exc:
        exc.format = rdflib_format
        raise
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
        raise RdfParseError(f"{label} refused: nested deeper than the parser can follow", fmt=rdflib_format,
                            code="rdf_too_deep") from exc
    except (ParserError, ValueError, TypeError, KeyError, AttributeError, SyntaxError) as exc:
        # rdflib's parsers raise assorted exception types for malformed input (ParserError, ValueError for a bad
        # IRI or language tag, KeyError/TypeError from JSON-LD shapes it does not expect...): all of them mean
        # "this document is not valid RDF", which is what the caller must be told.
        raise RdfParseError(f"{label} could not be parsed: {str(exc)[:300]}", fmt=rdflib_format) from exc
    return graph
