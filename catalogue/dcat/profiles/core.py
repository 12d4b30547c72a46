"""The machinery every profile shares: export and read contexts, value helpers, the `Field` row, the `Kind`
base and the functions that walk a mapping table in both directions (see the package docstring)."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from rdflib.term import BNode, Literal, URIRef

from catalogue.dcat.namespaces import RDF, RDF_TYPE, SKOS, XSD
from catalogue.dcat.writers import Lit, Obj, Props, is_iri
from catalogue.descriptors import AgentRef, FieldWarning, LangText
from catalogue.doi import parse_doi  # noqa: F401  (re-exported: the profiles read and write DOIs)

if TYPE_CHECKING:
    from catalogue.dcat.profiles.base import BaseProfile

Node = URIRef | BNode | Literal

# ================================================================================================ contexts


@dataclass(frozen=True)
class CatalogueInfo:
    """The dcat:Catalog of an export, in descriptor terms (built from `catalogue.models.Catalogue`)."""

    iri: str
    title: tuple[LangText, ...]
    description: tuple[LangText, ...] = ()
    publisher: AgentRef | None = None
    homepage: str = ""
    license: str = ""
    applicable_legislation: tuple[str, ...] = ()
    issued: str = ""
    modified: str = ""


@dataclass(frozen=True)
class Problem:
    """A value the serializer could not write validly and left out (listed in the export report)."""

    field: str
    code: str
    message: str


class EmitContext:
    """State shared by the kinds while one export runs.

    Agents with an IRI, dataset series and the class of each vocabulary value are described once per export
    (the first time they are used): a second description of the same IRI would give it a second
    `cv:contactPoint` blank node and break the "exactly one" rule of HealthDCAT-AP. The sets this needs grow
    with the number of distinct agents, series and vocabulary values, not with the number of datasets.
    """

    def __init__(
        self,
        *,
        profile: type[BaseProfile],
        base_url: str,
        withhold: Callable[[int], bool],
        series_legislation: tuple[str, ...] = (),
        concept_labels: Callable[[str], tuple[LangText, ...]] | None = None,
    ) -> None:
        self.profile = profile
        self.base_url = base_url
        self.withhold = withhold
        self.series_legislation = series_legislation
        self.concept_labels = concept_labels or (lambda iri: ())
        self.subject = ""
        self.blocks: list[tuple[str, Props]] = []
        self.withheld: list[str] = []
        self._described: set[str] = set()
        self._typed: set[tuple[str, str]] = set()

    def begin(self, subject: str) -> None:
        """Start a dataset: extra blocks and withheld fields are per dataset."""
        self.subject = subject
        self.blocks = []
        self.withheld = []

    def type_value(self, iri: str, cls: str, *, dedupe: bool = True) -> None:
        """State the class the shapes expect for a value IRI (`<.../PUBLIC> a dct:RightsStatement`).

        A skos:Concept also gets its skos:prefLabel, which the DCAT-AP Category shape requires: the labels of the
        loaded vocabulary when the caller provides them, else the code at the end of the IRI.
        """
        if dedupe:
            key = (iri, cls)
            if key in self._typed:
                return
            self._typed.add(key)
        props: Props = [(RDF_TYPE, cls)]
        if cls == SKOS.Concept:
            labels = self.concept_labels(iri) or (LangText("", concept_code(iri)),)
            props += [(SKOS.prefLabel, Lit(t.text, t.lang)) for t in labels]
        self.blocks.append((iri, props))

    def shared(self, iri: str, build: Callable[[], Props]) -> str:
        """Describe a shared IRI node (agent, series) the first time it is used; return the IRI."""
        if iri not in self._described:
            self._described.add(iri)
            self.blocks.append((iri, build()))
        return iri


class ReadContext:
    """State of the parser while it reads one dataset: the graph index and the warnings of the dataset."""

    def __init__(self, index: GraphIndexProtocol, *, base_url: str, profile: type[Any]) -> None:
        self.index = index
        self.base_url = base_url
        self.profile = profile
        self.warnings: list[FieldWarning] = []
        self._path: list[str] = []

    @property
    def field(self) -> str:
        return ".".join(self._path)

    def enter(self, name: str) -> None:
        self._path.append(name)

    def leave(self) -> None:
        self._path.pop()

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(FieldWarning(field=self.field, code=code, message=message))


class GraphIndexProtocol:
    """What the kinds need from the parser's graph index (implemented in `catalogue.dcat.parser`)."""

    def props(self, node: Node) -> dict[str, list[Node]]:  # pragma: no cover - interface
        raise NotImplementedError

    def types(self, node: Node) -> set[str]:  # pragma: no cover - interface
        raise NotImplementedError


