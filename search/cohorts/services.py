"""Answer cohort questions over the study facts (docs/privacy.md §0.4), published through catalogue.disclosure.

Semantics (§0.4), within one dataset:

* a study matches when it meets every study-level criterion: body part, sex, age band (ages snap to 5-year
  band edges, §0.3), acquisition year, manufacturer, and any of the chosen modalities;
* a subject counts when it has at least one matching study; with `modality_match="all"` its matching studies
  (those meeting the other criteria and holding at least one chosen modality) must together cover every
  chosen modality;
* studies counted are the matching studies of counted subjects;
* cancer type is a dataset-level criterion; a code includes its subtypes.

Totals are sums over datasets: subjects are not linked across datasets (their hashes are salted per dataset),
so a person in two datasets counts twice, as in EUCAIM's federated explorer.

What is published: every count through `disclosure.publish_cohort_counts` (an int rounded to 5, "<k" or
"suppressed"); only datasets that `disclosure.cohort_eligible` admits answer (small datasets withhold their
sex, ages and years, §0.1), listed whatever their count (leaving out datasets with no match would tell a 0
from a "<10") and in title order (an order by count would rank the "<10" cells).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from catalogue import disclosure, selectors
from catalogue.models import Concept, Dataset
from search.cohorts.criteria import CohortCriteria
from search.cohorts.index import SEXES, UNKNOWN, FactIndex, current_index


@dataclass(frozen=True)
class PublicDataset:
    pk: int
    identifier: str
    title: str
    n_subjects: int | None
    n_studies: int | None


@dataclass(frozen=True)
class ExactCount:
    """A dataset's answer before disclosure control: for tests and benchmarks only, never for a response."""

    identifier: str
    subjects: int
    studies: int


@dataclass(frozen=True)
class CohortDatasetCount:
    identifier: str
    title: str
    url: str
    subjects: disclosure.PublishedCount
    studies: disclosure.PublishedCount


@dataclass(frozen=True)
class CohortResult:
    """A published cohort answer: the shape of `GET /api/v1/cohorts/count`."""

    datasets: tuple[CohortDatasetCount, ...]
    total_subjects: disclosure.PublishedCount
    total_studies: disclosure.PublishedCount
    threshold: int
    criteria: CohortCriteria

    def as_dict(self) -> dict[str, object]:
        return {
            "datasets": [
                {"identifier": d.identifier, "title": d.title, "url": d.url, "subjects": d.subjects, "studies": d.studies}
                for d in self.datasets
            ],
            "total": {"subjects": self.total_subjects, "studies": self.total_studies},
            "threshold": self.threshold,
            "criteria": self.criteria.as_dict(),
        }


# ------------------------------------------------------------------------------------------------ evaluation


def _positions(lists: dict[str, np.ndarray], keys: tuple[str, ...], n: int) -> np.ndarray:
    """Studies holding any of `keys` in a multi-valued attribute, as a boolean mask."""
    mask = np.zeros(n, dtype=bool)
    for key in keys:
        positions = lists.get(key)
        if positions is not None:
            mask[positions] = True
    return mask


def _study_mask(index: FactIndex, criteria: CohortCriteria, datasets: np.ndarray) -> np.ndarray:
    """Studies of the chosen datasets that meet every study-level criterion except the all-of modality rule."""
    n = index.n_studies
    mask = datasets[index.study_dataset]
    if criteria.sexes:
        mask &= np.isin(index.sex, np.asarray([SEXES.index(s) for s in criteria.sexes], dtype=np.int8))
    if criteria.age_min is not None or criteria.age_max is not None:
        mask &= index.age_band != UNKNOWN
        if criteria.age_min is not None:
            mask &= index.age_band >= criteria.age_min
        if criteria.age_max is not None:
            mask &= index.age_band <= criteria.age_max
    if criteria.year_min is not None or criteria.year_max is not None:
        mask &= index.year != UNKNOWN
        if criteria.year_min is not None:
            mask &= index.year >= criteria.year_min
        if criteria.year_max is not None:
            mask &= index.year <= criteria.year_max
    if criteria.body_parts:
        mask &= _positions(index.body_part, criteria.body_parts, n)
    if criteria.manufacturers:
        mask &= _positions(index.manufacturer, tuple(m.casefold() for m in criteria.manufacturers), n)
    if criteria.modalities:
        mask &= _positions(index.modality, criteria.modalities, n)
    return mask


def _subjects_with(index: FactIndex, studies: np.ndarray) -> np.ndarray:
    hit = np.zeros(index.n_subjects, dtype=bool)
    hit[index.study_subject[studies]] = True
    return hit


