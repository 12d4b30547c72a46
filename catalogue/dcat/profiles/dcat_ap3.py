"""DCAT-AP 3.0.1: the profile every atlas export satisfies."""

from __future__ import annotations

from typing import Any, ClassVar

from catalogue.dcat.namespaces import ADMS, DCAT, DCATAP, DCT, FOAF, OWL, RDFS, SKOS, SPDX, VCARD
from catalogue.dcat.profiles.base import BaseProfile
from catalogue.dcat.profiles.core import Field, Problem, _asdict
from catalogue.dcat.profiles.kinds import (
    CONCEPT,
    CONCEPTS,
    DATE,
    DOCUMENT,
    INT,
    LANG_TEXTS,
    LEGISLATION,
    STANDARDS,
    TEXT,
    TEXTS,
    URL,
    URLS,
    ChecksumKind,
    Iri,
    Iris,
    LabelledNodes,
    Mailto,
    MediaType,
    Rights,
    YearPeriod,
)
from catalogue.dcat.profiles.nodes import AgentField, Agents, ContactPoints, Distributions, Identifiers, Series
from catalogue.descriptors import DatasetDescriptor, DistributionDescriptor, LangText


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
        Field("publisher", DCT.publisher, AgentField(), max=1),
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
        Field("publisher", DCT.publisher, AgentField(), min=1, max=1),
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
