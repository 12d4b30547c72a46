"""Fixtures of the cohort tests: a fresh fact index per test, and datasets with study facts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from tests.factories import StudyFactRecord, iri, make_descriptor


@pytest.fixture(autouse=True)
def _fresh_index():  # type: ignore[no-untyped-def]
    """Tests roll back their rows, and SQLite rolls back its AUTOINCREMENT counter with them, so two tests can
    leave facts with the same fingerprint; production never sees uncommitted rows, tests start afresh."""
    from search.cohorts.index import reset_index

    reset_index()
    yield
    reset_index()


def fact(subject: str, *, sex: str = "U", age: int | None = None, year: int | None = None,
         modalities: Sequence[str] = (), body_parts: Sequence[str] = (), manufacturers: Sequence[str] = ()
         ) -> StudyFactRecord:
    return StudyFactRecord(subject_key=subject, sex=sex, age_band=age, year=year, modalities=tuple(modalities),
                           body_parts=tuple(body_parts), manufacturers=tuple(manufacturers))


@pytest.fixture
def add_dataset(vocab, source) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """Create a public dataset with study facts; n_subjects / n_studies default to what the facts hold."""
    from catalogue.services import dataset_upsert

    def add(guid: str, facts: Sequence[StudyFactRecord], *, cancer_type: str = "NSCLC", **changes: object) -> object:
        subjects = len({f.subject_key for f in facts})
        fields: dict[str, object] = {"n_subjects": subjects, "n_studies": len(facts),
                                     "cancer_types": (iri("cancer-type", cancer_type),)}
        fields.update(changes)
        return dataset_upsert(descriptor=make_descriptor(guid, study_facts=tuple(facts), **fields), source=source).dataset

    return add
