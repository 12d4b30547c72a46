"""Cohort semantics (docs/privacy.md §0.4) on a small known corpus, exact and as published."""

from __future__ import annotations

import pytest

from catalogue import disclosure
from search.cohorts.criteria import cohort_criteria
from search.cohorts.services import cohort_count, cohort_count_exact
from tests.factories import LangText
from tests.search.cohorts.conftest import fact

pytestmark = pytest.mark.django_db

LUNG = [
    fact("s1", sex="F", age=60, year=2019, modalities=["CT"], body_parts=["CHEST"], manufacturers=["SIEMENS"]),
    fact("s1", sex="F", age=60, year=2020, modalities=["PT"]),
    fact("s2", sex="M", age=45, year=2018, modalities=["CT"]),
    fact("s3", sex="F", age=90, year=2021, modalities=["MR"]),
    fact("s4", sex="M", age=70, year=2019, modalities=["CT", "PT"]),
]


def _exact(**criteria: object) -> dict[str, tuple[int, int]]:
    return {k: (v.subjects, v.studies) for k, v in cohort_count_exact(criteria=cohort_criteria(**criteria)).items()}


@pytest.fixture
def lung(add_dataset):  # type: ignore[no-untyped-def]
    return add_dataset("lung", LUNG).identifier


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, (4, 5)),
        ({"modalities": ["CT"]}, (3, 3)),
        ({"modalities": ["CT", "PT"]}, (3, 4)),
        # all-of: s1 covers CT and PT over two studies, s4 in one; s2 has no PT
        ({"modalities": ["CT", "PT"], "modality_match": "all"}, (2, 3)),
        # the other criteria first: in 2019 s1 has only its CT study, so it no longer covers PT
        ({"modalities": ["CT", "PT"], "modality_match": "all", "year_min": 2019, "year_max": 2019}, (1, 1)),
        ({"modalities": ["CT"], "modality_match": "all"}, (3, 3)),
        ({"sexes": ["F"]}, (2, 3)),
        ({"sexes": ["F", "M"]}, (4, 5)),
        ({"age_min": 62}, (3, 4)),  # snaps to 60: bands 60, 70, 90
        ({"age_max": 64}, (2, 3)),  # snaps to 64: bands 45 and 60
        ({"age_min": 90}, (1, 1)),
        ({"age_min": 95, "age_max": 120}, (1, 1)),  # 90+ is one open band
        ({"year_min": 2020}, (2, 2)),
        ({"body_parts": ["CHEST"]}, (1, 1)),
        ({"manufacturers": ["siemens"]}, (1, 1)),
        ({"sexes": ["O"]}, (0, 0)),
        ({"cancer_types": ["lung-cancer"]}, (4, 5)),  # a parent includes its subtypes (NSCLC)
    ],
)
def test_cohort_semantics(lung: str, criteria: dict[str, object], expected: tuple[int, int]) -> None:
    assert _exact(**criteria) == {lung: expected}


def test_cancer_type_is_a_dataset_level_scope(add_dataset, lung: str) -> None:  # type: ignore[no-untyped-def]
    breast = add_dataset("breast", [fact("b1", sex="F", modalities=["MG"])], cancer_type="breast-cancer").identifier
    assert _exact(cancer_types=["breast-cancer"]) == {breast: (1, 1)}
    assert _exact(cancer_types=["nsclc", "breast-cancer"]).keys() == {lung, breast}
    assert _exact(modalities=["MG"]) == {lung: (0, 0), breast: (1, 1)}


def test_subjects_are_not_linked_across_datasets(add_dataset) -> None:  # type: ignore[no-untyped-def]
    a = add_dataset("a", [fact("same-person", modalities=["CT"])]).identifier
    b = add_dataset("b", [fact("same-person", modalities=["CT"])]).identifier
    assert _exact(modalities=["CT"]) == {a: (1, 1), b: (1, 1)}


