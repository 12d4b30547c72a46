"""Descriptors for the DCAT tests: a full one per access level (official IRIs written out, no database needed)
and hypothesis strategies for the round trip."""

from __future__ import annotations

import dataclasses
import string
import zlib
from typing import Any

from hypothesis import strategies as st

from catalogue.completeness import EUCAIM_ACCESS_CONDITION_PREFIX
from catalogue.dcat.namespaces import ACCESS_NON_PUBLIC, ACCESS_PUBLIC, ACCESS_RESTRICTED, EHDS_REGULATION
from catalogue.dcat.profiles import CatalogueInfo
from catalogue.descriptors import (
    AgentRef,
    Checksum,
    ContactPoint,
    DatasetDescriptor,
    DistributionDescriptor,
    Identifier,
    LangText,
    SeriesRef,
    StudyFactRecord,
)

BASE_URL = "https://atlas.example.eu/"
K = 10
EU = "http://publications.europa.eu/resource/authority/"
HDEU = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"
EUCAIM = "https://cancerimage.eu/ontology/EUCAIM#"
SNOMED = "http://snomed.info/id/"
DCM = "http://dicom.nema.org/resources/ontology/DCM/"
DOWNLOAD = EUCAIM_ACCESS_CONDITION_PREFIX + "#DOWNLOAD"
IN_SITU = EUCAIM_ACCESS_CONDITION_PREFIX + "#IN_SITU_PROCESSING"
GDPR = "http://data.europa.eu/eli/reg/2016/679/oj"
LEVELS = (ACCESS_PUBLIC, ACCESS_RESTRICTED, ACCESS_NON_PUBLIC)

NOT_EXPORTED = frozenset({"n_series", "n_instances", "n_bytes", "species", "study_facts"})
"""Descriptor fields no profile has a predicate for (documented in catalogue/dcat/profiles.py)."""


