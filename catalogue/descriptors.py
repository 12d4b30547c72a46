"""The contract between harvesters and the catalogue: frozen, Django-free dataset descriptors.

Every harvester produces `DatasetDescriptor`s; `catalogue.services.dataset_upsert` is the only writer.
Vocabulary values are IRIs (harvesters resolve codes and labels with `catalogue.selectors.concept_resolve`).
Set-like fields are sorted and de-duplicated on construction, so `content_hash()` is deterministic and the
same dataset harvested twice in a different order hashes the same.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, order=True)
class LangText:
    """A literal with its language tag ("" when the source gave none)."""

    lang: str
    text: str


@dataclass(frozen=True, slots=True, order=True)
class Identifier:
    """An identifier the source assigned: scheme "doi", "iri", "guid" or a schema agency name."""

    scheme: str
    value: str


@dataclass(frozen=True, slots=True, order=True)
class ContactPoint:
    """A dataset contact (vcard:Kind): at least an e-mail or a URL."""

    name: str = ""
    email: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True, order=True)
class AgentRef:
    """An organisation or person acting for a dataset, with its contact point (cv:contactPoint)."""

    name: str
    iri: str = ""
    type: str = ""
    email: str = ""
    contact_page: str = ""
    telephone: str = ""
    homepage: str = ""


@dataclass(frozen=True, slots=True, order=True)
class Checksum:
    algorithm: str
    value: str


@dataclass(frozen=True, slots=True, order=True)
class DistributionDescriptor:
    """A way to reach the data (for EUCAIM: the Negotiator access URL)."""

    access_urls: tuple[str, ...] = ()
    download_urls: tuple[str, ...] = ()
    title: tuple[LangText, ...] = ()
    description: tuple[LangText, ...] = ()
    format: str = ""
    media_type: str = ""
    byte_size: int | None = None
    license: str = ""
    rights: tuple[str, ...] = ()
    applicable_legislation: tuple[str, ...] = ()
    availability: str = ""
    status: str = ""
    checksum: Checksum | None = None

    def __post_init__(self) -> None:
        _sort_fields(self, ("access_urls", "download_urls", "title", "description", "rights", "applicable_legislation"))


@dataclass(frozen=True, slots=True, order=True)
class SeriesRef:
    """The dataset series (an imaging biobank) a dataset belongs to, keyed by the source."""

    key: str
    title: tuple[LangText, ...] = ()

    def __post_init__(self) -> None:
        _sort_fields(self, ("title",))


@dataclass(frozen=True, slots=True, order=True)
class StudyFactRecord:
    """One imaging study, for cohort counting only (docs/privacy.md §0): never returned or shown one by one.

    `subject_key` is an opaque key of the subject pseudonym (harvesters pass a hash); the catalogue stores
    only a per-dataset salted HMAC of it. Ages are 5-year band lower edges (90 = 90+), dates are years.
    """

    subject_key: str
    sex: str = "U"
    age_band: int | None = None
    year: int | None = None
    modalities: tuple[str, ...] = ()
    body_parts: tuple[str, ...] = ()
    manufacturers: tuple[str, ...] = ()
    n_series: int = 0
    n_instances: int = 0
    n_bytes: int = 0


@dataclass(frozen=True, slots=True)
class FieldWarning:
    """A problem with one field of the source record (kept with the record, not part of its hash)."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class DatasetDescriptor:
    """Everything a source says about one dataset, in catalogue terms (see docs/metadata.md §7.1)."""

    guid: str
    title: tuple[LangText, ...]
    description: tuple[LangText, ...] = ()
    original_iri: str = ""
    doi: str = ""
    other_identifiers: tuple[Identifier, ...] = ()
    alternative: tuple[LangText, ...] = ()
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    health_categories: tuple[str, ...] = ()
    health_themes: tuple[str, ...] = ()
    dataset_types: tuple[str, ...] = ()
    access_rights: str = ""
    applicable_legislation: tuple[str, ...] = ()
    contact_points: tuple[ContactPoint, ...] = ()
    publisher: AgentRef | None = None
    custodian: AgentRef | None = None
    hdab: AgentRef | None = None
    creators: tuple[AgentRef, ...] = ()
    provenance: tuple[LangText, ...] = ()
    n_subjects: int | None = None
    n_studies: int | None = None
    n_series: int | None = None
    n_instances: int | None = None
    n_bytes: int | None = None
    n_segmentations: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    acquisition_year_min: int | None = None
    acquisition_year_max: int | None = None
    population_coverage: tuple[LangText, ...] = ()
    birth_sex: tuple[str, ...] = ()
    cancer_types: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    manufacturers: tuple[str, ...] = ()
    body_parts: tuple[str, ...] = ()
    collection_methods: tuple[str, ...] = ()
    tier: str = ""
    segmentation_labels: tuple[str, ...] = ()
    segmentation_methods: tuple[str, ...] = ()
    spatial: tuple[str, ...] = ()
    coding_systems: tuple[str, ...] = ()
    code_values: tuple[str, ...] = ()
    conforms_to: tuple[str, ...] = ()
    has_structured_data: bool | None = None
    languages: tuple[str, ...] = ()
    species: tuple[str, ...] = ()
    frequency: str = ""
    version: str = ""
    version_notes: str = ""
    series: SeriesRef | None = None
    issued: str = ""
    modified: str = ""
    landing_page: str = ""
    distributions: tuple[DistributionDescriptor, ...] = ()
    study_facts: tuple[StudyFactRecord, ...] = ()
    warnings: tuple[FieldWarning, ...] = field(default=(), compare=False)

    # Fields whose order carries no meaning: sorted and de-duplicated on construction.
    SET_FIELDS: ClassVar[tuple[str, ...]] = (
        "other_identifiers", "alternative", "keywords", "themes", "health_categories", "health_themes",
        "dataset_types", "applicable_legislation", "contact_points", "creators", "provenance",
        "population_coverage", "birth_sex", "cancer_types", "modalities", "manufacturers", "body_parts",
        "collection_methods", "segmentation_labels", "segmentation_methods", "spatial", "coding_systems",
        "code_values", "conforms_to", "languages", "species", "distributions", "title", "description",
    )
    # Sorted but never de-duplicated: two studies of one subject can carry identical facts.
    MULTISET_FIELDS: ClassVar[tuple[str, ...]] = ("study_facts",)
    # Fields a harvest cannot know and a source's curator sets as defaults.
    DEFAULTABLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "publisher", "custodian", "hdab", "health_categories", "health_themes", "themes", "access_rights",
        "applicable_legislation", "tier", "dataset_types", "collection_methods", "contact_points", "spatial",
        "languages", "species", "has_structured_data", "version", "coding_systems", "conforms_to",
        "provenance", "keywords",
    )
    # Fields that never leave the merge as published metadata (kept per source).
    PRIVATE_FIELDS: ClassVar[tuple[str, ...]] = ("study_facts", "warnings", "guid")

    def __post_init__(self) -> None:
        check_types(self)
        if not self.guid or not self.guid.strip():
            raise ValueError("a descriptor needs a non-empty guid (the source's stable id for the dataset)")
        for name in self.SET_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, tuple):
                raise TypeError(f"{name} must be a tuple, got {type(value).__name__}")
            object.__setattr__(self, name, tuple(sorted(set(value), key=_sort_key)))
        for name in self.MULTISET_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, tuple):
                raise TypeError(f"{name} must be a tuple, got {type(value).__name__}")
            object.__setattr__(self, name, tuple(sorted(value, key=_sort_key)))
        for name in ("n_subjects", "n_studies", "n_series", "n_instances", "n_bytes", "n_segmentations",
                     "min_age", "max_age"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative integer or None, got {value!r}")

    def to_dict(self, *, include_private: bool = True) -> dict[str, Any]:
        """Plain JSON-able dict (nested dataclasses as dicts, tuples as lists)."""
        data = _plain(self)
        data.pop("warnings", None)
        if not include_private:
            for name in self.PRIVATE_FIELDS:
                data.pop(name, None)
        return data

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of every field but the warnings."""
        payload = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetDescriptor:
        """Rebuild a descriptor from `to_dict()` output (unknown keys are an error, not ignored)."""
        return _build(cls, data)

    def replace(self, **changes: Any) -> DatasetDescriptor:
        return dataclasses.replace(self, **changes)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _conforms(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, tuple) and all(_conforms(v, item) for v in value)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if dataclasses.is_dataclass(hint):
        return isinstance(value, hint) and _fields_conform(value)
    return isinstance(value, hint) if isinstance(hint, type) else True


def _fields_conform(obj: Any) -> bool:
    hints = _hints(type(obj))
    return all(_conforms(getattr(obj, f.name), hints[f.name]) for f in dataclasses.fields(obj))


def check_types(obj: Any) -> None:
    """Refuse a value of the wrong type anywhere in a descriptor (a number where text belongs, say), naming
    the field, so bad input is a clear error at the edge rather than a crash deep in a write."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        if not _conforms(getattr(obj, f.name), hints[f.name]):
            raise TypeError(f"{f.name}: {type(getattr(obj, f.name)).__name__} is not a valid value")


def _sort_fields(obj: Any, names: tuple[str, ...]) -> None:
    """Sort and de-duplicate set-like tuple fields of a frozen dataclass, so equal content hashes equal."""
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, tuple):
            raise TypeError(f"{name} must be a tuple, got {type(value).__name__}")
        object.__setattr__(obj, name, tuple(sorted(set(value), key=_sort_key)))


def _sort_key(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


_NESTED: dict[str, type] = {
    "title": LangText, "description": LangText, "alternative": LangText, "provenance": LangText,
    "population_coverage": LangText, "other_identifiers": Identifier, "contact_points": ContactPoint,
    "publisher": AgentRef, "custodian": AgentRef, "hdab": AgentRef, "creators": AgentRef,
    "distributions": DistributionDescriptor, "study_facts": StudyFactRecord, "series": SeriesRef,
    "checksum": Checksum,
}


def _build(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(names)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        nested = _NESTED.get(key)
        if isinstance(value, list):
            value = tuple(_build(nested, v) if nested and isinstance(v, dict) else v for v in value)
        elif isinstance(value, dict) and nested:
            value = _build(nested, value)
        kwargs[key] = value
    return cls(**kwargs)


def descriptor_field_names() -> tuple[str, ...]:
    """Names of the published descriptor fields (those a curator may override)."""
    return tuple(
        f.name for f in dataclasses.fields(DatasetDescriptor) if f.name not in DatasetDescriptor.PRIVATE_FIELDS
    )
