"""schema.org `Dataset`: the markup search engines read, with its own table and the same kinds."""

from __future__ import annotations

from typing import ClassVar

from catalogue.dcat.namespaces import SDO
from catalogue.dcat.profiles.base import BaseProfile
from catalogue.dcat.profiles.core import Field
from catalogue.dcat.profiles.kinds import DATE, LANG_TEXTS, TEXT, TEXTS, URL, URLS, Text, YearInterval
from catalogue.dcat.profiles.nodes import AgentField, Agents, Distributions, SchemaIdentifiers


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
        Field("publisher", SDO.publisher, AgentField(), max=1),
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
        Field("publisher", SDO.publisher, AgentField(), max=1),
        Field("homepage", SDO.url, URL, max=1),
    )
