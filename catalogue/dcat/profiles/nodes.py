"""Node kinds: values written as nodes of their own (identifiers, contact points, agents, series, distributions),
which read and write nested mapping tables of the profile in use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib.term import BNode, Literal, URIRef

from catalogue.dcat.namespaces import ADMS, CV, DCAT, DCATAP, DCT, DOI_RESOLVER, ELI, RDF_TYPE, SDO, SKOS, VCARD, XSD
from catalogue.dcat.profiles.core import (
    EmitContext,
    Kind,
    Node,
    Problem,
    ReadContext,
    _asdict,
    _node_label,
    _pick,
    clean_fields,
    emit_fields,
    parse_doi,
    read_fields,
    series_iri,
    series_key,
)
from catalogue.dcat.profiles.kinds import LangTexts, Text
from catalogue.dcat.writers import Blank, Lit, Obj, Props, is_iri
from catalogue.descriptors import AgentRef, ContactPoint, DistributionDescriptor, Identifier, SeriesRef


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


class AgentField(_AgentKind):
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
