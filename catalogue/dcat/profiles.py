"""DCAT application profiles: ONE mapping table per profile, read by the serializer AND by the parser.

ckanext-dcat keeps one table to write RDF and another to read it, and the two drifted. Here a profile is a
tuple of `Field(descriptor attribute, predicate, kind, cardinality)`; a `Kind` knows how to clean a value
(drop what cannot be written validly), emit it as RDF objects and read it back from RDF. The serializer walks
`FIELDS` to write a dataset, the parser walks the same `FIELDS` to read one, so a field added here is written
and harvested at once, and the round-trip tests (tests/catalogue/dcat) hold the two directions together.

Profiles (each a subclass of the one it extends, as the application profiles themselves are):

* `DcatAp3Profile`      DCAT-AP 3.0.1 (datasets the HealthDCAT-AP rules do not cover yet are exported as this);
* `HealthDcatApProfile` HealthDCAT-AP Release 8: health categories, HDAB, counts, cv:contactPoint of agents;
* `EucaimProfile`       EUCAIM DCAT-AP v2: imaging modalities, body parts, condition, tier, segmentations;
* `SchemaOrgDatasetProfile` schema.org `Dataset` (search-engine markup), its own table.

What is structural and therefore NOT in the tables: the dataset's subject IRI, its `rdf:type`, `dct:identifier`
(the subject IRI, as EUCAIM asks for the catalogue URI), the `guid`/`original_iri` read back from the subject.
Fields no profile has a predicate for are never exported: `n_series`, `n_instances`, `n_bytes` (extension
counts without an HealthDCAT-AP term), `species` (no term in any of the profiles) and `study_facts` (private,
PRIVACY.md §0). Conventions the tables encode, because DCAT-AP 3.0.1 allows one value where sources give many:

* distribution `dct:rights` (max 1 in DCAT-AP 3.0.1, 1..n in EUCAIM): one value is written as is; several are
  written as one `dct:RightsStatement` whose `dct:hasPart` are the values (read back the same way);
* a rights value that is not an IRI is a `dct:RightsStatement` with that text as `rdfs:label`;
* acquisition years are one `dct:temporal` period with `xsd:gYear` start and end dates.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from rdflib.term import BNode, Literal, URIRef

from catalogue.dcat.namespaces import (
    ADMS,
    CV,
    DCAT,
    DCATAP,
    DCT,
    DOI_RESOLVER,
    ELI,
    EUCAIM,
    FOAF,
    GEODCATAP,
    HEALTHDCATAP,
    IANA_MEDIA_TYPES,
    OWL,
    RDF,
    RDF_TYPE,
    RDFS,
    SDO,
    SKOS,
    SPDX,
    SPDX_ALGORITHM_PREFIX,
    VCARD,
    XSD,
    normalise_vocabulary_iri,
)
from catalogue.dcat.writers import Blank, Lit, Obj, Props, is_iri, is_lang_tag
from catalogue.descriptors import (
    AgentRef,
    Checksum,
    ContactPoint,
    DatasetDescriptor,
    DistributionDescriptor,
    FieldWarning,
    Identifier,
    LangText,
    SeriesRef,
)

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
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
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
"""Longest text the parser keeps (PRIVACY.md §2.3: cap literal length; longer values are refused, with a warning)."""
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


def parse_doi(value: str) -> str | None:
    """The bare DOI ("10.1234/abc") of a DOI, doi: name or doi.org URL; None when it is not a DOI."""
    match = _DOI.match(value.strip())
    return match.group(1) if match else None


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


class LangTexts(Kind):
    """tuple[LangText] <-> literals with their language tags ("" = no tag)."""

    def clean(self, value: tuple[LangText, ...], ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        if all(not t.lang or is_lang_tag(t.lang) for t in value):
            return value
        out = []
        for text in value:
            if text.lang and not is_lang_tag(text.lang):
                problems.append(Problem(path, "invalid_language", f"language tag {text.lang!r} dropped"))
                text = LangText("", text.text)
            out.append(text)
        return tuple(out)

    def emit(self, value: tuple[LangText, ...], ctx: EmitContext) -> Iterable[Obj]:
        return [Lit(t.text, t.lang) for t in value]

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[LangText, ...]:
        out = []
        for obj in objs:
            if not _within_limit(obj, rctx):
                continue
            if isinstance(obj, Literal):
                out.append(LangText(obj.language or "", str(obj)))
            else:
                rctx.warn("not_a_literal", f"{_node_label(obj, rctx)} is not a literal; ignored")
        return _set(out)


class Texts(Kind):
    """tuple[str] <-> plain literals (language tags are not kept: the descriptor holds plain strings)."""

    def emit(self, value: tuple[str, ...], ctx: EmitContext) -> Iterable[Obj]:
        return [Lit(v) for v in value]

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[str, ...]:
        out = []
        for obj in objs:
            if not _within_limit(obj, rctx):
                continue
            if isinstance(obj, Literal):
                out.append(str(obj))
            elif isinstance(obj, URIRef):
                rctx.warn("iri_not_literal", f"{obj} is an IRI where a literal is expected; kept as text")
                out.append(str(obj))
            else:
                rctx.warn("not_a_literal", "a blank node where a literal is expected; ignored")
        return _set(out)


class Text(Kind):
    """str <-> one literal; of several, English (or untagged) wins, as the descriptor holds one string."""

    def __init__(self, *, strip_mailto: bool = False) -> None:
        self.strip_mailto = strip_mailto

    def emit(self, value: str, ctx: EmitContext) -> Iterable[Obj]:
        return [Lit(value)]

    def read(self, objs: list[Node], rctx: ReadContext) -> str | None:
        literals = [o for o in objs if isinstance(o, Literal) and _within_limit(o, rctx)]
        if len(literals) < len(objs):
            rctx.warn("not_a_literal", f"{len(objs) - len(literals)} non-literal value(s) ignored")
        if not literals:
            return None
        literals.sort(key=_lit_key)
        best = _lit_key(literals[0])[:2]
        same = list(dict.fromkeys(str(x) for x in literals if _lit_key(x)[:2] == best))
        if len(same) > 1:
            rctx.warn("multiple_values", f"{len(same)} values for a single-valued property; kept {same[0]!r}")
        text = same[0]
        if self.strip_mailto and text.lower().startswith("mailto:"):
            text = text[len("mailto:"):]
        return text


class Iris(Kind):
    """tuple[str] of IRIs. With `range`, each value is typed with the class the DCAT-AP range shapes check.

    `vocabulary=True` values are controlled-vocabulary IRIs: harvest maps known host and namespace variants onto
    the official IRIs. A literal where an IRI is expected is kept as text with a warning (the harvester can still
    resolve a code or label through the vocabularies); the serializer never writes a bare string.
    """

    def __init__(self, range: str = "", *, vocabulary: bool = True, dedupe: bool = True) -> None:
        self.range = range
        self.vocabulary = vocabulary
        self.dedupe = dedupe

    def clean(self, value: Any, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        if all(is_iri(v) for v in value):
            return value
        for v in value:
            if not is_iri(v):
                problems.append(Problem(path, "not_an_iri", f"{v!r} is not an IRI; not exported"))
        return tuple(v for v in value if is_iri(v))

    def emit(self, value: Any, ctx: EmitContext) -> Iterable[Obj]:
        if self.range:
            for v in value:
                ctx.type_value(v, self.range, dedupe=self.dedupe)
        return value

    def read_one(self, obj: Node, rctx: ReadContext) -> str | None:
        if isinstance(obj, URIRef):
            return self._normalised(str(obj), rctx)
        if isinstance(obj, Literal):
            text = str(obj).strip()
            if is_iri(text) and "://" in text:
                return self._normalised(text, rctx)
            rctx.warn("literal_not_iri", f"{text!r} is a literal, not an IRI; kept for the vocabulary to resolve")
            return text or None
        props = rctx.index.props(obj)
        for predicate in (SKOS.notation, SKOS.prefLabel, RDFS.label, RDF_VALUE):
            labels = [o for o in props.get(predicate, ()) if isinstance(o, Literal)]
            if labels:
                text = str(sorted(labels, key=_lit_key)[0])
                rctx.warn("blank_concept", f"a blank-node concept; kept its label {text!r}")
                return text
        rctx.warn("blank_node_ignored", "a blank node without a label where an IRI is expected; ignored")
        return None

    def _normalised(self, iri: str, rctx: ReadContext) -> str:
        if not self.vocabulary:
            return iri
        official, corrected = normalise_vocabulary_iri(iri)
        if corrected:
            rctx.warn("corrected_code", f"{iri} is not a published code; read as {official}")
        return official

    def read(self, objs: list[Node], rctx: ReadContext) -> Any:
        return _set(v for v in (self.read_one(o, rctx) for o in objs) if v)


class Iri(Iris):
    """str: one IRI (see `Iris`)."""

    def clean(self, value: Any, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        if is_iri(value):
            return value
        problems.append(Problem(path, "not_an_iri", f"{value!r} is not an IRI; not exported"))
        return ""

    def emit(self, value: Any, ctx: EmitContext) -> Iterable[Obj]:
        return super().emit((value,), ctx)

    def read(self, objs: list[Node], rctx: ReadContext) -> Any:
        values = [v for v in (self.read_one(o, rctx) for o in objs) if v]
        if not values:
            return None
        values = sorted(set(values))
        if len(values) > 1:
            rctx.warn("multiple_values", f"{len(values)} values for a single-valued property; kept {values[0]}")
        return values[0]


class IrisOrTexts(Kind):
    """tuple[str] whose values may be IRIs or plain labels (segmentation labels): IRIs stay IRIs."""

    def emit(self, value: tuple[str, ...], ctx: EmitContext) -> Iterable[Obj]:
        return [v if is_iri(v) else Lit(v) for v in value]

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[str, ...]:
        out = []
        for obj in objs:
            if isinstance(obj, URIRef):
                out.append(normalise_vocabulary_iri(str(obj))[0])
            elif isinstance(obj, Literal):
                out.append(str(obj))
            else:
                rctx.warn("blank_node_ignored", "a blank node where a label or IRI is expected; ignored")
        return _set(out)


class Mailto(Kind):
    """An e-mail address <-> a `mailto:` IRI (literals and `mailto:` literals are accepted on harvest)."""

    def clean(self, value: str, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        if is_iri(self._iri(value)):
            return value
        problems.append(Problem(path, "invalid_email", f"{value!r} cannot be a mailto: IRI; not exported"))
        return ""

    @staticmethod
    def _iri(value: str) -> str:
        return value if value.lower().startswith("mailto:") else "mailto:" + value

    def emit(self, value: str, ctx: EmitContext) -> Iterable[Obj]:
        return [self._iri(value)]

    def read(self, objs: list[Node], rctx: ReadContext) -> str | None:
        obj = _pick(objs, rctx)
        if isinstance(obj, BNode):
            rctx.warn("blank_node_ignored", "a blank node where an e-mail address is expected; ignored")
            return None
        text = str(obj).strip()
        return text[len("mailto:"):] if text.lower().startswith("mailto:") else text


class NonNegativeInteger(Kind):
    """int <-> an xsd:nonNegativeInteger literal; other integer types and plain digits are accepted on harvest."""

    def emit(self, value: int, ctx: EmitContext) -> Iterable[Obj]:
        return [Lit(str(value), dt=XSD.nonNegativeInteger)]

    def read(self, objs: list[Node], rctx: ReadContext) -> int | None:
        values: list[int] = []
        for obj in objs:
            if not isinstance(obj, Literal):
                rctx.warn("not_a_literal", f"{_node_label(obj, rctx)} is not a number; ignored")
                continue
            lexical = str(obj).strip()
            datatype = str(obj.datatype or "")
            if not obj.ill_typed and (datatype in _INTEGER_TYPES or datatype in _PLAIN_TYPES):
                try:
                    number = int(lexical)
                except ValueError:
                    rctx.warn("invalid_datatype", f"{lexical!r} is not a non-negative integer; ignored")
                    continue
            else:
                coerced = _integral(lexical)
                if coerced is None:
                    rctx.warn("invalid_datatype", f"{lexical!r} ({datatype or 'plain'}) is not a non-negative "
                              "integer; ignored")
                    continue
                rctx.warn("coerced_datatype", f"{lexical!r} ({datatype}) read as the integer {coerced}")
                number = coerced
            if number < 0:
                rctx.warn("invalid_datatype", f"{lexical!r} is negative; ignored")
                continue
            values.append(number)
        if not values:
            return None
        distinct = sorted(set(values))
        if len(distinct) > 1:
            rctx.warn("multiple_values", f"{len(distinct)} values for a single-valued property; kept {distinct[0]}")
        return distinct[0]


def _integral(lexical: str) -> int | None:
    """The integer a decimal lexical form stands for ("43008.0" -> 43008), or None when it has a fraction."""
    try:
        value = float(lexical)
    except (ValueError, OverflowError):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**63 else None


class SubjectCount(NonNegativeInteger):
    """`numberOfUniqueIndividuals`: omitted when below k (PRIVACY.md §0.1), and the export reports it withheld."""

    def emit(self, value: int, ctx: EmitContext) -> Iterable[Obj]:
        if ctx.withhold(value):
            ctx.withheld.append("n_subjects")
            return []
        return super().emit(value, ctx)


class AgeBound(NonNegativeInteger):
    """min/maxTypicalAge: published as 5-year band edges, top-coded at 90 (PRIVACY.md: "No exact min/max age").

    The lower bound becomes its band's lower edge (23 -> 20), the upper bound its band's upper edge (67 -> 69);
    from 90 on both are 90, the "90+" band. Harvest reads what the source says; only publication coarsens.
    """

    def __init__(self, *, upper: bool) -> None:
        self.upper = upper

    def emit(self, value: int, ctx: EmitContext) -> Iterable[Obj]:
        from catalogue.disclosure import TOP_AGE_BAND, age_band

        band = age_band(value)
        assert band is not None  # value is an int
        edge = band + 4 if self.upper and band < TOP_AGE_BAND else band
        return super().emit(edge, ctx)


class Boolean(Kind):
    """bool <-> an xsd:boolean literal."""

    def emit(self, value: bool, ctx: EmitContext) -> Iterable[Obj]:
        return [Lit("true" if value else "false", dt=XSD.boolean)]

    def read(self, objs: list[Node], rctx: ReadContext) -> bool | None:
        obj = _pick(objs, rctx)
        if not isinstance(obj, Literal) or obj.ill_typed:
            rctx.warn("invalid_datatype", f"{_node_label(obj, rctx)} is not an xsd:boolean; ignored")
            return None
        lexical = str(obj).strip().lower()
        if lexical in ("true", "1"):
            return True
        if lexical in ("false", "0"):
            return False
        rctx.warn("invalid_datatype", f"{lexical!r} is not an xsd:boolean; ignored")
        return None


class Date(Kind):
    """An ISO date string <-> an xsd:date, xsd:dateTime, xsd:gYear or xsd:gYearMonth literal.

    The datatype follows the lexical form, so "2021" round-trips as a gYear and "2021-03-04" as a date.
    An invalid date (a typed literal that is not one, or text that is no date) is a warning, never a crash.
    """

    def clean(self, value: str, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        if date_datatype(value):
            return value
        problems.append(Problem(path, "invalid_date", f"{value!r} is not an ISO date or date-time; not exported"))
        return ""

    def emit(self, value: str, ctx: EmitContext) -> Iterable[Obj]:
        return [Lit(value, dt=date_datatype(value) or XSD.string)]

    def read(self, objs: list[Node], rctx: ReadContext) -> str | None:
        obj = _pick(objs, rctx)
        if not isinstance(obj, Literal):
            rctx.warn("not_a_literal", f"{_node_label(obj, rctx)} is not a date; ignored")
            return None
        lexical = str(obj).strip()
        datatype = str(obj.datatype or "")
        valid_as = date_datatype(lexical)
        if valid_as is None:
            code = "invalid_datatype" if datatype not in _PLAIN_TYPES else "invalid_date"
            rctx.warn(code, f"{lexical!r} ({datatype or 'plain'}) is not an ISO date or date-time; ignored")
            return None
        if datatype not in _PLAIN_TYPES and (obj.ill_typed or datatype != valid_as):
            rctx.warn("coerced_datatype", f"{lexical!r} is typed <{datatype}>; read as an {qname_xsd(valid_as)}")
        return lexical


class YearPeriod(Kind):
    """(acquisition_year_min, acquisition_year_max) <-> one dct:PeriodOfTime with xsd:gYear start and end."""

    def clean(self, value: tuple[Any, Any], ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        out = []
        for year in value:
            if year is not None and not (isinstance(year, int) and not isinstance(year, bool) and 1 <= year <= 9999):
                problems.append(Problem(path, "invalid_year", f"{year!r} is not a year; not exported"))
                year = None
            out.append(year)
        return tuple(out)

    def emit(self, value: tuple[int | None, int | None], ctx: EmitContext) -> Iterable[Obj]:
        start, end = value
        props: Props = [(RDF_TYPE, DCT.PeriodOfTime)]
        if start is not None:
            props.append((DCAT.startDate, Lit(f"{start:04d}", dt=XSD.gYear)))
        if end is not None:
            props.append((DCAT.endDate, Lit(f"{end:04d}", dt=XSD.gYear)))
        return [Blank(props)]

    @staticmethod
    def _years(objs: Iterable[Node]) -> list[int]:
        years = []
        for obj in objs:
            if isinstance(obj, Literal) and not obj.ill_typed and (match := _YEAR_PREFIX.match(str(obj))):
                years.append(int(match.group(1)))
        return years

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[int | None, int | None] | None:
        starts: list[int] = []
        ends: list[int] = []
        for obj in objs:
            if isinstance(obj, Literal):
                interval = YearInterval().read([obj], rctx)
                if interval is not None:
                    rctx.warn("literal_period", f"{str(obj)!r} is a literal, not a dct:PeriodOfTime; read as an "
                              "ISO 8601 interval")
                    starts += [interval[0]] if interval[0] is not None else []
                    ends += [interval[1]] if interval[1] is not None else []
                continue
            props = rctx.index.props(obj)
            starts += self._years(props.get(DCAT.startDate, ()) or props.get(SDO.startDate, ()))
            ends += self._years(props.get(DCAT.endDate, ()) or props.get(SDO.endDate, ()))
        if not starts and not ends:
            return None
        return (min(starts) if starts else None, max(ends) if ends else None)


class LabelledNodes(Kind):
    """tuple[LangText] <-> nodes of a class, each labelled (dct:provenance -> dct:ProvenanceStatement)."""

    def __init__(self, cls: str, label: str = RDFS.label) -> None:
        self.cls = cls
        self.label = label
        self._texts = LangTexts()

    def clean(self, value: Any, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        return self._texts.clean(value, ctx, problems, path)

    def emit(self, value: tuple[LangText, ...], ctx: EmitContext) -> Iterable[Obj]:
        return [Blank([(RDF_TYPE, self.cls), (self.label, Lit(t.text, t.lang))]) for t in value]

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[LangText, ...]:
        out: list[LangText] = []
        for obj in objs:
            if isinstance(obj, Literal):
                out.append(LangText(obj.language or "", str(obj)))
                continue
            props = rctx.index.props(obj)
            labels = [o for p in (self.label, DCT.description, RDFS.comment) for o in props.get(p, ())]
            texts = self._texts.read(labels, rctx)
            if not texts:
                rctx.warn("unlabelled_node", f"{_node_label(obj, rctx)} has no label; ignored")
            out.extend(texts)
        return _set(out)


class MediaType(Kind):
    """A media type ("application/dicom") <-> its IANA IRI, typed dct:MediaType."""

    def clean(self, value: str, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        if _MEDIA_TYPE.fullmatch(value) or is_iri(value):
            return value
        problems.append(Problem(path, "invalid_media_type", f"{value!r} is not a media type; not exported"))
        return ""

    def emit(self, value: str, ctx: EmitContext) -> Iterable[Obj]:
        iri = IANA_MEDIA_TYPES + value if _MEDIA_TYPE.fullmatch(value) else value
        ctx.type_value(iri, DCT.MediaType)
        return [iri]

    def read(self, objs: list[Node], rctx: ReadContext) -> str | None:
        obj = _pick(objs, rctx)
        if isinstance(obj, BNode):
            rctx.warn("blank_node_ignored", "a blank node where a media type is expected; ignored")
            return None
        text = str(obj).strip()
        for prefix in (IANA_MEDIA_TYPES, IANA_MEDIA_TYPES.replace("http://", "https://")):
            if text.startswith(prefix) and _MEDIA_TYPE.fullmatch(text[len(prefix):]):
                return text[len(prefix):]
        return text


class Rights(Kind):
    """tuple[str] <-> ONE dct:rights (DCAT-AP 3.0.1 allows one): a value, or a statement whose parts are the values.

    IRI values are typed dct:RightsStatement; a text value becomes a statement labelled with it.
    """

    def _term(self, value: str, ctx: EmitContext) -> Obj:
        if is_iri(value):
            ctx.type_value(value, DCT.RightsStatement)
            return value
        return Blank([(RDF_TYPE, DCT.RightsStatement), (RDFS.label, Lit(value))])

    def emit(self, value: tuple[str, ...], ctx: EmitContext) -> Iterable[Obj]:
        terms = [self._term(v, ctx) for v in value]
        if len(terms) == 1:
            return terms
        return [Blank([(RDF_TYPE, DCT.RightsStatement), *((DCT.hasPart, t) for t in terms)])]

    def _read_one(self, obj: Node, rctx: ReadContext, depth: int) -> list[str]:
        if isinstance(obj, Literal):
            return [str(obj)]
        props = rctx.index.props(obj)
        parts = props.get(DCT.hasPart, ())
        if parts and depth < 3:
            return [v for part in parts for v in self._read_one(part, rctx, depth + 1)]
        if isinstance(obj, URIRef):
            return [normalise_vocabulary_iri(str(obj))[0]]
        labels = [str(o) for o in props.get(RDFS.label, ()) if isinstance(o, Literal)]
        if not labels:
            rctx.warn("unlabelled_node", "a blank rights statement without a label; ignored")
        return labels

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[str, ...]:
        return _set(v for obj in objs for v in self._read_one(obj, rctx, 0))


class ChecksumKind(Kind):
    """Checksum <-> spdx:checksum [spdx:algorithm spdx:checksumAlgorithm_x; spdx:checksumValue hexBinary]."""

    def clean(self, value: Checksum, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        algorithm_ok = is_iri(value.algorithm) or _ALGORITHM.fullmatch(value.algorithm.lower()) is not None
        if algorithm_ok and _HEX.fullmatch(value.value):
            return value
        problems.append(Problem(path, "invalid_checksum", f"{value.algorithm}:{value.value} is not an algorithm and "
                                "hexadecimal value; not exported"))
        return None

    def emit(self, value: Checksum, ctx: EmitContext) -> Iterable[Obj]:
        algorithm = value.algorithm if is_iri(value.algorithm) else SPDX_ALGORITHM_PREFIX + value.algorithm.lower()
        return [Blank([
            (RDF_TYPE, SPDX.Checksum),
            (SPDX.algorithm, algorithm),
            (SPDX.checksumValue, Lit(value.value, dt=XSD.hexBinary)),
        ])]

    def read(self, objs: list[Node], rctx: ReadContext) -> Checksum | None:
        obj = _pick(objs, rctx)
        if isinstance(obj, Literal):
            rctx.warn("not_a_node", "a literal where an spdx:Checksum is expected; ignored")
            return None
        props = rctx.index.props(obj)
        algorithms = props.get(SPDX.algorithm, ())
        values = [o for o in props.get(SPDX.checksumValue, ()) if isinstance(o, Literal)]
        if not algorithms or not values:
            rctx.warn("incomplete_checksum", "a checksum without algorithm or value; ignored")
            return None
        algorithm = str(algorithms[0])
        if algorithm.startswith(SPDX_ALGORITHM_PREFIX):
            algorithm = algorithm[len(SPDX_ALGORITHM_PREFIX):]
        return Checksum(algorithm=algorithm, value=str(values[0]))


class Identifiers(Kind):
    """(doi, other_identifiers) <-> adms:identifier nodes (adms:Identifier with skos:notation, adms:schemaAgency).

    The DOI is the identifier whose notation is its doi.org IRI typed xsd:anyURI; every other identifier keeps its
    scheme as the schema agency.
    """

    def emit(self, value: tuple[str, tuple[Identifier, ...]], ctx: EmitContext) -> Iterable[Obj]:
        doi, others = value
        out: list[Obj] = []
        if doi:
            bare = parse_doi(doi) or doi
            out.append(Blank([
                (RDF_TYPE, ADMS.Identifier),
                (SKOS.notation, Lit(DOI_RESOLVER + bare, dt=XSD.anyURI)),
                (ADMS.schemaAgency, Lit("DOI")),
            ]))
        for ident in others:
            props: Props = [(RDF_TYPE, ADMS.Identifier), (SKOS.notation, Lit(ident.value))]
            if ident.scheme:
                props.append((ADMS.schemaAgency, Lit(ident.scheme)))
            out.append(Blank(props))
        return out

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[str, tuple[Identifier, ...]]:
        doi = ""
        others: list[Identifier] = []
        for obj in objs:
            if isinstance(obj, Literal):
                others.append(Identifier("", str(obj)))
                continue
            props = rctx.index.props(obj)
            notations = [o for o in props.get(SKOS.notation, ()) if isinstance(o, Literal)]
            if not notations:
                if isinstance(obj, URIRef):
                    others.append(Identifier("iri", str(obj)))
                else:
                    rctx.warn("incomplete_identifier", "an adms:Identifier without skos:notation; ignored")
                continue
            notation = notations[0]
            agencies = [str(o) for o in props.get(ADMS.schemaAgency, ()) if isinstance(o, Literal)]
            text = str(notation)
            is_doi_iri = notation.datatype is not None and str(notation.datatype) == XSD.anyURI
            if not doi and is_doi_iri and text.lower().startswith(("https://doi.org/", "http://doi.org/",
                                                                    "https://dx.doi.org/", "http://dx.doi.org/")):
                doi = parse_doi(text) or text
                continue
            others.append(Identifier(agencies[0] if agencies else "", text))
        return doi, tuple(others)


class ContactPoints(Kind):
    """tuple[ContactPoint] <-> dcat:contactPoint vcard:Kind nodes (vcard:fn, vcard:hasEmail, vcard:hasURL)."""

    def clean(self, value: tuple[ContactPoint, ...], ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        out = []
        for contact in value:
            changes = clean_fields(ctx.profile.CONTACT_FIELDS, contact, ctx, problems, f"{path}.")
            contact = contact.__class__(**{**_asdict(contact), **changes}) if changes else contact
            if contact.name or contact.email or contact.url:
                out.append(contact)
            else:
                problems.append(Problem(path, "empty_contact_point", "a contact point with nothing to write; dropped"))
        return tuple(out)

    def emit(self, value: tuple[ContactPoint, ...], ctx: EmitContext) -> Iterable[Obj]:
        return [Blank(emit_fields(ctx.profile.CONTACT_FIELDS, c, ctx, [(RDF_TYPE, VCARD.Kind)])) for c in value]

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[ContactPoint, ...]:
        out = []
        for obj in objs:
            if isinstance(obj, Literal):
                text = str(obj).strip()
                out.append(ContactPoint(email=text) if "@" in text else ContactPoint(name=text))
                continue
            values = read_fields(rctx.profile.CONTACT_FIELDS, obj, rctx)
            if not values:
                rctx.warn("empty_contact_point", f"{_node_label(obj, rctx)} has no name, e-mail or URL; ignored")
                continue
            out.append(ContactPoint(**values))
        return tuple(out)


class ContactPointOf(Kind):
    """(email, contact_page, telephone) of an agent <-> its one cv:contactPoint (cv:ContactPoint)."""

    def emit(self, value: tuple[str, str, str], ctx: EmitContext) -> Iterable[Obj]:
        email, page, phone = value
        props: Props = [(RDF_TYPE, CV.ContactPoint)]
        if email:
            props.append((CV.email, Lit(email)))
        if page:
            props.append((CV.contactPage, page))
        if phone:
            props.append((CV.telephone, Lit(phone)))
        return [Blank(props)]

    def clean(self, value: tuple[str, str, str], ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        email, page, phone = value
        if page and not is_iri(page):
            problems.append(Problem(path, "not_an_iri", f"contact page {page!r} is not an IRI; not exported"))
            page = ""
        return (email, page, phone)

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[str, str, str] | None:
        obj = _pick(objs, rctx)
        if isinstance(obj, Literal):
            text = str(obj).strip()
            return (text, "", "") if "@" in text else ("", text, "") if is_iri(text) else None
        props = rctx.index.props(obj)
        email = Text(strip_mailto=True).read(list(props.get(CV.email, ())), rctx) or ""
        pages = [str(o) for o in props.get(CV.contactPage, ()) if not isinstance(o, BNode)]
        phone = Text().read(list(props.get(CV.telephone, ())), rctx) or ""
        return email, sorted(pages)[0] if pages else "", phone


class _AgentKind(Kind):
    """What agents have in common: a named node when the agent has an IRI (described once), else a blank node."""

    def clean_one(self, value: AgentRef, ctx: EmitContext, problems: list[Problem], path: str) -> AgentRef:
        changes = clean_fields(ctx.profile.AGENT_FIELDS, value, ctx, problems, f"{path}.")
        if value.iri and not is_iri(value.iri):
            problems.append(
                Problem(path, "not_an_iri", f"agent IRI {value.iri!r} is not an IRI; written as a blank node")
            )
            changes["iri"] = ""
        return AgentRef(**{**_asdict(value), **changes}) if changes else value

    def node(self, agent: AgentRef, ctx: EmitContext) -> Obj:
        profile = ctx.profile

        def build() -> Props:
            return emit_fields(profile.AGENT_FIELDS, agent, ctx, [(RDF_TYPE, profile.AGENT_CLASS)])

        if agent.iri:
            return ctx.shared(agent.iri, build)
        return Blank(build())

    def read_one(self, obj: Node, rctx: ReadContext) -> AgentRef | None:
        if isinstance(obj, Literal):
            rctx.warn("literal_agent", f"agent given as the literal {str(obj)!r}; read as its name")
            return AgentRef(name=str(obj))
        values = read_fields(rctx.profile.AGENT_FIELDS, obj, rctx)
        if not values.get("name"):
            rctx.warn("agent_without_name", f"{_node_label(obj, rctx)} has no name; ignored")
            return None
        if isinstance(obj, URIRef):
            values["iri"] = str(obj)
        return AgentRef(**values)


class Agent(_AgentKind):
    """AgentRef <-> one foaf:Agent (publisher, custodian, HDAB)."""

    def clean(self, value: AgentRef, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        return self.clean_one(value, ctx, problems, path)

    def emit(self, value: AgentRef, ctx: EmitContext) -> Iterable[Obj]:
        return [self.node(value, ctx)]

    def read(self, objs: list[Node], rctx: ReadContext) -> AgentRef | None:
        return self.read_one(_pick(objs, rctx), rctx)


class Agents(_AgentKind):
    """tuple[AgentRef] (dct:creator)."""

    def clean(self, value: tuple[AgentRef, ...], ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        return tuple(self.clean_one(a, ctx, problems, path) for a in value)

    def emit(self, value: tuple[AgentRef, ...], ctx: EmitContext) -> Iterable[Obj]:
        return [self.node(a, ctx) for a in value]

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[AgentRef, ...]:
        return tuple(a for a in (self.read_one(o, rctx) for o in objs) if a is not None)


class Series(Kind):
    """SeriesRef <-> dcat:inSeries to a dcat:DatasetSeries (title; description and legislation as DCAT-AP and
    HealthDCAT-AP require them: the series key stands in for a missing title, the catalogue's legislation applies)."""

    def clean(self, value: SeriesRef, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        title = LangTexts().clean(value.title, ctx, problems, path)
        return value if title == value.title else SeriesRef(key=value.key, title=title)

    def emit(self, value: SeriesRef, ctx: EmitContext) -> Iterable[Obj]:
        iri = series_iri(value.key, ctx.base_url)

        def build() -> Props:
            titles = [Lit(t.text, t.lang) for t in value.title] or [Lit(value.key)]
            props: Props = [(RDF_TYPE, DCAT.DatasetSeries)]
            props += [(DCT.title, t) for t in titles]
            props += [(DCT.description, t) for t in titles]
            for law in ctx.series_legislation:
                ctx.type_value(law, ELI.LegalResource)
                props.append((DCATAP.applicableLegislation, law))
            return props

        return [ctx.shared(iri, build)]

    def read(self, objs: list[Node], rctx: ReadContext) -> SeriesRef | None:
        obj = _pick(objs, rctx)
        if isinstance(obj, Literal):
            return SeriesRef(key=str(obj))
        title = LangTexts().read(list(rctx.index.props(obj).get(DCT.title, ())), rctx)
        if isinstance(obj, URIRef):
            return SeriesRef(key=series_key(str(obj), rctx.base_url), title=title)
        identifiers = [str(o) for o in rctx.index.props(obj).get(DCT.identifier, ()) if isinstance(o, Literal)]
        key = sorted(identifiers)[0] if identifiers else (title[0].text if title else "")
        if not key:
            rctx.warn("unidentified_series", "a blank dataset series without identifier or title; ignored")
            return None
        return SeriesRef(key=key, title=title)


class Distributions(Kind):
    """tuple[DistributionDescriptor] <-> dcat:distribution nodes `<dataset>/distributions/<n>`."""

    def clean(self, value: Any, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        out = []
        for i, dist in enumerate(value):
            changes = clean_fields(ctx.profile.DISTRIBUTION_FIELDS, dist, ctx, problems, f"{path}[{i}].")
            out.append(DistributionDescriptor(**{**_asdict(dist), **changes}) if changes else dist)
        return tuple(out)

    def emit(self, value: tuple[DistributionDescriptor, ...], ctx: EmitContext) -> Iterable[Obj]:
        out: list[Obj] = []
        profile = ctx.profile
        for i, dist in enumerate(value):
            iri = f"{ctx.subject}/distributions/{i}"
            ctx.blocks.append(
                (iri, emit_fields(profile.DISTRIBUTION_FIELDS, dist, ctx, [(RDF_TYPE, profile.DISTRIBUTION_CLASS)]))
            )
            out.append(iri)
        return out

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[DistributionDescriptor, ...]:
        out = []
        for obj in dict.fromkeys(objs):
            if isinstance(obj, Literal):
                rctx.warn("not_a_node", f"distribution given as the literal {str(obj)!r}; ignored")
                continue
            out.append(DistributionDescriptor(**read_fields(rctx.profile.DISTRIBUTION_FIELDS, obj, rctx)))
        return tuple(out)


class SchemaIdentifiers(Kind):
    """(doi, other_identifiers) <-> schema:identifier: the DOI as its doi.org IRI, the others as
    schema:PropertyValue (schema:propertyID = the scheme, schema:value = the identifier)."""

    def emit(self, value: tuple[str, tuple[Identifier, ...]], ctx: EmitContext) -> Iterable[Obj]:
        doi, others = value
        out: list[Obj] = [DOI_RESOLVER + (parse_doi(doi) or doi)] if doi else []
        for ident in others:
            props: Props = [(RDF_TYPE, SDO.PropertyValue)]
            if ident.scheme:
                props.append((SDO.propertyID, Lit(ident.scheme)))
            props.append((SDO.value, Lit(ident.value)))
            out.append(Blank(props))
        return out

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[str, tuple[Identifier, ...]]:
        doi = ""
        others = []
        for obj in objs:
            if isinstance(obj, Literal):
                others.append(Identifier("", str(obj)))
                continue
            if isinstance(obj, URIRef) and not doi and parse_doi(str(obj)):
                doi = parse_doi(str(obj)) or ""
                continue
            props = rctx.index.props(obj)
            values = [str(o) for o in props.get(SDO.value, ()) if isinstance(o, Literal)]
            if not values:
                if isinstance(obj, URIRef):
                    others.append(Identifier("iri", str(obj)))
                else:
                    rctx.warn("incomplete_identifier", "a schema:PropertyValue without schema:value; ignored")
                continue
            schemes = [str(o) for o in props.get(SDO.propertyID, ()) if isinstance(o, Literal)]
            others.append(Identifier(schemes[0] if schemes else "", values[0]))
        return doi, tuple(others)


class YearInterval(Kind):
    """(year_min, year_max) <-> schema:temporalCoverage as an ISO 8601 interval of years ("2019/2021", "2019/..")."""

    def emit(self, value: tuple[int | None, int | None], ctx: EmitContext) -> Iterable[Obj]:
        start, end = value
        first = f"{start:04d}" if start is not None else ".."
        last = f"{end:04d}" if end is not None else ".."
        return [Lit(f"{first}/{last}")]

    def clean(self, value: Any, ctx: EmitContext, problems: list[Problem], path: str) -> Any:
        return YearPeriod().clean(value, ctx, problems, path)

    def read(self, objs: list[Node], rctx: ReadContext) -> tuple[int | None, int | None] | None:
        obj = _pick(objs, rctx)
        text = str(obj) if isinstance(obj, Literal) else ""
        start, _, end = text.partition("/")
        first = _YEAR_PREFIX.match(start)
        last = _YEAR_PREFIX.match(end or start)
        if not first and not last:
            rctx.warn("invalid_period", f"{text!r} is not a period of years; ignored")
            return None
        return (int(first.group(1)) if first else None, int(last.group(1)) if last else None)


def _asdict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


# ================================================================================================ profiles

LANG_TEXTS = LangTexts()
TEXTS = Texts()
TEXT = Text()
INT = NonNegativeInteger()
BOOL = Boolean()
DATE = Date()
URLS = Iris(vocabulary=False)
URL = Iri(vocabulary=False)
DOCUMENT = Iri(FOAF.Document, vocabulary=False, dedupe=False)
CONCEPT = Iri(SKOS.Concept)
CONCEPTS = Iris(SKOS.Concept)
STANDARDS = Iris(DCT.Standard)
LEGISLATION = Iris(ELI.LegalResource)
EUCAIM_VALUES = Iris()
EUCAIM_VALUE = Iri()


class BaseProfile:
    """What every profile has: its tables (set by subclasses) and the operations that only read them."""

    NAME: ClassVar[str]
    LABEL: ClassVar[str]
    DATASET_CLASS: ClassVar[str]
    DISTRIBUTION_CLASS: ClassVar[str]
    AGENT_CLASS: ClassVar[str]
    CATALOGUE_CLASS: ClassVar[str]
    CATALOGUE_DATASET: ClassVar[str]
    IDENTIFIER: ClassVar[str | None]
    FIELDS: ClassVar[tuple[Field, ...]]
    DISTRIBUTION_FIELDS: ClassVar[tuple[Field, ...]]
    AGENT_FIELDS: ClassVar[tuple[Field, ...]]
    CONTACT_FIELDS: ClassVar[tuple[Field, ...]]
    CATALOGUE_FIELDS: ClassVar[tuple[Field, ...]]

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """Descriptor attributes this profile writes (for the documented "not exported" normalisation)."""
        return frozenset(n for f in cls.FIELDS if f.export for n in f.names)

    @classmethod
    def clean(cls, descriptor: DatasetDescriptor, ctx: EmitContext) -> tuple[DatasetDescriptor, list[Problem]]:
        """The descriptor without the values this profile cannot write validly, and what was dropped."""
        problems: list[Problem] = []
        changes = clean_fields(cls.FIELDS, descriptor, ctx, problems, "")
        return (descriptor.replace(**changes) if changes else descriptor), problems

    @classmethod
    def missing(cls, descriptor: DatasetDescriptor) -> list[str]:
        """What the dataset lacks to be exported with this profile (nothing: the atlas mints the rest)."""
        return []

    @classmethod
    def fill_mandatory(cls, descriptor: DatasetDescriptor, subject: str) -> tuple[DatasetDescriptor, list[Problem]]:
        """Fill what the profile's shapes require and the descriptor lacks (nothing for schema.org)."""
        return descriptor, []


class DcatAp3Profile(BaseProfile):
    """DCAT-AP 3.0.1: the base every atlas export satisfies (validated against the official shapes)."""

    NAME: ClassVar[str] = "dcat-ap"
    LABEL: ClassVar[str] = "DCAT-AP 3.0.1"
    DATASET_CLASS: ClassVar[str] = DCAT.Dataset
    DISTRIBUTION_CLASS: ClassVar[str] = DCAT.Distribution
    AGENT_CLASS: ClassVar[str] = FOAF.Agent
    CATALOGUE_CLASS: ClassVar[str] = DCAT.Catalog
    CATALOGUE_DATASET: ClassVar[str] = DCAT.dataset
    IDENTIFIER: ClassVar[str | None] = DCT.identifier

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("title", DCT.title, LANG_TEXTS, min=1),
        Field("description", DCT.description, LANG_TEXTS, min=1),
        Field(("doi", "other_identifiers"), ADMS.identifier, Identifiers()),
        Field("keywords", DCAT.keyword, TEXTS),
        Field("themes", DCAT.theme, CONCEPTS),
        Field("dataset_types", DCT.type, CONCEPTS),
        Field("access_rights", DCT.accessRights, Iri(DCT.RightsStatement), max=1),
        Field("applicable_legislation", DCATAP.applicableLegislation, LEGISLATION),
        Field("contact_points", DCAT.contactPoint, ContactPoints()),
        Field("publisher", DCT.publisher, Agent(), max=1),
        Field("creators", DCT.creator, Agents()),
        Field("provenance", DCT.provenance, LabelledNodes(DCT.ProvenanceStatement)),
        Field("spatial", DCT.spatial, Iris(DCT.Location)),
        Field("conforms_to", DCT.conformsTo, STANDARDS),
        Field("languages", DCT.language, Iris(DCT.LinguisticSystem)),
        Field("frequency", DCT.accrualPeriodicity, Iri(DCT.Frequency), max=1),
        Field(("acquisition_year_min", "acquisition_year_max"), DCT.temporal, YearPeriod()),
        Field("version", DCAT.version, TEXT, max=1, aliases=(OWL.versionInfo, ADMS.version)),
        Field("version_notes", ADMS.versionNotes, TEXT, max=1),
        Field("series", DCAT.inSeries, Series(), max=1),
        Field("issued", DCT.issued, DATE, max=1),
        Field("modified", DCT.modified, DATE, max=1),
        Field("landing_page", DCAT.landingPage, DOCUMENT, max=1),
        Field("distributions", DCAT.distribution, Distributions()),
    )
    DISTRIBUTION_FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("access_urls", DCAT.accessURL, URLS, min=1),
        Field("download_urls", DCAT.downloadURL, URLS),
        Field("title", DCT.title, LANG_TEXTS),
        Field("description", DCT.description, LANG_TEXTS),
        Field("format", DCT.format, Iri(DCT.MediaTypeOrExtent), max=1),
        Field("media_type", DCAT.mediaType, MediaType(), max=1),
        Field("byte_size", DCAT.byteSize, INT, max=1),
        Field("license", DCT.license, Iri(DCT.LicenseDocument), max=1),
        Field("rights", DCT.rights, Rights(), max=1),
        Field("applicable_legislation", DCATAP.applicableLegislation, LEGISLATION),
        Field("availability", DCATAP.availability, CONCEPT, max=1),
        Field("status", ADMS.status, CONCEPT, max=1),
        Field("checksum", SPDX.checksum, ChecksumKind(), max=1),
    )
    AGENT_FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("name", FOAF.name, TEXT, min=1, max=1, aliases=(VCARD.fn, SKOS.prefLabel, RDFS.label)),
        Field("type", DCT.type, CONCEPT, max=1),
        Field("homepage", FOAF.homepage, DOCUMENT, max=1),
        Field("email", FOAF.mbox, Mailto(), max=1, aliases=(VCARD.hasEmail,), export=False),
    )
    CONTACT_FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("name", VCARD.fn, TEXT, max=1, aliases=(VCARD["organization-name"], VCARD.organisationName)),
        Field("email", VCARD.hasEmail, Mailto(), max=1, aliases=(VCARD.email,)),
        Field("url", VCARD.hasURL, URL, max=1),
    )
    CATALOGUE_FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("title", DCT.title, LANG_TEXTS, min=1),
        Field("description", DCT.description, LANG_TEXTS, min=1),
        Field("publisher", DCT.publisher, Agent(), min=1, max=1),
        Field("homepage", FOAF.homepage, DOCUMENT, max=1),
        Field("license", DCT.license, Iri(DCT.LicenseDocument), max=1),
        Field("applicable_legislation", DCATAP.applicableLegislation, LEGISLATION),
        Field("issued", DCT.issued, DATE, max=1),
        Field("modified", DCT.modified, DATE, max=1),
    )

    @classmethod
    def fill_mandatory(cls, descriptor: DatasetDescriptor, subject: str) -> tuple[DatasetDescriptor, list[Problem]]:
        """Make a dataset the atlas must export anyway valid DCAT-AP 3.0.1, the way DCAT's own usage notes do.

        Runs after the profile choice, so a filled value never makes a dataset count as complete for
        HealthDCAT-AP. A missing title is the dataset's guid; a missing description repeats the title; a
        distribution without an access URL gets its download URL ("if the distribution can be downloaded,
        accessURL has the same value"), else the dataset's landing page, else the atlas dataset page. Each fill
        is reported.
        """
        problems: list[Problem] = []
        changes: dict[str, Any] = {}
        title = descriptor.title
        if not title:
            title = changes["title"] = (LangText("", descriptor.guid),)
            problems.append(Problem("title", "title_filled", "no title: the dataset's identifier is written"))
        if not descriptor.description:
            changes["description"] = title
            problems.append(Problem("description", "description_filled", "no description: the title is repeated"))
        if any(not d.access_urls for d in descriptor.distributions):
            filled = []
            for i, dist in enumerate(descriptor.distributions):
                if not dist.access_urls:
                    urls = dist.download_urls or (descriptor.landing_page or subject,)
                    problems.append(Problem(f"distributions[{i}].access_urls", "access_url_filled",
                                            f"no access URL: {urls[0]} is written, as DCAT-AP 3 requires one"))
                    dist = DistributionDescriptor(**{**_asdict(dist), "access_urls": urls})
                filled.append(dist)
            changes["distributions"] = tuple(filled)
        return (descriptor.replace(**changes) if changes else descriptor), problems


