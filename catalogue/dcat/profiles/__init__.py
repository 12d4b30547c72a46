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
docs/privacy.md §0). Conventions the tables encode, because DCAT-AP 3.0.1 allows one value where sources give many:

* distribution `dct:rights` (max 1 in DCAT-AP 3.0.1, 1..n in EUCAIM): one value is written as is; several are
  written as one `dct:RightsStatement` whose `dct:hasPart` are the values (read back the same way);
* a rights value that is not an IRI is a `dct:RightsStatement` with that text as `rdfs:label`;
* acquisition years are one `dct:temporal` period with `xsd:gYear` start and end dates.

The package: `core` (contexts, helpers, `Field`, the `Kind` base, the table walkers), `kinds` (value kinds and
the shared instances), `nodes` (kinds written as nodes of their own), `base` (`BaseProfile`), then one module
per profile (`dcat_ap3`, `healthdcat_ap`, `eucaim`, `schema_org`). Which profiles exist is the registry
`ATLAS_DCAT_PROFILES` (config/settings.py; name -> dotted path, loaded by `catalogue.registry`): `PROFILES`
reads it, so a new profile is its module plus one line there. Every name other modules imported from the
single-module `profiles.py` is re-exported here.
"""

from __future__ import annotations

from catalogue.dcat.profiles.base import BaseProfile
from catalogue.dcat.profiles.core import (
    MAX_LITERAL,
    RDF_VALUE,
    CatalogueInfo,
    EmitContext,
    Field,
    GraphIndexProtocol,
    Kind,
    Node,
    Problem,
    ReadContext,
    clean_fields,
    concept_code,
    dataset_iri,
    date_datatype,
    emit_fields,
    parse_doi,
    qname_xsd,
    read_fields,
    series_iri,
    series_key,
)
from catalogue.dcat.profiles.dcat_ap3 import DcatAp3Profile
from catalogue.dcat.profiles.eucaim import EucaimProfile
from catalogue.dcat.profiles.healthdcat_ap import HealthDcatApProfile, completeness_view
from catalogue.dcat.profiles.kinds import (
    BOOL,
    CONCEPT,
    CONCEPTS,
    DATE,
    DOCUMENT,
    EUCAIM_VALUE,
    EUCAIM_VALUES,
    INT,
    LANG_TEXTS,
    LEGISLATION,
    STANDARDS,
    TEXT,
    TEXTS,
    URL,
    URLS,
    AgeBound,
    Boolean,
    ChecksumKind,
    Date,
    Iri,
    Iris,
    IrisOrTexts,
    LabelledNodes,
    LangTexts,
    Mailto,
    MediaType,
    NonNegativeInteger,
    Rights,
    SubjectCount,
    Text,
    Texts,
    YearInterval,
    YearPeriod,
)
from catalogue.dcat.profiles.nodes import (
    AgentField,
    Agents,
    ContactPointOf,
    ContactPoints,
    Distributions,
    Identifiers,
    SchemaIdentifiers,
    Series,
)
from catalogue.dcat.profiles.schema_org import SchemaOrgDatasetProfile
from catalogue.descriptors import DatasetDescriptor
from catalogue.registry import Registry

Profile = type[BaseProfile]


def _name_matches(name: str, cls: type[BaseProfile]) -> str | None:
    """A profile is registered under its own NAME: the export report names profiles by it."""
    return None if cls.NAME == name else f"its NAME is {cls.NAME!r}, not the name it is registered under"


PROFILES: Registry[BaseProfile] = Registry(
    "ATLAS_DCAT_PROFILES", base=BaseProfile, what="DCAT profile", validate=_name_matches
)
"""Profile name (the `--profile` choices and the export report) -> profile class: the registry in settings."""


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


__all__ = [
    "BOOL", "CONCEPT", "CONCEPTS", "DATE", "DOCUMENT", "EUCAIM_VALUE", "EUCAIM_VALUES", "INT", "LANG_TEXTS",
    "LEGISLATION", "MAX_LITERAL", "PROFILES", "RDF_VALUE", "STANDARDS", "TEXT", "TEXTS", "URL", "URLS", "AgeBound",
    "AgentField", "Agents", "BaseProfile", "Boolean", "CatalogueInfo", "ChecksumKind", "ContactPointOf", "ContactPoints",
    "Date", "DcatAp3Profile", "Distributions", "EmitContext", "EucaimProfile", "Field", "GraphIndexProtocol",
    "HealthDcatApProfile", "Identifiers", "Iri", "Iris", "IrisOrTexts", "Kind", "LabelledNodes", "LangTexts",
    "Mailto", "MediaType", "Node", "NonNegativeInteger", "Problem", "Profile", "ReadContext", "Rights",
    "SchemaIdentifiers", "SchemaOrgDatasetProfile", "Series", "SubjectCount", "Text", "Texts", "YearInterval",
    "YearPeriod", "clean_fields", "completeness_view", "concept_code", "dataset_iri", "date_datatype",
    "emit_fields", "parse_doi", "profile_for_dataset", "qname_xsd", "read_fields", "series_iri", "series_key",
]
