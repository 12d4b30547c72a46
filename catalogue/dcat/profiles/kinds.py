"""Value kinds: how one descriptor value (texts, IRIs, numbers, dates, periods, rights, checksums) maps to RDF
objects and back, and the shared kind instances the mapping tables use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib.term import BNode, Literal, URIRef

from catalogue.dcat.namespaces import (
    DCAT,
    DCT,
    ELI,
    FOAF,
    IANA_MEDIA_TYPES,
    RDF_TYPE,
    RDFS,
    SDO,
    SKOS,
    SPDX,
    SPDX_ALGORITHM_PREFIX,
    XSD,
    normalise_vocabulary_iri,
)
from catalogue.dcat.profiles.core import (
    _ALGORITHM,
    _HEX,
    _INTEGER_TYPES,
    _MEDIA_TYPE,
    _PLAIN_TYPES,
    _YEAR_PREFIX,
    RDF_VALUE,
    EmitContext,
    Kind,
    Node,
    Problem,
    ReadContext,
    _lit_key,
    _node_label,
    _pick,
    _set,
    _within_limit,
    date_datatype,
    qname_xsd,
)
from catalogue.dcat.writers import Blank, Lit, Obj, Props, is_iri, is_lang_tag
from catalogue.descriptors import Checksum, LangText


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
    """`numberOfUniqueIndividuals`: omitted when below k (docs/privacy.md §0.1), and the export reports it withheld."""

    def emit(self, value: int, ctx: EmitContext) -> Iterable[Obj]:
        if ctx.withhold(value):
            ctx.withheld.append("n_subjects")
            return []
        return super().emit(value, ctx)


class AgeBound(NonNegativeInteger):
    """min/maxTypicalAge: published as 5-year band edges, top-coded at 90 (docs/privacy.md §2: "No exact min/max age").

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


# ================================================================================================ instances the tables share

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