class HealthDcatApProfile(DcatAp3Profile):
    """HealthDCAT-AP Release 8 (http://healthdataportal.eu/ns/health#, provisional upstream)."""

    NAME = "healthdcat-ap"
    LABEL = "HealthDCAT-AP Release 8"

    FIELDS = DcatAp3Profile.FIELDS + (
        Field("alternative", DCT.alternative, LANG_TEXTS),
        Field("health_categories", HEALTHDCATAP.healthCategory, CONCEPTS, min=1),
        Field("health_themes", HEALTHDCATAP.healthTheme, CONCEPTS),
        Field("custodian", GEODCATAP.custodian, Agent(), max=1),
        Field("hdab", HEALTHDCATAP.hdab, Agent(), min=1, max=1),
        Field("n_subjects", HEALTHDCATAP.numberOfUniqueIndividuals, SubjectCount(), max=1),
        Field("n_studies", HEALTHDCATAP.numberOfRecords, INT, max=1),
        Field("min_age", HEALTHDCATAP.minTypicalAge, AgeBound(upper=False), max=1),
        Field("max_age", HEALTHDCATAP.maxTypicalAge, AgeBound(upper=True), max=1),
        Field("population_coverage", HEALTHDCATAP.populationCoverage, LANG_TEXTS),
        Field("coding_systems", HEALTHDCATAP.hasCodingSystem, STANDARDS),
        Field("code_values", HEALTHDCATAP.hasCodeValues, TEXTS),
        Field("has_structured_data", HEALTHDCATAP.hasStructuredData, BOOL, min=1, max=1),
    )
    AGENT_FIELDS = DcatAp3Profile.AGENT_FIELDS + (
        Field(("email", "contact_page", "telephone"), CV.contactPoint, ContactPointOf(), max=1),
    )

    @classmethod
    def missing(cls, descriptor: DatasetDescriptor) -> list[str]:
        """What HealthDCAT-AP R8 requires beyond `catalogue.completeness.missing_fields` (which it includes).

        These are rules of the R8 shapes the completeness list does not express: the access level must be one of
        the three the shapes exist for; `hasStructuredData true` needs `hasVariables`, which the catalogue does
        not hold; a dataset contact needs an e-mail or a URL; a custodian needs a contact point.
        """
        from catalogue.completeness import missing_fields
        from catalogue.dcat.namespaces import ACCESS_LEVELS

        missing, _ = missing_fields(completeness_view(descriptor))
        if descriptor.access_rights and descriptor.access_rights not in ACCESS_LEVELS:
            missing.append("access_rights (PUBLIC, RESTRICTED or NON_PUBLIC)")
        if descriptor.has_structured_data:
            missing.append("variables (hasStructuredData true requires healthdcatap:hasVariables)")
        if any(not (c.email or c.url) for c in descriptor.contact_points):
            missing.append("contact_points.email_or_url")
        if descriptor.custodian and not (descriptor.custodian.email or descriptor.custodian.contact_page):
            missing.append("custodian.contact_point")
        return missing