def test_answers_follow_the_facts_when_a_dataset_is_harvested_again(add_dataset) -> None:  # type: ignore[no-untyped-def]
    add_dataset("re", [fact("x", modalities=["CT"])])
    before = _exact(modalities=["CT"])
    (identifier,) = before
    assert before[identifier] == (1, 1)
    add_dataset("re", [fact("x", modalities=["MR"]), fact("y", modalities=["CT"]), fact("z", modalities=["CT"])])
    assert _exact(modalities=["CT"])[identifier] == (2, 2)
    assert _exact(modalities=["MR"])[identifier] == (1, 1)


# ------------------------------------------------------------------------------------------------ published


def _big(prefix: str, n: int, **kwargs: object) -> list[object]:
    return [fact(f"{prefix}{i}", **kwargs) for i in range(n)]  # type: ignore[arg-type]


def test_published_answer_shape_and_rules(add_dataset, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ATLAS_BASE_URL = "https://atlas.example.eu/"
    big = add_dataset("big", _big("c", 40, sex="F", modalities=["CT"]) + _big("m", 3, sex="M", modalities=["MR"]))
    other = add_dataset("other", _big("o", 12, sex="M", modalities=["CT"]), title=(LangText("en", "A first title"),))
    result = cohort_count(criteria=cohort_criteria(modalities=["CT"]))
    body = result.as_dict()
    assert body["threshold"] == 10
    assert [d["identifier"] for d in body["datasets"]] == [other.identifier, big.identifier]  # title order
    cells = {d["identifier"]: (d["subjects"], d["studies"]) for d in body["datasets"]}
    # 40 of 43: complement 3 -> suppressed; 12 of 12: the whole dataset, rounded
    assert cells[big.identifier] == ("suppressed", "suppressed")
    assert cells[other.identifier] == (10, 10)
    assert body["datasets"][0]["url"] == f"https://atlas.example.eu/datasets/{other.identifier}"
    assert body["criteria"]["modality"] == ["CT"] and body["criteria"]["modality_match"] == "any"
    for value in [*cells[big.identifier], *cells[other.identifier], *body["total"].values()]:
        assert disclosure.is_publishable(value)
        assert not isinstance(value, int) or value % 5 == 0
    # the same question, the same answer
    assert cohort_count(criteria=cohort_criteria(modalities=["CT"])).as_dict() == body


def test_datasets_without_a_match_are_listed_so_a_zero_looks_like_any_small_count(add_dataset) -> None:  # type: ignore[no-untyped-def]
    add_dataset("zero", _big("z", 20, modalities=["CT"]))
    add_dataset("few", _big("f", 20, modalities=["CT"]) + _big("p", 3, modalities=["PT"]))
    answer = cohort_count(criteria=cohort_criteria(modalities=["PT"])).as_dict()
    cells = [(d["subjects"], d["studies"]) for d in answer["datasets"]]
    assert cells == [("<10", "<10"), ("<10", "<10")]


def test_small_datasets_take_no_part_and_their_facts_change_nothing(add_dataset) -> None:  # type: ignore[no-untyped-def]
    add_dataset("large", _big("l", 30, sex="F", age=50, year=2019, modalities=["CT"]))
    questions = [cohort_criteria(sexes=[s]) for s in "FMU"] + [cohort_criteria(age_min=90), cohort_criteria(
        year_min=2020), cohort_criteria()]
    small = add_dataset("small", _big("s", 6, sex="M", age=90, year=2021, modalities=["CT"]) * 5, n_studies=30)
    first = [cohort_count(criteria=q).as_dict() for q in questions]
    assert all(small.identifier not in {d["identifier"] for d in a["datasets"]} for a in first)
    add_dataset("small", _big("s", 6, sex="F", age=20, year=2019, modalities=["CT"]) * 5, n_studies=30)
    assert [cohort_count(criteria=q).as_dict() for q in questions] == first


def test_a_dataset_whose_facts_hold_fewer_than_k_subjects_takes_no_part(add_dataset) -> None:  # type: ignore[no-untyped-def]
    thin = add_dataset("thin", _big("t", 4, modalities=["CT"]), n_subjects=500, n_studies=900)
    answer = cohort_count(criteria=cohort_criteria()).as_dict()
    assert thin.identifier not in {d["identifier"] for d in answer["datasets"]}
    assert _exact()[thin.identifier] == (4, 4)