def full_descriptor(guid: str, access: str = ACCESS_NON_PUBLIC, **changes: Any) -> DatasetDescriptor:
    """A dataset with EVERY descriptor field set to a valid value, complete for HealthDCAT-AP and EUCAIM."""
    values: dict[str, Any] = dict(
        guid=guid,
        title=(LangText("en", f"Lung CT cohort {guid}"), LangText("fr", f"Cohorte TDM poumon {guid}")),
        description=(LangText("en", 'Chest CT of patients with "NSCLC"\nde-identified at the node.'),),
        original_iri=f"https://node-a.example/datasets/{guid}",
        doi=f"10.5281/zenodo.{zlib.crc32(guid.encode()) % 10**7}",
        other_identifiers=(Identifier("EUCAIM", f"EUCAIM-{guid}"), Identifier("", f"local-{guid}")),
        alternative=(LangText("en", f"LCT-{guid}"),),
        keywords=("lung", "CT", "non-small cell"),
        themes=(EU + "data-theme/HEAL",),
        health_categories=(HDEU + "healthcategories/RQSH", HDEU + "healthcategories/EHRS"),
        health_themes=(HDEU + "health-theme/CANCER_DISEASE",),
        dataset_types=(EUCAIM + "SPEC1000020", "https://w3id.org/dpv#PseudonymisedData"),
        access_rights=access,
        applicable_legislation=(EHDS_REGULATION, GDPR),
        contact_points=(
            ContactPoint(name="Data steward", email="steward@hospital-a.example"),
            ContactPoint(url="https://hospital-a.example/contact"),
        ),
        publisher=AgentRef(
            name="Hospital A", iri="https://hospital-a.example/org", type="http://purl.org/adms/publishertype/Company",
            email="data@hospital-a.example", contact_page="https://hospital-a.example/data",
            telephone="+34 900 000 000",
            homepage="https://hospital-a.example/",
        ),
        custodian=AgentRef(name="Imaging department, Hospital A", email="imaging@hospital-a.example"),
        hdab=AgentRef(name="National HDAB", iri="https://hdab.example/", contact_page="https://hdab.example/contact"),
        creators=(AgentRef(name="Radiology research group"), AgentRef(name="Oncology unit", homepage="https://onco.example/")),
        provenance=(LangText("en", "Routine care imaging, de-identified at the node."),),
        n_subjects=120,
        n_studies=130,
        n_series=400,
        n_instances=52000,
        n_bytes=12_000_000_000,
        n_segmentations=40,
        min_age=18,
        max_age=90,
        acquisition_year_min=2015,
        acquisition_year_max=2022,
        population_coverage=(LangText("en", "Adults treated for lung cancer at Hospital A."),),
        birth_sex=(EUCAIM + "COM1001370", EUCAIM + "COM1001366"),
        cancer_types=(SNOMED + "254637007",),
        modalities=(DCM + "CT", DCM + "SEG"),
        manufacturers=("SIEMENS", "GE MEDICAL SYSTEMS"),
        body_parts=(SNOMED + "816094009",),
        collection_methods=(EUCAIM + "SPEC1000004",),
        tier="https://atlas.example.eu/vocab/tier/1",
        segmentation_labels=("Lung", SNOMED + "39607008"),
        segmentation_methods=(EUCAIM + "COM1000003",),
        spatial=(EU + "country/ESP",),
        coding_systems=(HDEU + "coding-system/ICD-10", HDEU + "coding-system/DICOM-CT"),
        code_values=("ICD-10: C34",),
        conforms_to=(HDEU + "standard/DICOM",),
        has_structured_data=False,
        languages=(EU + "language/ENG",),
        species=("https://atlas.example.eu/vocab/species/9606",),
        frequency=EU + "frequency/IRREG",
        version="1.0",
        version_notes="First release.",
        series=SeriesRef(key="lung-biobank", title=(LangText("en", "Lung imaging biobank"),)),
        issued="2021-03-04",
        modified="2023-05-06T07:08:09Z",
        landing_page=f"https://hospital-a.example/datasets/{guid}",
        distributions=(
            DistributionDescriptor(
                access_urls=("https://negotiator.example/request",),
                download_urls=(f"https://hospital-a.example/download/{guid}.zip",),
                title=(LangText("en", "DICOM files"),),
                description=(LangText("en", "Access through the EUCAIM negotiator."),),
                format=EU + "file-type/ZIP",
                media_type="application/dicom",
                byte_size=12_000_000_000,
                license=EU + "licence/CC_BY_4_0",
                rights=(DOWNLOAD, IN_SITU, "Research use only"),
                applicable_legislation=(EHDS_REGULATION,),
                availability=EU + "planned-availability/STABLE",
                status=EU + "distribution-status/COMPLETED",
                checksum=Checksum("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
            ),
            DistributionDescriptor(
                access_urls=("https://negotiator.example/request-remote",),
                applicable_legislation=(EHDS_REGULATION,),
                rights=(EUCAIM_ACCESS_CONDITION_PREFIX + "#REMOTE_PROCESSING",),
            ),
        ),
        study_facts=(StudyFactRecord(subject_key="s1", sex="F", age_band=60, year=2020, modalities=("CT",)),),
    )
    values.update(changes)
    return DatasetDescriptor(**values)


def minimal_descriptor(guid: str, **changes: Any) -> DatasetDescriptor:
    """An incomplete dataset: title and description only (exported as plain DCAT-AP 3)."""
    values: dict[str, Any] = dict(guid=guid, title=(LangText("", f"Untitled scans {guid}"),),
                                  description=(LangText("", "Scans waiting for curation."),))
    values.update(changes)
    return DatasetDescriptor(**values)


def catalogue_info() -> CatalogueInfo:
    return CatalogueInfo(
        iri=BASE_URL + "catalogue",
        title=(LangText("en", "European Cancer Imaging Atlas catalogue"),),
        description=(LangText("en", "De-identified cancer imaging datasets."),),
        publisher=AgentRef(name="Atlas operator", iri=BASE_URL + "operator", email="atlas@atlas.example.eu"),
        homepage=BASE_URL,
        license=EU + "licence/CC0",
        applicable_legislation=(EHDS_REGULATION,),
        issued="2024-01-01T00:00:00+00:00",
        modified="2024-06-01T00:00:00+00:00",
    )


def validation_catalogue() -> list[DatasetDescriptor]:
    """Every field, every access level, complete and incomplete datasets (and a withheld subject total)."""
    return [
        full_descriptor("public-1", ACCESS_PUBLIC),
        full_descriptor("restricted-1", ACCESS_RESTRICTED, n_subjects=7),
        full_descriptor("nonpublic-1", ACCESS_NON_PUBLIC),
        full_descriptor("nonpublic-2", ACCESS_NON_PUBLIC, publisher=None, custodian=None, creators=(), series=None),
        full_descriptor("incomplete-hdab", ACCESS_RESTRICTED, hdab=None),
        full_descriptor("incomplete-structured", ACCESS_PUBLIC, has_structured_data=True),
        minimal_descriptor("incomplete-minimal"),
    ]


# ================================================================================================ hypothesis

_TEXT_CHARS = st.characters(
    blacklist_categories=["Cs"],
    blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)] + ["\ufffe", "\uffff"],
)
texts = st.text(_TEXT_CHARS, max_size=24)
nonempty_texts = st.text(_TEXT_CHARS, min_size=1, max_size=24)
langs = st.sampled_from(["", "en", "fr", "de", "nl", "en-GB", "pt-BR"])
lang_texts = st.builds(LangText, langs, texts)
slugs = st.text(string.ascii_lowercase + string.digits + "-_.~", min_size=1, max_size=16).filter(
    lambda s: s[0].isalnum()
)
iris = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.text(string.ascii_letters + string.digits + "-._~/", max_size=12),
)
unique_iris = st.uuids().map(lambda u: f"https://agents.example/{u}")
emails = st.builds(lambda user, host: f"{user}@{host}.example", st.text(string.ascii_lowercase + string.digits + ".",
                                                                       min_size=1, max_size=8),
                   st.text(string.ascii_lowercase, min_size=1, max_size=8))
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.integers(1000, 9999).map(str),
    st.datetimes(timezones=st.none()).map(lambda d: d.replace(microsecond=0).isoformat()),
    st.datetimes(timezones=st.none()).map(lambda d: d.replace(microsecond=0).isoformat() + "Z"),
)
counts = st.none() | st.integers(0, 10**7)
years = st.none() | st.integers(1, 9999)


