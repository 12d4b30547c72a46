"""GET /api/v1/datasets/ and /autocomplete/: the response shape, strict parameters, paging, the schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalogue.services import dataset_upsert
from tests.factories import iri, make_descriptor

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def three(vocab, source):
    dataset_upsert(descriptor=make_descriptor("ct"), source=source)
    dataset_upsert(descriptor=make_descriptor("mr", modalities=(iri("modality", "MR"),)), source=source)
    dataset_upsert(descriptor=make_descriptor("tiny", n_subjects=3, n_studies=4), source=source)


def test_search_response_has_count_paging_results_and_facets(api, three):
    body = api.get("/api/v1/datasets/?q=lung&page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert "page=2" in body["next"] and "page_size=2" in body["next"] and body["previous"] is None
    hit = body["results"][0]
    for key in ("identifier", "title", "url", "subjects", "studies", "modalities", "cancer_types", "body_parts"):
        assert key in hit
    assert hit["url"].endswith(f"/api/v1/datasets/{hit['identifier']}/")
    assert body["facets"]["modality"] == [
        {"value": "CT", "label": "Computed Tomography", "count": 2},
        {"value": "MR", "label": "Magnetic Resonance", "count": 1},
    ]
    assert body["facets"]["cancer_type"][0] == {"value": "cancer", "label": "Cancer (malignant neoplasm)", "count": 3,
                                                "parent": None, "depth": 0}
    page2 = api.get(body["next"]).json()
    assert page2["previous"] and len(page2["results"]) == 1
    assert not {h["identifier"] for h in page2["results"]} & {h["identifier"] for h in body["results"]}


def test_small_datasets_show_below_k_and_no_sex(api, three):
    body = api.get("/api/v1/datasets/?subjects_max=9").json()
    assert body["count"] == 1
    assert body["results"][0]["subjects"] == "<10" and body["results"][0]["studies"] == "<10"
    assert body["facets"]["sex"] == []


def test_repeated_filter_is_any_of_and_all_of_on_request(api, three):
    assert api.get("/api/v1/datasets/?modality=CT&modality=MR").json()["count"] == 3
    assert api.get("/api/v1/datasets/?modality=CT&modality=MR&modality_match=all").json()["count"] == 0
    assert api.get("/api/v1/datasets/?modality=mr").json()["count"] == 1  # codes are matched case-insensitively


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("n_subjects__lt=10", "n_subjects__lt"),
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page=-1", "page"),
        ("modality=XYZ", "modality"),
        ("cancer_type=not-a-cancer", "cancer_type"),
        ("subjects_min=ten", "subjects_min"),
        ("subjects_min=50&subjects_max=10", "subjects_min"),
        ("q=%00", "q"),
        ("q=lung%07", "q"),
        ("sort=size", "sort"),
        ("modality_match=some", "modality_match"),
        ("q=a&q=b", "q"),
        ("has_segmentations=maybe", "has_segmentations"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(api, three, query, param):
    response = api.get(f"/api/v1/datasets/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter" and param in error["fields"]


def test_page_size_is_capped_and_a_page_past_the_end_is_404(api, three):
    assert len(api.get("/api/v1/datasets/?page_size=5000").json()["results"]) == 3
    response = api.get("/api/v1/datasets/?page=9")
    assert response.status_code == 404 and response.json()["error"]["code"] == "invalid_page"


def test_autocomplete_suggests_concepts_and_titles(api, three):
    body = api.get("/api/v1/datasets/autocomplete/?q=lun").json()
    kinds = {(s["kind"], s["value"]) for s in body["suggestions"]}
    assert ("cancer_type", "lung-cancer") in kinds and ("cancer_type", "nsclc") in kinds
    assert any(kind == "dataset" for kind, _ in kinds)
    assert api.get("/api/v1/datasets/autocomplete/?q=").status_code == 400
    assert api.get("/api/v1/datasets/autocomplete/?q=lu&limit=99").status_code == 400
    assert api.get("/api/v1/datasets/autocomplete/?q=lu&x=1").json()["error"]["fields"] == {"x": ["x: unknown parameter"]}


def test_search_is_in_the_openapi_schema(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/datasets/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "cancer_type", "modality", "modality_match", "subjects_min", "year_max", "sort", "page_size"} <= names
    assert "/api/v1/datasets/autocomplete/" in schema["paths"]
    assert "/api/v1/datasets/{identifier}/" in schema["paths"]


def test_a_write_is_visible_to_the_next_search(api, vocab, source):
    """The in-process snapshot is keyed by the version token written in the catalogue's transaction."""
    from catalogue.services import dataset_withdraw, source_publish

    assert api.get("/api/v1/datasets/?q=lung").json()["count"] == 0
    dataset_upsert(descriptor=make_descriptor("fresh"), source=source)
    assert api.get("/api/v1/datasets/?q=lung").json()["count"] == 1
    dataset_upsert(descriptor=make_descriptor("fresh", keywords=("kidney",), description=()), source=source)
    assert api.get("/api/v1/datasets/?q=kidney").json()["count"] == 1
    source_publish(source=source, published=False)
    assert api.get("/api/v1/datasets/?q=lung").json()["count"] == 0
    source_publish(source=source, published=True)
    dataset_withdraw(source=source, guid="fresh")
    assert api.get("/api/v1/datasets/").json()["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_is_never_served(vocab, source):
    """A search inside a transaction that is then rolled back must not leave its state in the snapshot."""
    from django.db import transaction

    from search.query import SearchQuery
    from search.services import dataset_search

    dataset_upsert(descriptor=make_descriptor("kept"), source=source)
    with pytest.raises(RuntimeError), transaction.atomic():
        dataset_upsert(descriptor=make_descriptor("ghost"), source=source)
        assert dataset_search(query=SearchQuery(text="lung")).result.total == 2
        raise RuntimeError("roll back")
    assert dataset_search(query=SearchQuery(text="lung")).result.total == 1
