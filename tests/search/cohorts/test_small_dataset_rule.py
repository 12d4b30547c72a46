"""The small-dataset rule (docs/privacy.md §0.1) on the dataset API and the dataset page.

(The RDF side is pinned in tests/catalogue/dcat; cohort counts in test_services and test_attacks.)
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import iri
from tests.search.cohorts.conftest import fact

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(add_dataset):  # type: ignore[no-untyped-def]
    return add_dataset("one-person", [fact("p", sex="F", age=90, year=2019, modalities=["CT"])], n_subjects=1,
                       n_studies=1, min_age=93, max_age=93, acquisition_year_min=2019, acquisition_year_max=2019,
                       birth_sex=(iri("sex", "F"),))


@pytest.fixture
def large(add_dataset):  # type: ignore[no-untyped-def]
    return add_dataset("many", [fact(f"p{i}", modalities=["CT"]) for i in range(12)], min_age=23, max_age=67,
                       acquisition_year_min=2015, acquisition_year_max=2020, birth_sex=(iri("sex", "F"),))


def test_the_api_withholds_a_small_datasets_people(small, large) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    body = client.get(f"/api/v1/datasets/{small.identifier}/").json()
    assert (body["n_subjects"], body["n_studies"]) == ("<10", "<10")
    assert body["birth_sex"] == [] and body["min_age"] is None and body["max_age"] is None
    assert body["acquisition_year_min"] is None and body["acquisition_year_max"] is None
    assert body["n_series"] == small.n_series  # images, not people
    other = client.get(f"/api/v1/datasets/{large.identifier}/").json()
    assert (other["n_subjects"], other["n_studies"]) == (12, 12)
    assert [s["code"] for s in other["birth_sex"]] == ["F"]
    assert (other["min_age"], other["max_age"], other["acquisition_year_min"]) == ("20-24", "65-69", 2015)


def test_the_page_withholds_a_small_datasets_people(client, small, large) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/datasets/{small.identifier}").content.decode()
    assert "Not published: the dataset has fewer than 10 subjects" in page
    assert "2019" not in page and "90+" not in page and "Female" not in page
    other = client.get(f"/datasets/{large.identifier}").content.decode()
    assert "2015–2020" in other and "20-24 to 65-69" in other and "Female" in other