def _pool(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values) | iris


themes = _pool(EU + "data-theme/HEAL", EU + "data-theme/TECH")
categories = _pool(HDEU + "healthcategories/RQSH", HDEU + "healthcategories/EHRS")
eucaim_values = _pool(EUCAIM + "SPEC1000020", EUCAIM + "COM1001370", SNOMED + "816094009", DCM + "CT")
levels = st.sampled_from(LEVELS)

agents = st.builds(
    AgentRef,
    name=nonempty_texts,
    iri=st.just("") | unique_iris,
    type=st.just("") | st.just("http://purl.org/adms/publishertype/Company"),
    email=st.just("") | emails,
    contact_page=st.just("") | iris,
    telephone=texts,
    homepage=st.just("") | iris,
)
contacts = st.one_of(
    st.builds(ContactPoint, name=texts, email=emails, url=st.just("") | iris),
    st.builds(ContactPoint, name=texts, email=st.just(""), url=iris),
    st.builds(ContactPoint, name=nonempty_texts),
)
distributions = st.builds(
    DistributionDescriptor,
    access_urls=st.tuples(iris) | st.lists(iris, max_size=2).map(tuple),
    download_urls=st.lists(iris, max_size=2).map(tuple),
    title=st.lists(lang_texts, max_size=2).map(tuple),
    description=st.lists(lang_texts, max_size=2).map(tuple),
    format=st.just("") | st.just(EU + "file-type/ZIP"),
    media_type=st.sampled_from(["", "application/dicom", "text/csv", "application/vnd.example+json"]),
    byte_size=counts,
    license=st.just("") | iris,
    rights=st.lists(st.sampled_from([DOWNLOAD, IN_SITU]) | iris | nonempty_texts, max_size=3).map(tuple),
    applicable_legislation=st.lists(st.sampled_from([EHDS_REGULATION, GDPR]), max_size=2).map(tuple),
    availability=st.just("") | st.just(EU + "planned-availability/STABLE"),
    status=st.just("") | st.just(EU + "distribution-status/COMPLETED"),
    checksum=st.none() | st.builds(Checksum, st.sampled_from(["sha256", "md5", "sha1"]),
                                   st.binary(min_size=1, max_size=32).map(bytes.hex)),
)