def count_in_index(index: FactIndex, criteria: CohortCriteria, datasets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(subjects, studies) per dataset position for the datasets selected by the boolean mask `datasets`."""
    mask = _study_mask(index, criteria, datasets)
    if criteria.modality_match == "all" and len(criteria.modalities) > 1:
        covered = np.ones(index.n_subjects, dtype=bool)
        for code in criteria.modalities:
            covered &= _subjects_with(index, mask & _positions(index.modality, (code,), index.n_studies))
        mask &= covered[index.study_subject]
    subjects = _subjects_with(index, mask)
    n_datasets = index.dataset_pks.shape[0]
    return (
        np.bincount(index.subject_dataset[subjects], minlength=n_datasets),
        np.bincount(index.study_dataset[mask], minlength=n_datasets),
    )


# ------------------------------------------------------------------------------------------------ the catalogue side


def _public_datasets() -> dict[int, PublicDataset]:
    rows = selectors.dataset_list_public().values_list("pk", "identifier", "sort_title", "n_subjects", "n_studies")
    return {pk: PublicDataset(pk, identifier, title, n_subjects, n_studies) for pk, identifier, title, n_subjects,
            n_studies in rows}


def _cancer_type_scope(codes: tuple[str, ...]) -> set[int] | None:
    """Pks of the datasets with one of the cancer types or a subtype; None when there is no such criterion."""
    if not codes:
        return None
    concepts: set[int] = set()
    for concept in Concept.objects.filter(scheme__slug="cancer-type", code__in=codes):
        concepts.update(c.pk for c in selectors.concept_descendants(concept=concept))
    through = Dataset.cancer_types.through
    return set(through.objects.filter(concept_id__in=concepts).values_list("dataset_id", flat=True))


def _selected(index: FactIndex, pks: set[int]) -> np.ndarray:
    return np.isin(index.dataset_pks, np.fromiter(pks, dtype=np.int64, count=len(pks)))


def _in_scope(criteria: CohortCriteria) -> tuple[FactIndex, dict[int, PublicDataset], set[int]]:
    index = current_index()
    public = _public_datasets()
    scope = set(public)
    cancer = _cancer_type_scope(criteria.cancer_types)
    if cancer is not None:
        scope &= cancer
    return index, public, scope


def cohort_count_exact(*, criteria: CohortCriteria) -> dict[str, ExactCount]:
    """Exact subjects and studies per public dataset in scope that has study facts, before disclosure control.

    For tests and benchmarks (the DuckDB cross-check); every dataset with facts is counted, small ones too.
    """
    index, public, scope = _in_scope(criteria)
    subjects, studies = count_in_index(index, criteria, _selected(index, scope))
    out = {}
    for position, pk in enumerate(index.dataset_pks.tolist()):
        if pk in scope:
            identifier = public[pk].identifier
            out[identifier] = ExactCount(identifier, int(subjects[position]), int(studies[position]))
    return out


def publish_answer(
    index: FactIndex, criteria: CohortCriteria, datasets: Iterable[PublicDataset], *, k: int, base_url: str
) -> CohortResult:
    """The published answer over `datasets` (public, and within the dataset-level criteria): no database here.

    Only datasets with study facts that `disclosure.cohort_eligible` admits answer; all of them are listed,
    in title order, each with its cells, and the totals come from the same `publish_cohort_counts` decision.
    """
    n_datasets = index.dataset_pks.shape[0]
    fact_subjects = np.bincount(index.subject_dataset, minlength=n_datasets)
    fact_studies = np.bincount(index.study_dataset, minlength=n_datasets)
    position = index.position_of()
    eligible: list[tuple[int, PublicDataset]] = []
    for dataset in datasets:
        p = position.get(dataset.pk)
        if p is not None and disclosure.cohort_eligible(
            n_subjects=dataset.n_subjects, n_studies=dataset.n_studies, fact_subjects=int(fact_subjects[p]), k=k
        ):
            eligible.append((p, dataset))
    eligible.sort(key=lambda item: (item[1].title, item[1].identifier))
    selected = np.zeros(n_datasets, dtype=bool)
    selected[[p for p, _ in eligible]] = True
    subjects, studies = count_in_index(index, criteria, selected)
    rows = [
        (
            int(subjects[p]),
            disclosure.cohort_dataset_total(declared=d.n_subjects, observed=int(fact_subjects[p])),
            int(studies[p]),
            disclosure.cohort_dataset_total(declared=d.n_studies, observed=int(fact_studies[p])),
        )
        for p, d in eligible
    ]
    answer = disclosure.publish_cohort_counts(rows, k=k)
    return CohortResult(
        datasets=tuple(
            CohortDatasetCount(d.identifier, d.title, f"{base_url}datasets/{d.identifier}", answer.subjects[i],
                               answer.studies[i])
            for i, (_, d) in enumerate(eligible)
        ),
        total_subjects=answer.total_subjects,
        total_studies=answer.total_studies,
        threshold=k,
        criteria=criteria,
    )


def cohort_count(*, criteria: CohortCriteria) -> CohortResult:
    """The published answer to a cohort question (see the module docstring)."""
    index, public, scope = _in_scope(criteria)
    return publish_answer(index, criteria, (public[pk] for pk in scope), k=disclosure.get_k(),
                          base_url=settings.ATLAS_BASE_URL)