# ================================================================================================ helpers

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_GYEAR = re.compile(r"(\d{4})(Z|[+-]\d{2}:\d{2})?")
_GYEARMONTH = re.compile(r"(\d{4})-(\d{2})(Z|[+-]\d{2}:\d{2})?")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_ALGORITHM = re.compile(r"[a-z0-9_]+")
_YEAR_PREFIX = re.compile(r"\s*(\d{4})")
_INTEGER_TYPES = frozenset(
    XSD[t]
    for t in (
        "integer", "nonNegativeInteger", "positiveInteger", "int", "long", "short", "byte", "unsignedInt",
        "unsignedLong", "unsignedShort", "unsignedByte",
    )
)
_DATE_TYPES = frozenset({XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth, XSD.dateTimeStamp})
_PLAIN_TYPES = frozenset({"", XSD.string})
MAX_LITERAL = 65_536
"""Longest text the parser keeps (docs/privacy.md §3, 2.3: cap literal length; longer values are refused, with a warning)."""
RDF_VALUE = RDF.value


@lru_cache(maxsize=4096)
def date_datatype(value: str) -> str | None:
    """The XSD datatype of an ISO date string the DCAT-AP date shape accepts, or None when it is not one."""
    try:
        if match := _DATETIME.fullmatch(value):
            year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
            _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.UTC)  # raises for impossible values
            return XSD.dateTime
        if match := _DATE.fullmatch(value):
            _dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            return XSD.date
        if match := _GYEARMONTH.fullmatch(value):
            return XSD.gYearMonth if 1 <= int(match.group(2)) <= 12 else None
        if _GYEAR.fullmatch(value):
            return XSD.gYear
    except ValueError:
        return None
    return None


def qname_xsd(iri: str) -> str:
    return "xsd:" + iri[len(XSD.iri):] if iri.startswith(XSD.iri) else iri


def concept_code(iri: str) -> str:
    """The code at the end of a vocabulary IRI (".../data-theme/HEAL" -> "HEAL"), the fallback label."""
    trimmed = iri.rstrip("/#")
    cut = max(trimmed.rfind("#"), trimmed.rfind("/"), trimmed.rfind(":"))
    return unquote(trimmed[cut + 1:]) or iri


def dataset_iri(guid: str, base_url: str) -> str:
    """The subject IRI of a dataset: its guid when that is an IRI, else minted like `Dataset.iri`."""
    return guid if is_iri(guid) else f"{base_url}datasets/{quote(guid, safe='')}"


def series_iri(key: str, base_url: str) -> str:
    """The IRI of a dataset series: its key when that is an IRI, else minted under the atlas base URL."""
    return key if is_iri(key) else f"{base_url}series/{quote(key, safe='')}"


def series_key(iri: str, base_url: str) -> str:
    """Invert `series_iri`: a minted series IRI gives back its key, any other IRI is the key itself."""
    prefix = f"{base_url}series/"
    if base_url and iri.startswith(prefix) and len(iri) > len(prefix):
        return unquote(iri[len(prefix):])
    return iri


def _set(values: Iterable[Any]) -> tuple[Any, ...]:
    """RDF values are a set: return them sorted and de-duplicated, so nested tuples (distribution URLs, series
    titles) come back in one canonical order, as the descriptor already does for its top-level fields."""
    return tuple(sorted(set(values)))


def _lit_key(lit: Literal) -> tuple[int, str, str]:
    lang = (lit.language or "").lower()
    rank = 0 if lang == "en" or lang.startswith("en-") else 1 if not lang else 2
    return rank, lang, str(lit)


def _node_label(node: Node, rctx: ReadContext) -> str:
    """A readable stand-in for a node in messages (never a random blank node id)."""
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, Literal):
        return repr(str(node))
    return "a blank node"


# ================================================================================================ fields


@dataclass(frozen=True)
class Field:
    """One row of a mapping table: descriptor attribute(s), predicate, kind and cardinality.

    `attr` is a tuple when one RDF property carries several descriptor attributes (acquisition years are one
    `dct:temporal` period). `aliases` are predicates accepted on harvest only (DCAT-AP 2 spellings, the EUCAIM
    SHACL's `adms:interoperabilityLevel`...). A field with `export=False` is a harvest-only fallback: it fills
    an attribute only when the exported fields left it empty.
    """

    attr: str | tuple[str, ...]
    predicate: str
    kind: Kind
    min: int = 0
    max: int | None = None
    aliases: tuple[str, ...] = ()
    export: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return (self.attr,) if isinstance(self.attr, str) else self.attr

    @property
    def label(self) -> str:
        return self.attr if isinstance(self.attr, str) else "+".join(self.attr)

    @property
    def predicates(self) -> tuple[str, ...]:
        return (self.predicate, *self.aliases)

    def get(self, obj: Any) -> Any:
        if isinstance(self.attr, str):
            return getattr(obj, self.attr)
        return tuple(getattr(obj, name) for name in self.attr)


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == ()


