"""Attacks on the published cohort counts over generated study facts (docs/privacy.md §0.1, §0.2, §0.4).

The attacker sees, for every dataset, its published figures (the "facets": exact subject and study totals,
sex list, age range, years, or "<10" and nothing for a small dataset) and the published answers to as many
cohort questions as it likes. Each test plays one attack of issue 9 and checks that no count the rules hide
(a cell published as "<10" or "suppressed", a small complement, a small difference between two overlapping
questions) is pinned down, and that the facts of a small dataset change nothing that is published.
"""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.disclosure import publish_cohort, publish_computed_count, publish_dataset_figures
from search.cohorts.criteria import CohortCriteria, cohort_criteria
from search.cohorts.index import index_from_rows
from search.cohorts.services import PublicDataset, count_in_index, publish_answer

K = 10
BASE = "https://atlas.example.eu/"
SEXES = ("F", "M", "U")

QUESTIONS: dict[str, CohortCriteria] = {
    "all": cohort_criteria(),
    "F": cohort_criteria(sexes=["F"]),
    "M": cohort_criteria(sexes=["M"]),
    "U": cohort_criteria(sexes=["U"]),
    "CT": cohort_criteria(modalities=["CT"]),
    "PT": cohort_criteria(modalities=["PT"]),
    "CT|PT": cohort_criteria(modalities=["CT", "PT"]),
    "CT&PT": cohort_criteria(modalities=["CT", "PT"], modality_match="all"),
    "CT,F": cohort_criteria(modalities=["CT"], sexes=["F"]),
    "90+": cohort_criteria(age_min=90),
    "2020": cohort_criteria(year_min=2020),
    "CT,2020": cohort_criteria(modalities=["CT"], year_min=2020),
}
# (narrower, wider): every subject of the first also counts in the second.
NESTED = [("CT,F", "CT"), ("CT&PT", "CT|PT"), ("CT", "CT|PT"), ("F", "all"), ("90+", "all"), ("2020", "all"),
          ("CT,2020", "CT"), ("CT&PT", "CT")]


@st.composite
def catalogues(draw, max_datasets: int = 2, max_subjects: int = 30):  # type: ignore[no-untyped-def]
    """Datasets of generated subjects; each subject has one sex and age band and 1-3 studies."""
    datasets = []
    for pk in range(1, draw(st.integers(1, max_datasets)) + 1):
        subjects = []
        for s in range(draw(st.integers(0, max_subjects))):
            sex = draw(st.sampled_from(SEXES))
            age = draw(st.sampled_from([40, 45, 60, 90]))
            studies = [
                (draw(st.sampled_from([2019, 2020])), draw(st.sampled_from(["|CT|", "|PT|", "|CT|PT|", "|MR|"])))
                for _ in range(draw(st.integers(1, 3)))
            ]
            subjects.append((f"{pk}-{s}", sex, age, studies))
        datasets.append((pk, subjects))
    return datasets


def _rows(datasets, *, order_seed: int = 0):  # type: ignore[no-untyped-def]
    rng = random.Random(order_seed)
    rows = []
    for pk, subjects in datasets:
        renamed = {key: f"h{rng.random()}" for key, *_ in subjects}  # other salts: other hashes, other order
        for key, sex, age, studies in subjects:
            rows += [(pk, renamed[key], sex, age, year, mods, "", "") for year, mods in studies]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _public(datasets):  # type: ignore[no-untyped-def]
    return [PublicDataset(pk, f"ds-{pk}", f"Dataset {pk}", len(subjects), sum(len(s[3]) for s in subjects))
            for pk, subjects in datasets]


def _answers(datasets, *, order_seed: int = 0):  # type: ignore[no-untyped-def]
    index = index_from_rows(_rows(datasets, order_seed=order_seed))
    public = _public(datasets)
    return index, public, {name: publish_answer(index, q, public, k=K, base_url=BASE).as_dict()
                           for name, q in QUESTIONS.items()}


def _exact(index, public, name):  # type: ignore[no-untyped-def]
    import numpy as np

    position = index.position_of()
    subjects, studies = count_in_index(index, QUESTIONS[name], np.ones(index.dataset_pks.shape[0], dtype=bool))
    return {d.identifier: (int(subjects[position[d.pk]]), int(studies[position[d.pk]])) for d in public
            if d.pk in position}


def _candidates(label, total):  # type: ignore[no-untyped-def]
    """Every count the attacker cannot rule out for a cell, given its label and the public dataset total."""
    return {x for x in range(0, total + 1) if publish_computed_count(x, dataset_total=total, k=K) == label}


def _cells(answer):  # type: ignore[no-untyped-def]
    return {d["identifier"]: d["subjects"] for d in answer["datasets"]}


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


@SETTINGS
@given(catalogues(), st.integers(0, 1000))
def test_repeated_questions_get_the_same_answer_whatever_the_order_of_the_facts(datasets, seed) -> None:  # type: ignore[no-untyped-def]
    assert _answers(datasets)[2] == _answers(datasets)[2] == _answers(datasets, order_seed=seed)[2]


@SETTINGS
@given(catalogues())
def test_a_cell_and_its_dataset_total_never_give_away_a_small_complement(datasets) -> None:  # type: ignore[no-untyped-def]
    index, public, answers = _answers(datasets)
    totals = {d.identifier: d.n_subjects for d in public}
    for name, answer in answers.items():
        exact = _exact(index, public, name)
        for identifier, label in _cells(answer).items():
            total = totals[identifier]
            complement = total - exact[identifier][0]
            seen = {total - x for x in _candidates(label, total)}
            if 1 <= complement < K:
                assert set(range(1, K)) <= seen, (name, identifier, label, total)
            if exact[identifier][0] < K:
                assert isinstance(label, str)