def _tuple(strategy: st.SearchStrategy[Any], *, min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[Any]:
    return st.lists(strategy, min_size=min_size, max_size=max_size).map(tuple)


@st.composite
def descriptors(draw: st.DrawFn, *, guid: str | None = None) -> DatasetDescriptor:
    """A valid descriptor; about half are complete for HealthDCAT-AP (so both export profiles are exercised)."""
    complete = draw(st.booleans())
    minimum = 1 if complete else 0
    reachable = st.builds(ContactPoint, name=texts, email=emails, url=st.just("") | iris)
    contact_strategy = reachable if complete else contacts
    values: dict[str, Any] = dict(
        guid=guid or draw(slugs | iris),
        title=draw(_tuple(lang_texts, min_size=1)),
        description=draw(_tuple(lang_texts, min_size=minimum)),
        doi=draw(st.just("") | st.from_regex(r"10\.[0-9]{4,6}/[a-z0-9.]{1,10}", fullmatch=True)),
        other_identifiers=draw(_tuple(st.builds(Identifier, texts, texts))),
        alternative=draw(_tuple(lang_texts)),
        keywords=draw(_tuple(texts, min_size=minimum)),
        themes=draw(_tuple(themes, min_size=minimum)),
        health_categories=draw(_tuple(categories, min_size=minimum)),
        health_themes=draw(_tuple(categories)),
        dataset_types=draw(_tuple(eucaim_values, min_size=minimum)),
        access_rights=draw(levels) if complete else draw(st.just("") | levels | iris),
        applicable_legislation=draw(_tuple(st.sampled_from([EHDS_REGULATION, GDPR]), min_size=minimum)),
        contact_points=draw(_tuple(contact_strategy, min_size=minimum)),
        publisher=draw(st.none() | agents.filter(lambda a: bool(a.email or a.contact_page))),
        custodian=draw(st.none() | agents.filter(lambda a: bool(a.email or a.contact_page))),
        hdab=draw(agents.filter(lambda a: bool(a.email or a.contact_page))) if complete else draw(st.none() | agents),
        creators=draw(_tuple(agents, max_size=2)),
        provenance=draw(_tuple(lang_texts, min_size=minimum)),
        n_subjects=draw(counts), n_studies=draw(counts), n_series=draw(counts), n_instances=draw(counts),
        n_bytes=draw(counts), n_segmentations=draw(counts), min_age=draw(counts), max_age=draw(counts),
        acquisition_year_min=draw(years), acquisition_year_max=draw(years),
        population_coverage=draw(_tuple(lang_texts)),
        birth_sex=draw(_tuple(eucaim_values)), cancer_types=draw(_tuple(eucaim_values)),
        modalities=draw(_tuple(eucaim_values)), manufacturers=draw(_tuple(texts)),
        body_parts=draw(_tuple(eucaim_values)), collection_methods=draw(_tuple(eucaim_values)),
        tier=draw(st.just("") | eucaim_values),
        segmentation_labels=draw(_tuple(eucaim_values | nonempty_texts)),
        segmentation_methods=draw(_tuple(eucaim_values)),
        spatial=draw(_tuple(iris)), coding_systems=draw(_tuple(iris)), code_values=draw(_tuple(texts)),
        conforms_to=draw(_tuple(iris)),
        has_structured_data=draw(st.just(False)) if complete else draw(st.none() | st.booleans()),
        languages=draw(_tuple(iris)), species=draw(_tuple(iris)),
        frequency=draw(st.just("") | iris), version=draw(texts), version_notes=draw(texts),
        series=draw(st.none() | st.builds(SeriesRef, key=st.uuids().map(str) | unique_iris,
                                          title=_tuple(lang_texts, min_size=1))),
        issued=draw(st.just("") | dates), modified=draw(st.just("") | dates),
        landing_page=draw(st.just("") | iris),
        distributions=draw(_tuple(
            distributions.filter(lambda d: bool(d.access_urls and d.applicable_legislation)) if complete
            else distributions,
            min_size=minimum, max_size=2,
        )),
        study_facts=draw(_tuple(st.builds(StudyFactRecord, subject_key=slugs), max_size=1)),
    )
    return DatasetDescriptor(**values)


def defaults() -> dict[str, Any]:
    """The default value of every descriptor field (what a field not exported comes back as)."""
    return {f.name: (f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)  # type: ignore[misc]
            for f in dataclasses.fields(DatasetDescriptor) if f.name not in ("guid", "title")}