def completeness_view(descriptor: DatasetDescriptor) -> dict[str, Any]:
    """The part of `descriptor.to_dict()` that `catalogue.completeness.missing_fields` reads, built cheaply.

    `to_dict()` converts the whole descriptor and was a third of the export's time; a test holds this view and
    the full dict to the same answer (tests/catalogue/dcat/test_profiles.py).
    """
    from catalogue.completeness import EUCAIM_MANDATORY, HEALTHDCATAP_MANDATORY

    view: dict[str, Any] = {name: getattr(descriptor, name) for name in (*HEALTHDCATAP_MANDATORY, *EUCAIM_MANDATORY)}
    for name in ("hdab", "publisher"):
        agent = getattr(descriptor, name)
        view[name] = None if agent is None else {"email": agent.email, "contact_page": agent.contact_page}
    view["distributions"] = [
        {"access_urls": d.access_urls, "applicable_legislation": d.applicable_legislation, "rights": d.rights}
        for d in descriptor.distributions
    ]
    return view


class EucaimProfile(HealthDcatApProfile):
    """EUCAIM DCAT-AP v2.0 extension (https://cancerimage.eu/ontology/EUCAIM#)."""

    NAME = "eucaim"
    LABEL = "EUCAIM DCAT-AP v2.0"

    FIELDS = HealthDcatApProfile.FIELDS + (
        Field("birth_sex", EUCAIM.hasBirthSex, EUCAIM_VALUES, min=1),
        Field("cancer_types", EUCAIM.hasCondition, EUCAIM_VALUES, min=1),
        Field("modalities", EUCAIM.hasImageModality, EUCAIM_VALUES, min=1),
        Field("manufacturers", EUCAIM.hasEquipmentManufacturer, TEXTS, min=1),
        Field("body_parts", EUCAIM.hasImageBodyPart, EUCAIM_VALUES, min=1),
        Field("collection_methods", EUCAIM.collectionMethod, EUCAIM_VALUES, min=1),
        Field("tier", EUCAIM.interoperabilityLevel, EUCAIM_VALUE, min=1, max=1, aliases=(ADMS.interoperabilityLevel,)),
        Field("segmentation_labels", EUCAIM.hasAnnotationLabel, IrisOrTexts()),
        Field("segmentation_methods", EUCAIM.hasAlgorithmType, EUCAIM_VALUES),
        Field("n_segmentations", EUCAIM.nbrOfSegmentations, INT, max=1),
    )


