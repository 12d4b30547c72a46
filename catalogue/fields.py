"""How each descriptor field is stored on the models: one table read by the writer, the merge and the API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Storage(Enum):
    """How one descriptor field is kept on the models (not to be confused with the DCAT profiles' field kinds)."""

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
    storage: Storage
    scheme: str = ""


DATASET_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", Storage.LANG_MAP),
    FieldSpec("description", Storage.LANG_MAP),
    FieldSpec("provenance", Storage.LANG_MAP),
    FieldSpec("population_coverage", Storage.LANG_MAP),
    FieldSpec("alternative", Storage.LANG_LIST),
    FieldSpec("keywords", Storage.JSON),
    FieldSpec("contact_points", Storage.JSON),
    FieldSpec("applicable_legislation", Storage.JSON),
    FieldSpec("manufacturers", Storage.JSON),
    FieldSpec("segmentation_labels", Storage.JSON),
    FieldSpec("code_values", Storage.JSON),
    FieldSpec("themes", Storage.CONCEPTS, "data-theme"),
    FieldSpec("health_categories", Storage.CONCEPTS, "health-category"),
    FieldSpec("health_themes", Storage.CONCEPTS, "health-theme"),
    FieldSpec("dataset_types", Storage.CONCEPTS, "dataset-type"),
    FieldSpec("birth_sex", Storage.CONCEPTS, "sex"),
    FieldSpec("cancer_types", Storage.CONCEPTS, "cancer-type"),
    FieldSpec("modalities", Storage.CONCEPTS, "modality"),
    FieldSpec("body_parts", Storage.CONCEPTS, "body-part"),
    FieldSpec("collection_methods", Storage.CONCEPTS, "collection-method"),
    FieldSpec("segmentation_methods", Storage.CONCEPTS, "segmentation-method"),
    FieldSpec("spatial", Storage.CONCEPTS, "country"),
    FieldSpec("coding_systems", Storage.CONCEPTS, "coding-system"),
    FieldSpec("conforms_to", Storage.CONCEPTS, "standard"),
    FieldSpec("languages", Storage.CONCEPTS, "language"),
    FieldSpec("species", Storage.CONCEPTS, "species"),
    FieldSpec("access_rights", Storage.CONCEPT, "access-right"),
    FieldSpec("tier", Storage.CONCEPT, "tier"),
    FieldSpec("frequency", Storage.CONCEPT, "frequency"),
    FieldSpec("publisher", Storage.AGENT),
    FieldSpec("custodian", Storage.AGENT),
    FieldSpec("hdab", Storage.AGENT),
    FieldSpec("creators", Storage.AGENTS),
    FieldSpec("n_subjects", Storage.SCALAR),
    FieldSpec("n_studies", Storage.SCALAR),
    FieldSpec("n_series", Storage.SCALAR),
    FieldSpec("n_instances", Storage.SCALAR),
    FieldSpec("n_bytes", Storage.SCALAR),
    FieldSpec("n_segmentations", Storage.SCALAR),
    FieldSpec("min_age", Storage.SCALAR),
    FieldSpec("max_age", Storage.SCALAR),
    FieldSpec("acquisition_year_min", Storage.SCALAR),
    FieldSpec("acquisition_year_max", Storage.SCALAR),
    FieldSpec("has_structured_data", Storage.SCALAR),
    FieldSpec("version", Storage.SCALAR),
    FieldSpec("version_notes", Storage.SCALAR),
    FieldSpec("issued", Storage.SCALAR),
    FieldSpec("modified", Storage.SCALAR),
    FieldSpec("landing_page", Storage.SCALAR),
    FieldSpec("series", Storage.SERIES),
    FieldSpec("distributions", Storage.DISTRIBUTIONS),
)

DISTRIBUTION_CONCEPTS: dict[str, str] = {
    "format": "file-type",
    "license": "licence",
    "availability": "planned-availability",
    "status": "distribution-status",
}

# Identity fields: they select the dataset, they are not merged as metadata.
IDENTITY_FIELDS = ("original_iri", "doi", "other_identifiers")