@SETTINGS
@given(catalogues())
def test_differencing_overlapping_questions_never_pins_a_small_difference(datasets) -> None:  # type: ignore[no-untyped-def]
    index, public, answers = _answers(datasets)
    totals = {d.identifier: d.n_subjects for d in public}
    for narrow, wide in NESTED:
        exact_narrow, exact_wide = _exact(index, public, narrow), _exact(index, public, wide)
        cells_narrow, cells_wide = _cells(answers[narrow]), _cells(answers[wide])
        for identifier, label in cells_narrow.items():
            difference = exact_wide[identifier][0] - exact_narrow[identifier][0]
            assert difference >= 0
            if not 1 <= difference < K:
                continue
            total = totals[identifier]
            seen = {b - a for a in _candidates(label, total) for b in _candidates(cells_wide[identifier], total) if b >= a}
            assert difference in seen and len(seen) >= 2, (narrow, wide, identifier, seen)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(catalogues(max_subjects=25))
def test_the_cohort_total_and_the_dataset_figures_never_narrow_a_hidden_cell(datasets) -> None:  # type: ignore[no-untyped-def]
    """Facets against totals: the exact totals of the dataset figures, the cells and the cohort total together.

    For each hidden cell, every count its label allows must stay possible: some counts of the other datasets
    (within their own labels) give the same published cells and total.
    """
    index, public, answers = _answers(datasets)
    totals = {d.identifier: d.n_subjects for d in public}
    for name, answer in answers.items():
        cells = _cells(answer)
        ids = list(cells)
        options = [sorted(_candidates(cells[i], totals[i])) for i in ids]
        published = (tuple(cells[i] for i in ids), answer["total"]["subjects"])
        consistent = [
            xs for xs in itertools.product(*options)
            if (lambda r: (r.cells, r.total))(publish_cohort([(x, totals[i]) for x, i in zip(xs, ids, strict=True)],
                                                             k=K)) == published
        ]
        for j, identifier in enumerate(ids):
            if isinstance(cells[identifier], str):
                assert {xs[j] for xs in consistent} == set(options[j]), (name, identifier)


@pytest.mark.xfail(strict=False, reason=(
    "KNOWN GAP (open, issue 9): three cells of a partition (F, M, U) published against the exact dataset total "
    "can pin a '<10' cell: total 30, F published 10 (true 12), M and U '<10' leaves only M = U = 9. Needs "
    "partition-aware secondary suppression or a coarser rounding of the large cells; found by hypothesis."
))
@SETTINGS
@given(catalogues())
def test_a_sex_partition_and_the_dataset_page_never_pin_a_small_group(datasets) -> None:  # type: ignore[no-untyped-def]
    """The page publishes the exact subject total and the sex list; the F, M and U cells partition the subjects."""
    index, public, answers = _answers(datasets)
    for d in public:
        figures = publish_dataset_figures(n_subjects=d.n_subjects, n_studies=d.n_studies, k=K)
        if d.identifier not in _cells(answers["all"]):
            assert figures.small or d.n_subjects < K
            continue
        total = d.n_subjects
        parts = {s: _cells(answers[s])[d.identifier] for s in SEXES}
        exact = {s: _exact(index, public, s)[d.identifier][0] for s in SEXES}
        options = {s: _candidates(parts[s], total) for s in SEXES}
        for s in SEXES:
            if not 1 <= exact[s] < K:
                continue
            others = [o for o in SEXES if o != s]
            seen = {total - a - b for a in options[others[0]] for b in options[others[1]]} & options[s]
            seen -= {0}  # the page's sex list may say this sex is present (U is never listed: stricter still)
            assert exact[s] in seen and len(seen) >= 2, (s, parts, total)


@SETTINGS
@given(catalogues(max_datasets=1), st.lists(st.tuples(st.sampled_from(SEXES), st.sampled_from([40, 90]),
                                                     st.sampled_from([2019, 2020])), min_size=1, max_size=9))
def test_the_facts_of_a_small_dataset_change_nothing_that_is_published(datasets, small_facts) -> None:  # type: ignore[no-untyped-def]
    """A dataset below k subjects withholds its sex list, ages and years (§0.1): cohort answers about it cannot
    depend on them, nor on how many of its people match anything."""
    def with_small(facts):  # type: ignore[no-untyped-def]
        subjects = [(f"small-{i}", sex, age, [(year, "|CT|")] * 3) for i, (sex, age, year) in enumerate(facts)]
        return [*datasets, (99, subjects)]

    base = _answers(with_small(small_facts))[2]
    rng = random.Random(len(small_facts))
    other = [(rng.choice(SEXES), rng.choice([40, 90]), rng.choice([2019, 2020])) for _ in small_facts]
    assert _answers(with_small(other))[2] == base
    assert all("ds-99" not in _cells(answer) for answer in base.values())
    figures = publish_dataset_figures(n_subjects=len(small_facts), n_studies=3 * len(small_facts), k=K,
                                      sexes=[f[0] for f in small_facts], min_age=40, max_age=90)
    assert figures.small and figures.sexes == () and figures.min_age is None and figures.year_min is None
