"""The one function that turns a catalogue dataset into a search document (every backend indexes this).

Only published values enter a document: every count, sex, age and year comes from
`catalogue.selectors.dataset_published_figures` (docs/privacy.md §0.1: below k subjects the study total is
"<10" and the sex list, age range and acquisition years are withheld, so they are absent here and in facets).
Study facts never appear. The shape (JSON, deterministic for `search_check`):

    identifier, title                   the display / sort title
    titles, description, keywords,      text fields (weights in search.query)
    publisher, concepts
    text                                every text field joined (for engines with one catch-all field)
    facets      {facet name: [codes]}   cancer_type carries every ancestor (a parent includes its subtypes)
    labels      {facet name: {code: label}}
    parents     {cancer-type code: parent code or null}, for the facet tree
    ranges      {subjects, studies, series, size, age_min, age_max, year_min, year_max}: ints or null;
                "<10" is 0, withheld or unknown is null
    sort        {subjects, studies, modified, title}
    display     what a result shows: subjects / studies as published, concept refs, access rights, publisher
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from catalogue import disclosure
from catalogue.models import Concept, Dataset
from catalogue.selectors import dataset_published_figures

SEGMENTATION_MODALITIES = frozenset({"SEG", "RTSTRUCT"})
DOCUMENT_VERSION = 1


class ConceptTree:
    """Parents of the hierarchical scheme (cancer type), loaded once per indexing run."""

    def __init__(self, scheme: str = "cancer-type") -> None:
        self.by_pk: dict[int, Concept] = {c.pk: c for c in Concept.objects.filter(scheme__slug=scheme)}

    def ancestors(self, concept: Concept) -> list[Concept]:
        """The concept, then its parent, up to the root (cycles cut)."""
        out, seen = [], set()
        node: Concept | None = self.by_pk.get(concept.pk, concept)
        while node is not None and node.pk not in seen:
            out.append(node)
            seen.add(node.pk)
            node = self.by_pk.get(node.parent_id) if node.parent_id else None
        return out


def _mapping_codes(concept: Concept) -> list[str]:
    """Codes of other systems ("icd10:C34" -> "C34"), so that a code query finds the concept."""
    out: list[str] = []
    for value in (concept.mappings or {}).values():
        out.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    return out


def _concept_text(concept: Concept) -> list[str]:
    return [
        concept.code, concept.label, *(concept.labels or {}).values(), *(concept.synonyms or []),
        *_mapping_codes(concept),
    ]


def _refs(concepts: Iterable[Concept]) -> list[dict[str, str]]:
    return [{"code": c.code, "label": c.label} for c in sorted(concepts, key=lambda c: c.code)]


def _unique_sorted(values: Iterable[Any]) -> list[str]:
    return sorted({str(v) for v in values if v not in (None, "")})


def _range_count(value: disclosure.PublishedCount | None) -> int | None:
    """A published count as a range/sort number: "<k" is 0 (docs/privacy.md §0.1), "suppressed" unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return 0 if value.startswith("<") else None


