"""Streaming RDF writers: N-Triples, Turtle, RDF/XML and JSON-LD, one subject block at a time.

Why not rdflib's `Graph.serialize`: it needs the whole catalogue in one in-memory graph (memory grows with the
catalogue) and its Turtle serializer is superlinear (bench/dcat_export.py measures both). These writers take
one block (a subject and its properties, blank nodes nested) and write it out immediately, so an export of
10,000 datasets runs in constant memory and linear time.

The term model is deliberately tiny: an IRI is a plain `str`, a literal is a `Lit`, and a blank node is a
`Blank` nested where it is used (so no writer has to invent or track blank node labels except N-Triples).
Callers must only pass absolute IRIs (`is_iri`); IRIs are still escaped defensively so that one bad value can
never break the document's syntax.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple, TextIO, TypeAlias

from catalogue.dcat.namespaces import PREFIXES, RDF_TYPE, XSD

__all__ = [
    "FORMATS",
    "Blank",
    "JsonLdWriter",
    "Lit",
    "NTriplesWriter",
    "Obj",
    "Props",
    "RdfWriter",
    "RdfXmlWriter",
    "TurtleWriter",
    "is_iri",
    "writer_for",
]

XSD_STRING = XSD.string


class Lit(NamedTuple):
    """A literal: lexical form, language tag ("" for none) and datatype IRI ("" for xsd:string)."""

    lex: str
    lang: str = ""
    dt: str = ""


class Blank:
    """A blank node, written nested where it is used (`[ ... ]` in Turtle)."""

    __slots__ = ("props",)

    def __init__(self, props: Props) -> None:
        self.props = props


Obj: TypeAlias = "str | Lit | Blank"
Props: TypeAlias = "list[tuple[str, Obj]]"

_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|\\^`\x7f]+")  # "https:" alone is text, not an IRI
_HTTP_WITHOUT_AUTHORITY = re.compile(r"(?i:https?):(?!//[^/?#])")
_IRI_BAD = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")
_LANG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


@lru_cache(maxsize=8192)
def is_iri(value: str) -> bool:
    """True for an absolute IRI that N-Triples can carry unescaped (scheme, no spaces or forbidden characters).

    An http(s) IRI must have an authority ("https://..."): RDF/XML parsers resolve "https:0" against the base
    like a relative reference (Python's urljoin does), so such a value would not come back as written.
    """
    if not value or _IRI.fullmatch(value) is None:
        return False
    return _HTTP_WITHOUT_AUTHORITY.match(value) is None


@lru_cache(maxsize=1024)
def is_lang_tag(value: str) -> bool:
    """True for a syntactically valid BCP 47 language tag (what RDF literals accept)."""
    return _LANG.fullmatch(value) is not None


def _escape_iri(iri: str) -> str:
    """Percent-encode characters an IRIREF cannot hold (callers validate; this only protects the syntax)."""
    if _IRI_BAD.search(iri) is None:
        return iri
    return _IRI_BAD.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), iri)


_NT_LIT_BAD = re.compile(r'[\x00-\x1f"\\\x7f]')
_NT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _nt_escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _NT_ESCAPES.get(char) or f"\\u{ord(char):04X}"


def _escape_literal(text: str) -> str:
    """Escape a lexical form for an N-Triples/Turtle double-quoted string."""
    if _NT_LIT_BAD.search(text) is None:
        return text
    return _NT_LIT_BAD.sub(_nt_escape_char, text)


def _term_literal(lit: Lit, datatype: str) -> str:
    text = '"' + _escape_literal(lit.lex) + '"'
    if lit.lang:
        return text + "@" + lit.lang
    if lit.dt and lit.dt != XSD_STRING:
        return text + "^^" + datatype
    return text


class RdfWriter(ABC):
    """Writes blocks (a subject IRI and its properties) to a text stream as they come."""

    media_type: str = ""
    extension: str = ""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.triples = 0
        self.replaced_characters = 0

    def start(self) -> None:  # noqa: B027 - an optional hook: N-Triples has no header
        """Write the document header (prefixes, root element)."""

    @abstractmethod
    def block(self, subject: str, props: Props) -> None:
        """Write every triple of one subject (nested blank nodes included)."""

    def end(self) -> None:  # noqa: B027 - an optional hook: N-Triples and Turtle have no footer
        """Write the document footer."""

    def blocks(self, blocks: Iterable[tuple[str, Props]]) -> None:
        for subject, props in blocks:
            self.block(subject, props)


# ---------------------------------------------------------------------------------------------- N-Triples


class NTriplesWriter(RdfWriter):
    """N-Triples: one triple a line, blank nodes labelled `_:bN` in document order."""

    media_type = "application/n-triples"
    extension = "nt"

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self._bnodes = 0

    def _object(self, obj: Obj, lines: list[str]) -> str:
        if isinstance(obj, str):
            return "<" + _escape_iri(obj) + ">"
        if isinstance(obj, Lit):
            return _term_literal(obj, "<" + obj.dt + ">")
        self._bnodes += 1
        label = f"_:b{self._bnodes}"
        self._triples(label, obj.props, lines)
        return label

    def _triples(self, subject: str, props: Props, lines: list[str]) -> None:
        for predicate, obj in props:
            lines.append(f"{subject} <{predicate}> {self._object(obj, lines)} .\n")

    def block(self, subject: str, props: Props) -> None:
        lines: list[str] = []
        self._triples("<" + _escape_iri(subject) + ">", props, lines)
        self.triples += len(lines)
        self.out.write("".join(lines))


# ---------------------------------------------------------------------------------------------- Turtle

_PN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")
_NS_BY_IRI = {iri: prefix for prefix, iri in PREFIXES.items()}


def _split(iri: str) -> tuple[str, str]:
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    return iri[:cut], iri[cut:]


def _prefixed_name(iri: str) -> str | None:
    """`prefix:local` when a known namespace covers the IRI and the local part is a valid PN_LOCAL, else None."""
    namespace, local = _split(iri)
    prefix = _NS_BY_IRI.get(namespace)
    if prefix is not None and local and _PN_LOCAL.fullmatch(local):
        return f"{prefix}:{local}"
    return None


@lru_cache(maxsize=8192)
def _turtle_name(iri: str) -> str:
    return _prefixed_name(iri) or "<" + _escape_iri(iri) + ">"


class TurtleWriter(RdfWriter):
    """Turtle with the profile prefixes, one subject block per statement, blank nodes inline as `[ ... ]`."""

    media_type = "text/turtle"
    extension = "ttl"

    def start(self) -> None:
        self.out.write("".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in PREFIXES.items()) + "\n")

    def _object(self, obj: Obj, indent: str) -> str:
        if isinstance(obj, str):
            return _turtle_name(obj)
        if isinstance(obj, Lit):
            return _term_literal(obj, _turtle_name(obj.dt) if obj.dt else "")
        inner = indent + "    "
        return "[\n" + self._props(obj.props, inner) + "\n" + indent + "]"

    def _props(self, props: Props, indent: str) -> str:
        parts: list[str] = []
        previous = None
        for predicate, obj in props:
            self.triples += 1
            text = self._object(obj, indent)
            if predicate == previous:
                parts[-1] += ", " + text
            else:
                name = "a" if predicate == RDF_TYPE else _turtle_name(predicate)
                parts.append(f"{indent}{name} {text}")
                previous = predicate
        return " ;\n".join(parts)

    def block(self, subject: str, props: Props) -> None:
        if not props:
            return
        self.out.write(_turtle_name(subject) + "\n" + self._props(props, "    ") + " .\n\n")


# ---------------------------------------------------------------------------------------------- RDF/XML

_XML_INVALID = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_TEXT = re.compile(r"[&<>\r]")
_XML_ATTR = re.compile(r"[&<>\"\r\n\t]")
_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
_NCNAME_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*$")


class RdfXmlWriter(RdfWriter):
    """RDF/XML: one `rdf:Description` per block, blank nodes as `rdf:parseType="Resource"` property elements.

    XML 1.0 cannot carry most C0 control characters even escaped; they are replaced by U+FFFD and counted in
    `replaced_characters` so the export report can say so.
    """

    media_type = "application/rdf+xml"
    extension = "rdf"

    def _clean(self, text: str) -> str:
        if _XML_INVALID.search(text) is None:
            return text
        cleaned, count = _XML_INVALID.subn("\ufffd", text)
        self.replaced_characters += count
        return cleaned

    def _text(self, text: str) -> str:
        text = self._clean(text)
        return _XML_TEXT.sub(lambda m: _XML_ESCAPES[m.group()], text) if _XML_TEXT.search(text) else text

    def _attr(self, text: str) -> str:
        text = self._clean(text)
        return _XML_ATTR.sub(lambda m: _XML_ESCAPES[m.group()], text) if _XML_ATTR.search(text) else text

    def start(self) -> None:
        namespaces = "".join(f'\n    xmlns:{prefix}="{iri}"' for prefix, iri in PREFIXES.items())
        self.out.write(f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{namespaces}>\n')

    def end(self) -> None:
        self.out.write("</rdf:RDF>\n")

    @staticmethod
    @lru_cache(maxsize=4096)
    def _element(predicate: str) -> tuple[str, str]:
        """(element name, extra namespace declaration) for a property IRI."""
        namespace, local = _split(predicate)
        prefix = _NS_BY_IRI.get(namespace)
        if prefix is not None and local and _NCNAME_TAIL.fullmatch(local):
            return f"{prefix}:{local}", ""
        match = _NCNAME_TAIL.search(predicate)
        if match is None or match.start() == 0:
            raise ValueError(f"cannot write property {predicate!r} in RDF/XML (no XML name at its end)")
        namespace = predicate[: match.start()].replace("&", "&amp;").replace('"', "&quot;")
        return f"ns0:{match.group()}", f' xmlns:ns0="{namespace}"'

    def _props(self, props: Props, indent: str, parts: list[str]) -> None:
        for predicate, obj in props:
            self.triples += 1
            name, declaration = self._element(predicate)
            if isinstance(obj, str):
                parts.append(f'{indent}<{name}{declaration} rdf:resource="{self._attr(obj)}"/>\n')
            elif isinstance(obj, Lit):
                if obj.lang:
                    attrs = f' xml:lang="{obj.lang}"'
                elif obj.dt and obj.dt != XSD_STRING:
                    attrs = f' rdf:datatype="{self._attr(obj.dt)}"'
                else:
                    attrs = ""
                parts.append(f"{indent}<{name}{declaration}{attrs}>{self._text(obj.lex)}</{name}>\n")
            else:
                parts.append(f'{indent}<{name}{declaration} rdf:parseType="Resource">\n')
                self._props(obj.props, indent + "  ", parts)
                parts.append(f"{indent}</{name}>\n")

    def block(self, subject: str, props: Props) -> None:
        if not props:
            return
        parts = [f'  <rdf:Description rdf:about="{self._attr(subject)}">\n']
        self._props(props, "    ", parts)
        parts.append("  </rdf:Description>\n")
        self.out.write("".join(parts))


# ---------------------------------------------------------------------------------------------- JSON-LD


@lru_cache(maxsize=8192)
def _jsonld_key(iri: str) -> str:
    return _prefixed_name(iri) or iri


class JsonLdWriter(RdfWriter):
    """JSON-LD 1.1 in expanded-value form under an inline prefix context (`{"@context", "@graph": [...]}`).

    The context is inline on purpose: a consumer never has to fetch anything to read the export. Property keys
    are compact IRIs; `@id` values are always full IRIs so that no value can be mistaken for a compact IRI.
    """

    media_type = "application/ld+json"
    extension = "jsonld"

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self._first = True

    def start(self) -> None:
        context = json.dumps(PREFIXES, ensure_ascii=False)
        self.out.write('{\n"@context": ' + context + ',\n"@graph": [\n')

    def end(self) -> None:
        self.out.write("\n]\n}\n")

    def _value(self, obj: Obj) -> dict[str, object]:
        if isinstance(obj, str):
            return {"@id": obj}
        if isinstance(obj, Lit):
            if obj.lang:
                return {"@value": obj.lex, "@language": obj.lang}
            if obj.dt and obj.dt != XSD_STRING:
                return {"@value": obj.lex, "@type": _jsonld_key(obj.dt)}
            return {"@value": obj.lex}
        return self._node(obj.props)

    def _node(self, props: Props, subject: str | None = None) -> dict[str, object]:
        node: dict[str, object] = {} if subject is None else {"@id": subject}
        for predicate, obj in props:
            self.triples += 1
            if predicate == RDF_TYPE and isinstance(obj, str):
                types = node.setdefault("@type", [])
                types.append(_jsonld_key(obj))  # type: ignore[attr-defined]
                continue
            values = node.setdefault(_jsonld_key(predicate), [])
            values.append(self._value(obj))  # type: ignore[attr-defined]
        return node

    def block(self, subject: str, props: Props) -> None:
        if not props:
            return
        text = json.dumps(self._node(props, subject), ensure_ascii=False)
        self.out.write(text if self._first else ",\n" + text)
        self._first = False


FORMATS: dict[str, type[RdfWriter]] = {
    "ttl": TurtleWriter,
    "nt": NTriplesWriter,
    "rdf": RdfXmlWriter,
    "jsonld": JsonLdWriter,
}
"""Export format name (the `--format` choices) -> writer class."""


def writer_for(fmt: str, out: TextIO) -> RdfWriter:
    """The writer of an export format name (ttl, nt, rdf, jsonld)."""
    try:
        return FORMATS[fmt](out)
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