class SchemaOrgDatasetProfile(BaseProfile):
    """schema.org `Dataset` (the markup search engines read); its own table, the same kinds."""

    NAME: ClassVar[str] = "schema.org"
    LABEL: ClassVar[str] = "schema.org Dataset"
    DATASET_CLASS: ClassVar[str] = SDO.Dataset
    DISTRIBUTION_CLASS: ClassVar[str] = SDO.DataDownload
    AGENT_CLASS: ClassVar[str] = SDO.Organization
    CATALOGUE_CLASS: ClassVar[str] = SDO.DataCatalog
    CATALOGUE_DATASET: ClassVar[str] = SDO.dataset
    IDENTIFIER: ClassVar[str | None] = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("title", SDO.name, LANG_TEXTS, min=1),
        Field("description", SDO.description, LANG_TEXTS, min=1),
        Field("alternative", SDO.alternateName, LANG_TEXTS),
        Field(("doi", "other_identifiers"), SDO.identifier, SchemaIdentifiers()),
        Field("keywords", SDO.keywords, TEXTS),
        Field("landing_page", SDO.url, URL, max=1),
        Field("publisher", SDO.publisher, Agent(), max=1),
        Field("creators", SDO.creator, Agents()),
        Field("issued", SDO.datePublished, DATE, max=1),
        Field("modified", SDO.dateModified, DATE, max=1),
        Field("version", SDO.version, TEXT, max=1),
        Field("spatial", SDO.spatialCoverage, URLS),
        Field("languages", SDO.inLanguage, URLS),
        Field("cancer_types", SDO.about, URLS),
        Field("modalities", SDO.measurementTechnique, URLS),
        Field(("acquisition_year_min", "acquisition_year_max"), SDO.temporalCoverage, YearInterval(), max=1),
        Field("distributions", SDO.distribution, Distributions()),
    )
    DISTRIBUTION_FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("download_urls", SDO.contentUrl, URLS),
        Field("access_urls", SDO.url, URLS),
        Field("title", SDO.name, LANG_TEXTS),
        Field("description", SDO.description, LANG_TEXTS),
        Field("media_type", SDO.encodingFormat, TEXT, max=1),
        Field("license", SDO.license, URL, max=1),
    )
    AGENT_FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("name", SDO.name, TEXT, min=1, max=1),
        Field("homepage", SDO.url, URL, max=1),
        Field("email", SDO.email, Text(strip_mailto=True), max=1),
    )
    CONTACT_FIELDS: ClassVar[tuple[Field, ...]] = ()
    CATALOGUE_FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("title", SDO.name, LANG_TEXTS, min=1),
        Field("description", SDO.description, LANG_TEXTS),
        Field("publisher", SDO.publisher, Agent(), max=1),
        Field("homepage", SDO.url, URL, max=1),
    )


Profile = type[BaseProfile]

PROFILES: dict[str, Profile] = {
    DcatAp3Profile.NAME: DcatAp3Profile,
    HealthDcatApProfile.NAME: HealthDcatApProfile,
    EucaimProfile.NAME: EucaimProfile,
    SchemaOrgDatasetProfile.NAME: SchemaOrgDatasetProfile,
}
"""Profile name (the `--profile` choices and the export report) -> profile class."""


def profile_for_dataset(
    ceiling: Profile, descriptor: DatasetDescriptor, *, degrade: bool = True
) -> tuple[Profile, list[str]]:
    """The profile a (cleaned) dataset is exported with under the `ceiling` profile, and what it lacks.

    A dataset complete for HealthDCAT-AP is exported with every property of the ceiling (HealthDCAT-AP or
    EUCAIM); an incomplete one as plain DCAT-AP 3, so the export never claims a profile it does not satisfy.
    """
    if not degrade or not issubclass(ceiling, HealthDcatApProfile):
        return ceiling, []
    missing = HealthDcatApProfile.missing(descriptor)
    return (DcatAp3Profile, missing) if missing else (ceiling, [])
