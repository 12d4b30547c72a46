"""The one function that turns a catalogue dataset into a search document (every backend indexes this)."""

from __future__ import annotations

from typing import Any

from catalogue import disclosure
from catalogue.models import Dataset


def _codes(concepts) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(c.code for c in concepts.all())


def dataset_document(dataset: Dataset) -> dict[str, Any]:
    """Published fields only: counts pass through the disclosure rules, study facts never appear."""
    text_parts = [*dataset.title.values(), *dataset.description.values(), *dataset.keywords]
    text_parts += [c.label for c in dataset.cancer_types.all()]
    text_parts += [s for c in dataset.cancer_types.all() for s in c.synonyms]
    return {
        "identifier": dataset.identifier,
        "title": dataset.sort_title,
        "text": " ".join(str(p) for p in text_parts if p),
        "cancer_types": _codes(dataset.cancer_types),
        "modalities": _codes(dataset.modalities),
        "body_parts": _codes(dataset.body_parts),
        "manufacturers": sorted(dataset.manufacturers or []),
        "access_rights": dataset.access_rights.code if dataset.access_rights else None,
        "publisher": dataset.publisher.name if dataset.publisher else None,
        "n_subjects": disclosure.publish_dataset_total(dataset.n_subjects),
        "n_studies": dataset.n_studies,
        "n_series": dataset.n_series,
        "n_bytes": dataset.n_bytes,
    }