def dataset_document(dataset: Dataset, *, tree: ConceptTree | None = None) -> dict[str, Any]:
    """The search document of a public dataset (relations as loaded by `dataset_list_public`)."""
    tree = tree or ConceptTree()
    figures = dataset_published_figures(dataset=dataset)
    cancer_types = list(dataset.cancer_types.all())
    modalities = list(dataset.modalities.all())
    body_parts = list(dataset.body_parts.all())
    lineage: dict[str, Concept] = {}
    parents: dict[str, str | None] = {}
    for concept in cancer_types:
        chain = tree.ancestors(concept)
        for node, parent in zip(chain, [*chain[1:], None], strict=True):
            lineage[node.code] = node
            parents[node.code] = parent.code if parent is not None else None
    distributions = list(dataset.distributions.all())
    licences = {d.license.code: d.license.label for d in distributions if d.license is not None}
    modality_codes = {c.code for c in modalities}
    has_segmentations = bool(dataset.n_segmentations) or bool(modality_codes & SEGMENTATION_MODALITIES)
    sex_labels = {c.code: c.label for c in dataset.birth_sex.all() if c.code in figures.sexes}
    countries = {c.code: c.label for c in dataset.spatial.all()}
    species = {c.code: c.label for c in dataset.species.all()}
    publisher = dataset.publisher

    facets: dict[str, list[str]] = {
        "cancer_type": sorted(lineage),
        "modality": sorted(modality_codes),
        "body_part": _unique_sorted(c.code for c in body_parts),
        "manufacturer": _unique_sorted(dataset.manufacturers or []),
        "sex": sorted(figures.sexes),
        "publisher": [publisher.slug] if publisher else [],
        "country": sorted(countries),
        "access_rights": [dataset.access_rights.code] if dataset.access_rights else [],
        "licence": sorted(licences),
        "tier": [dataset.tier.code] if dataset.tier else [],
        "species": sorted(species),
        "has_segmentations": ["true" if has_segmentations else "false"],
    }
    labels: dict[str, dict[str, str]] = {
        "cancer_type": {code: c.label for code, c in sorted(lineage.items())},
        "modality": {c.code: c.label for c in sorted(modalities, key=lambda c: c.code)},
        "body_part": {c.code: c.label for c in sorted(body_parts, key=lambda c: c.code)},
        "manufacturer": {m: m for m in facets["manufacturer"]},
        "sex": dict(sorted(sex_labels.items())),
        "publisher": {publisher.slug: publisher.name} if publisher else {},
        "country": dict(sorted(countries.items())),
        "access_rights": {dataset.access_rights.code: dataset.access_rights.label} if dataset.access_rights else {},
        "licence": dict(sorted(licences.items())),
        "tier": {dataset.tier.code: dataset.tier.label} if dataset.tier else {},
        "species": dict(sorted(species.items())),
        "has_segmentations": {facets["has_segmentations"][0]: "Yes" if has_segmentations else "No"},
    }

    titles = [*dataset.title.values(), *(dataset.alternative or [])]
    titles = [str(t) for t in titles if t]
    description = " ".join(str(v) for v in dataset.description.values() if v)
    keywords = [str(k) for k in dataset.keywords or [] if k]
    concept_words: list[str] = []
    for concept in [*lineage.values(), *modalities, *body_parts]:
        concept_words.extend(str(t) for t in _concept_text(concept) if t)
    publisher_name = publisher.name if publisher else ""

    age_min = figures.age_band_min
    age_max = figures.age_band_max
    if age_min is None:
        age_min = age_max
    if age_max is None:
        age_max = age_min
    year_min = figures.year_min if figures.year_min is not None else figures.year_max
    year_max = figures.year_max if figures.year_max is not None else figures.year_min
    modified = dataset.modified or dataset.issued or (dataset.created_at.date().isoformat() if dataset.created_at else "")

    return {
        "version": DOCUMENT_VERSION,
        "identifier": dataset.identifier,
        "title": dataset.sort_title,
        "titles": titles,
        "description": description,
        "keywords": keywords,
        "publisher": publisher_name,
        "concepts": sorted(set(concept_words)),
        "text": " ".join([*titles, description, *keywords, publisher_name, *sorted(set(concept_words))]),
        "facets": facets,
        "labels": labels,
        "parents": dict(sorted(parents.items())),
        "ranges": {
            "subjects": _range_count(figures.subjects),
            "studies": _range_count(figures.studies),
            "series": figures.series,
            "size": figures.bytes,
            "age_min": age_min,
            "age_max": None if age_max is None else (age_max + 4 if age_max < disclosure.TOP_AGE_BAND else 200),
            "year_min": year_min,
            "year_max": year_max,
        },
        "sort": {
            "subjects": _range_count(figures.subjects),
            "studies": _range_count(figures.studies),
            "modified": str(modified)[:32],
            "title": dataset.sort_title.casefold(),
        },
        "display": {
            "subjects": figures.subjects,
            "studies": figures.studies,
            "series": figures.series,
            "bytes": figures.bytes,
            "cancer_types": _refs(cancer_types),
            "modalities": _refs(modalities),
            "body_parts": _refs(body_parts),
            "access_rights": (
                {"code": dataset.access_rights.code, "label": dataset.access_rights.label} if dataset.access_rights else None
            ),
            "publisher": publisher_name or None,
        },
    }
