"""Reads the search interfaces need from the catalogue: result rows and the codes a filter may name."""

from __future__ import annotations

from typing import Any

from catalogue.models import Agent, Concept, Dataset, DatasetProvenance, DatasetStatus
from catalogue.selectors import dataset_published_figures

FACET_SCHEMES: dict[str, str] = {
    "cancer_type": "cancer-type",
    "modality": "modality",
    "body_part": "body-part",
    "sex": "sex",
    "country": "country",
    "access_rights": "access-right",
    "licence": "licence",
    "tier": "tier",
    "species": "species",
}
"""Facets whose values are codes of a vocabulary (the vocabulary API's `code`)."""


def _refs(concepts: Any) -> list[dict[str, str]]:
    return [{"code": c.code, "label": c.label} for c in sorted(concepts.all(), key=lambda c: c.code)]


def dataset_search_rows(*, identifiers: list[str]) -> list[dict[str, Any]]:
    """What a search result shows of each dataset, in the given order; datasets no longer public are left out.

    Counts come from `dataset_published_figures` (docs/privacy.md §0.1), as on every other page.
    """
    if not identifiers:
        return []
    # The public rule of catalogue.selectors.dataset_list_public (active, with an active record from a published
    # source), written as plain joins: that queryset's relation loading costs ~20 ms to compile per call.
    public = DatasetProvenance.objects.filter(
        withdrawn_at__isnull=True, source__published=True, dataset__identifier__in=identifiers,
        dataset__status=DatasetStatus.ACTIVE,
    ).values_list("dataset_id", flat=True)
    qs = (
        Dataset.objects.filter(pk__in=list(public))
        .select_related("access_rights", "publisher")
        .prefetch_related("cancer_types", "modalities", "body_parts", "birth_sex")
    )
    by_id = {d.identifier: d for d in qs}
    rows = []
    for identifier in identifiers:
        dataset = by_id.get(identifier)
        if dataset is None:
            continue
        figures = dataset_published_figures(dataset=dataset)
        rows.append({
            "identifier": dataset.identifier,
            "title": dataset.sort_title,
            "iri": dataset.iri,
            "subjects": figures.subjects,
            "studies": figures.studies,
            "series": figures.series,
            "bytes": figures.bytes,
            "modalities": _refs(dataset.modalities),
            "cancer_types": _refs(dataset.cancer_types),
            "body_parts": _refs(dataset.body_parts),
            "access_rights": (
                {"code": dataset.access_rights.code, "label": dataset.access_rights.label} if dataset.access_rights else None
            ),
            "publisher": dataset.publisher.name if dataset.publisher else None,
        })
    return rows


def facet_codes(*, facet: str) -> dict[str, str] | None:
    """The codes a filter on `facet` may name, casefolded -> canonical; None when any value is allowed."""
    scheme = FACET_SCHEMES.get(facet)
    if scheme is not None:
        return {code.casefold(): code for code in Concept.objects.filter(scheme__slug=scheme).values_list("code", flat=True)}
    if facet == "publisher":
        return {slug.casefold(): slug for slug in Agent.objects.values_list("slug", flat=True)}
    if facet == "has_segmentations":
        return {"true": "true", "false": "false"}
    return None
