"""Factories for descriptors and curators. Vocabulary values are resolved from the loaded vocabularies."""

from __future__ import annotations

from typing import Any

from catalogue.descriptors import (
    AgentRef,
    ContactPoint,
    DatasetDescriptor,
    DistributionDescriptor,
    Identifier,
    LangText,
    StudyFactRecord,
)

EHDS = "http://data.europa.eu/eli/reg/2025/327/oj"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
EUCAIM_DOWNLOAD = (
    "https://eucaim.github.io/eucaim_dcat_ap/releases/controlled-vocabularies/access-conditions/#DOWNLOAD"
)


def iri(scheme: str, value: str) -> str:
    """The IRI of a concept of the loaded vocabularies, found by code, label or synonym."""
    from catalogue.selectors import concept_resolve

    concept = concept_resolve(scheme=scheme, value=value)
    if concept is None:
        raise LookupError(f"{scheme}: {value!r} is not in the loaded vocabularies")
    return concept.iri


def _resolve(value: Any) -> Any:
    if callable(value):
        return value()
    if isinstance(value, tuple):
        return tuple(v() if callable(v) else v for v in value)
    return value


def make_descriptor(guid: str = "ds-1", *, full: bool = True, **changes: Any) -> DatasetDescriptor:
    """A descriptor; with full=True every HealthDCAT-AP and EUCAIM mandatory field is filled."""
    base: dict[str, Any] = {
        "guid": guid,
        "title": (LangText("en", f"Lung CT cohort {guid}"),),
        "description": (LangText("en", "Chest CT of patients with non-small cell lung cancer."),),
    }
    if full:
        lazy: dict[str, Any] = dict(
            keywords=("lung", "CT"),
            themes=(lambda: iri("data-theme", "HEAL"),),
            health_categories=(lambda: iri("health-category", "RQSH"),),
            health_themes=(lambda: iri("health-theme", "CANCER_DISEASE"),),
            dataset_types=(lambda: iri("dataset-type", "SPEC1000020"),),
            access_rights=ACCESS + "RESTRICTED",
            applicable_legislation=(EHDS,),
            contact_points=(ContactPoint(name="Data steward", email="steward@hospital.example"),),
            publisher=AgentRef(name="Hospital A", email="data@hospital-a.example"),
            hdab=AgentRef(name="National HDAB", contact_page="https://hdab.example/contact"),
            provenance=(LangText("en", "Routine care imaging, de-identified at the node."),),
            has_structured_data=False,
            n_subjects=120,
            n_studies=130,
            n_series=400,
            birth_sex=(lambda: iri("sex", "F"), lambda: iri("sex", "M")),
            cancer_types=(lambda: iri("cancer-type", "NSCLC"),),
            modalities=(lambda: iri("modality", "CT"),),
            manufacturers=("SIEMENS",),
            body_parts=(lambda: iri("body-part", "CHEST"),),
            collection_methods=(lambda: iri("collection-method", "SPEC1000004"),),
            tier=lambda: iri("tier", "1"),
            version="1.0",
            distributions=(
                DistributionDescriptor(
                    access_urls=("https://negotiator.example/request",),
                    applicable_legislation=(EHDS,),
                    rights=(EUCAIM_DOWNLOAD,),
                ),
            ),
        )
        for name, value in lazy.items():
            if name not in changes:
                base[name] = _resolve(value)
    base.update(changes)
    return DatasetDescriptor(**base)


__all__ = [
    "AgentRef", "ContactPoint", "DatasetDescriptor", "DistributionDescriptor", "Identifier", "LangText",
    "StudyFactRecord", "iri", "make_descriptor",
]
