"""Reads of the catalogue. Interfaces (API, pages, exporters, search) read through these functions."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from catalogue import disclosure
from catalogue.descriptors import DatasetDescriptor
from catalogue.errors import NotFound
from catalogue.models import (
    Concept,
    ConceptKey,
    ConceptScheme,
    Dataset,
    DatasetProvenance,
    DatasetStatus,
    Distribution,
    Source,
)
from catalogue.vocabularies.crosscheck import concept_key  # the one key normalisation, shared with the loader


def concept_resolve(*, scheme: str, value: str) -> Concept | None:
    """Find the concept of `scheme` whose IRI, alternative IRI, code, label or synonym is `value`."""
    if not value or not value.strip():
        return None
    key = ConceptKey.objects.select_related("concept").filter(scheme__slug=scheme, key=concept_key(value)).first()
    return key.concept if key else None


def concept_descendants(*, concept: Concept) -> list[Concept]:
    """The concept and every concept below it (for hierarchical facets such as cancer type)."""
    out, frontier = [concept], [concept.pk]
    seen = {concept.pk}
    while frontier:
        children = list(Concept.objects.filter(parent_id__in=frontier).exclude(pk__in=seen))
        frontier = [c.pk for c in children]
        seen.update(frontier)
        out.extend(children)
    return out


def _published_source_exists() -> Exists:
    return Exists(
        DatasetProvenance.objects.filter(dataset=OuterRef("pk"), withdrawn_at__isnull=True, source__published=True)
    )


def dataset_list_public() -> QuerySet[Dataset]:
    """Active datasets with at least one active record from a published source, with their relations loaded."""
    return (
        Dataset.objects.filter(status=DatasetStatus.ACTIVE)
        .filter(_published_source_exists())
        .select_related("access_rights", "tier", "frequency", "publisher", "custodian", "hdab", "series")
        .prefetch_related(
            "themes", "health_categories", "health_themes", "dataset_types", "birth_sex", "cancer_types",
            "modalities", "body_parts", "collection_methods", "segmentation_methods", "spatial",
            "coding_systems", "conforms_to", "languages", "species", "creators",
            Prefetch(
                "distributions",
                queryset=Distribution.objects.select_related("format", "license", "availability", "status"),
            ),
        )
        .order_by("sort_title", "identifier")
    )


def dataset_get_public(*, identifier: str) -> Dataset:
    """One public dataset by its atlas identifier, or NotFound."""
    dataset = dataset_list_public().filter(identifier=identifier).first()
    if dataset is None:
        raise NotFound(f"no public dataset {identifier!r}", code="dataset_not_found")
    return dataset


def dataset_list_for_curator(*, user) -> QuerySet[Dataset]:  # type: ignore[no-untyped-def]
    """Datasets a curator may edit: those with a record from one of their sources (all for admins)."""
    qs = Dataset.objects.all()
    if user.is_superuser:
        return qs
    # The same rule as the API's `curates_dataset`: a withdrawn record no longer gives its curators the dataset.
    return qs.filter(provenance_records__source__curators=user, provenance_records__withdrawn_at__isnull=True).distinct()


def dataset_descriptor(*, dataset: Dataset) -> DatasetDescriptor:
    """The merged, published descriptor of a dataset (guid = the atlas identifier); no study facts."""
    return DatasetDescriptor.from_dict({**dataset.merged, "guid": dataset.identifier})


def dataset_descriptors_public(*, chunk_size: int = 500):  # type: ignore[no-untyped-def]
    """Stream (dataset, descriptor) pairs of the public catalogue without loading relations (for exporters)."""
    qs = (
        Dataset.objects.filter(status=DatasetStatus.ACTIVE)
        .filter(_published_source_exists())
        .only("id", "identifier", "merged", "updated_at", "created_at", "content_hash")
        .order_by("identifier")
    )
    for dataset in qs.iterator(chunk_size=chunk_size):
        yield dataset, dataset_descriptor(dataset=dataset)


def dataset_published_figures(*, dataset: Dataset) -> disclosure.DatasetFigures:
    """The dataset's figures as they may be published (docs/privacy.md §0.1): every reader of counts uses this."""
    return disclosure.publish_dataset_figures(
        n_subjects=dataset.n_subjects,
        n_studies=dataset.n_studies,
        n_series=dataset.n_series,
        n_instances=dataset.n_instances,
        n_bytes=dataset.n_bytes,
        sexes=[c.code for c in dataset.birth_sex.all()],
        min_age=dataset.min_age,
        max_age=dataset.max_age,
        year_min=dataset.acquisition_year_min,
        year_max=dataset.acquisition_year_max,
    )


def dataset_get(*, identifier: str) -> Dataset:
    """One dataset by its atlas identifier, public or not (curator pages check who may see it), or NotFound."""
    dataset = Dataset.objects.filter(identifier=identifier).first()
    if dataset is None:
        raise NotFound(f"no dataset {identifier!r}", code="dataset_not_found")
    return dataset


def concepts_of_public_datasets(*, scheme: str) -> QuerySet[Concept]:
    """The concepts of `scheme` that at least one public dataset has (the front page's cancer types)."""
    return (
        Concept.objects.filter(scheme__slug=scheme, pk__in=dataset_list_public().values(_CONCEPT_FIELDS[scheme]))
        .distinct()
        .order_by("label")
    )


# Scheme slug -> the Dataset relation that holds its concepts (for `concepts_of_public_datasets`).
_CONCEPT_FIELDS = {"cancer-type": "cancer_types", "modality": "modalities", "body-part": "body_parts"}


def concept_scheme_list() -> QuerySet[ConceptScheme]:
    """Every concept scheme with its number of concepts, by slug."""
    return ConceptScheme.objects.annotate(n_concepts=Count("concepts")).order_by("slug")


def concept_list(*, scheme: str, q: str = "") -> QuerySet[Concept]:
    """The concepts of one scheme, those whose code, label or synonym contains `q` when given; NotFound for an
    unknown scheme (an empty list would read as "no match")."""
    if not ConceptScheme.objects.filter(slug=scheme).exists():
        raise NotFound(f"no vocabulary {scheme!r}", code="vocabulary_not_found")
    qs = Concept.objects.filter(scheme__slug=scheme).select_related("scheme", "parent")
    if q.strip():
        qs = qs.filter(keys__key__contains=concept_key(q.strip())).distinct()
    return qs.order_by("code", "pk")


def source_get(*, pk: int) -> Source:
    """One catalogue source as stored now, or NotFound."""
    source = Source.objects.filter(pk=pk).first()
    if source is None:
        raise NotFound(f"no source #{pk}", code="source_not_found")
    return source


def source_list_for_user(*, user) -> QuerySet[Source]:  # type: ignore[no-untyped-def]
    """The sources a user curates (every source for admins), by priority then slug."""
    qs = Source.objects.all()
    if not user.is_superuser:
        qs = qs.filter(curators=user)
    return qs.order_by("priority", "slug")


def dataset_by_pk(*, pk: int) -> Dataset | None:
    """A dataset by its primary key, public or not, or None (tasks receive ids; the row may be gone)."""
    return Dataset.objects.filter(pk=pk).first()
