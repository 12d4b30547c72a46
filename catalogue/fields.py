"""How each descriptor field is stored on the models: one table read by the writer, the merge and the API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    LANG_MAP = "lang_map"  # tuple[LangText] -> {lang: text}
    LANG_LIST = "lang_list"  # tuple[LangText] -> [{lang, text}] (several values per language)
    JSON = "json"  # stored as the descriptor's plain value
    SCALAR = "scalar"
    CONCEPT = "concept"  # one IRI -> FK Concept
    CONCEPTS = "concepts"  # IRIs -> M2M Concept
    AGENT = "agent"
    AGENTS = "agents"
    SERIES = "series"
    DISTRIBUTIONS = "distributions"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    scheme: str = ""


DATASET_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", Kind.LANG_MAP),
    FieldSpec("description", Kind.LANG_MAP),
    FieldSpec("provenance", Kind.LANG_MAP),
    FieldSpec("population_coverage", Kind.LANG_MAP),
    FieldSpec("alternative", Kind.LANG_LIST),
    FieldSpec("keywords", Kind.JSON),
    FieldSpec("contact_points", Kind.JSON),
    FieldSpec("applicable_legislation", Kind.JSON),
    FieldSpec("manufacturers", Kind.JSON),
    FieldSpec("segmentation_labels", Kind.JSON),
    FieldSpec("code_values", Kind.JSON),
    FieldSpec("themes", Kind.CONCEPTS, "data-theme"),
    FieldSpec("health_categories", Kind.CONCEPTS, "health-category"),
    FieldSpec("health_themes", Kind.CONCEPTS, "health-theme"),
    FieldSpec("dataset_types", Kind.CONCEPTS, "dataset-type"),
    FieldSpec("birth_sex", Kind.CONCEPTS, "sex"),
    FieldSpec("cancer_types", Kind.CONCEPTS, "cancer-type"),
    FieldSpec("modalities", Kind.CONCEPTS, "modality"),
    FieldSpec("body_parts", Kind.CONCEPTS, "body-part"),
    FieldSpec("collection_methods", Kind.CONCEPTS, "collection-method"),
    FieldSpec("segmentation_methods", Kind.CONCEPTS, "segmentation-method"),
    FieldSpec("spatial", Kind.CONCEPTS, "country"),
    FieldSpec("coding_systems", Kind.CONCEPTS, "coding-system"),
    FieldSpec("conforms_to", Kind.CONCEPTS, "standard"),
    FieldSpec("languages", Kind.CONCEPTS, "language"),
    FieldSpec("species", Kind.CONCEPTS, "species"),
    FieldSpec("access_rights", Kind.CONCEPT, "access-right"),
    FieldSpec("tier", Kind.CONCEPT, "tier"),
    FieldSpec("frequency", Kind.CONCEPT, "frequency"),
    FieldSpec("publisher", Kind.AGENT),
    FieldSpec("custodian", Kind.AGENT),
    FieldSpec("hdab", Kind.AGENT),
    FieldSpec("creators", Kind.AGENTS),
    FieldSpec("n_subjects", Kind.SCALAR),
    FieldSpec("n_studies", Kind.SCALAR),
    FieldSpec("n_series", Kind.SCALAR),
    FieldSpec("n_instances", Kind.SCALAR),
    FieldSpec("n_bytes", Kind.SCALAR),
    FieldSpec("n_segmentations", Kind.SCALAR),
    FieldSpec("min_age", Kind.SCALAR),
    FieldSpec("max_age", Kind.SCALAR),
    FieldSpec("acquisition_year_min", Kind.SCALAR),
    FieldSpec("acquisition_year_max", Kind.SCALAR),
    FieldSpec("has_structured_data", Kind.SCALAR),
    FieldSpec("version", Kind.SCALAR),
    FieldSpec("version_notes", Kind.SCALAR),
    FieldSpec("issued", Kind.SCALAR),
    FieldSpec("modified", Kind.SCALAR),
    FieldSpec("landing_page", Kind.SCALAR),
    FieldSpec("series", Kind.SERIES),
    FieldSpec("distributions", Kind.DISTRIBUTIONS),
)

DISTRIBUTION_CONCEPTS: dict[str, str] = {
    "format": "file-type",
    "license": "licence",
    "availability": "planned-availability",
    "status": "distribution-status",
}

# Identity fields: they select the dataset, they are not merged as metadata.
IDENTITY_FIELDS = ("original_iri", "doi", "other_identifiers")