_Plan = tuple[tuple[str, str | None, tuple[str, ...], "Kind", str], ...]
_PLANS: dict[tuple[int, bool], tuple[tuple[Field, ...], _Plan]] = {}


def _plan(table: tuple[Field, ...], *, cleaning: bool) -> _Plan:
    """The exported fields of a table flattened once (predicate, attr, names, kind, label), keyed by the table's
    identity: the tables are class constants, and hashing their frozen Fields for every dataset was a tenth of
    the export's time. With `cleaning`, only the fields whose kind can drop something."""
    key = (id(table), cleaning)
    entry = _PLANS.get(key)
    if entry is None or entry[0] is not table:
        plan = tuple(
            (f.predicate, f.attr if isinstance(f.attr, str) else None, f.names, f.kind, f.label)
            for f in table
            if f.export and (not cleaning or type(f.kind).clean is not Kind.clean)
        )
        entry = _PLANS[key] = (table, plan)
    return entry[1]


def _value(attr: str | None, names: tuple[str, ...], obj: Any) -> Any:
    """The field's value, or None when it is empty (every attribute empty for a multi-attribute field)."""
    if attr is not None:
        value = getattr(obj, attr)
        return None if _is_blank(value) else value
    values = tuple(getattr(obj, name) for name in names)
    return None if all(_is_blank(v) for v in values) else values


def emit_fields(table: tuple[Field, ...], obj: Any, ctx: EmitContext, props: Props) -> Props:
    """Append the RDF of every exported field of `obj` (already cleaned) to `props`."""
    for predicate, attr, names, kind, _ in _plan(table, cleaning=False):
        if attr is not None:  # inlined `_value`: this loop runs for every field of every dataset
            value = getattr(obj, attr)
            if value is None or value == "" or value == ():
                continue
        else:
            value = _value(attr, names, obj)
            if value is None:
                continue
        for item in kind.emit(value, ctx):
            props.append((predicate, item))
    return props


def clean_fields(
    table: tuple[Field, ...], obj: Any, ctx: EmitContext, problems: list[Problem], path: str
) -> dict[str, Any]:
    """The attribute changes that make `obj` writable (values the shapes would reject are dropped)."""
    changes: dict[str, Any] = {}
    for _, attr, names, kind, label in _plan(table, cleaning=True):
        if attr is not None:
            value = getattr(obj, attr)
            if value is None or value == "" or value == ():
                continue
        else:
            value = _value(attr, names, obj)
            if value is None:
                continue
        cleaned = kind.clean(value, ctx, problems, path + label)
        if cleaned != value:
            if attr is not None:
                changes[attr] = cleaned
            else:
                changes.update(zip(names, cleaned, strict=True))
    return changes


def _ordered(table: Sequence[Field]) -> list[Field]:
    """Exported fields first: a harvest-only fallback never wins over the profile's own property."""
    return [f for f in table if f.export] + [f for f in table if not f.export]


def read_fields(table: Sequence[Field], node: Node, rctx: ReadContext) -> dict[str, Any]:
    """Read every field of `table` from `node`; the first non-empty value of an attribute wins."""
    values: dict[str, Any] = {}
    props = rctx.index.props(node)
    for field in _ordered(table):
        objs: list[Node] = []
        for predicate in field.predicates:
            objs.extend(props.get(predicate, ()))
        if not objs:
            continue
        rctx.enter(field.label)
        try:
            value = field.kind.read(objs, rctx)
        finally:
            rctx.leave()
        if value is None:
            continue
        items = zip(field.names, value, strict=True) if not isinstance(field.attr, str) else ((field.attr, value),)
        for name, item in items:
            if not (item is None or item == "" or item == ()) and values.get(name) in (None, "", ()):
                values[name] = item
    return values


# ================================================================================================ kinds


class Kind:
    """How one descriptor value maps to RDF objects, and back. Subclasses override what they need."""

    def clean(self, value: Any, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        """Return the value without the parts that cannot be written validly (each dropped part is a Problem)."""
        return value

    def emit(self, value: Any, ctx: EmitContext) -> Iterable[Obj]:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, objs: list[Node], rctx: ReadContext) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


def _within_limit(obj: Node, rctx: ReadContext) -> bool:
    """False (with a warning) for a literal longer than MAX_LITERAL."""
    if isinstance(obj, Literal) and len(obj) > MAX_LITERAL:
        rctx.warn("literal_too_long", f"a literal of {len(obj)} characters (more than {MAX_LITERAL}); ignored")
        return False
    return True


def _pick(objs: Sequence[Node], rctx: ReadContext) -> Node:
    """The one value of a single-valued property (the index sorts values, so the choice is stable)."""
    distinct = list(dict.fromkeys(objs))
    if len(distinct) > 1:
        rctx.warn("multiple_values", f"{len(distinct)} values for a single-valued property; kept "
                  f"{_node_label(distinct[0], rctx)}")
    return distinct[0]


def _asdict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}
