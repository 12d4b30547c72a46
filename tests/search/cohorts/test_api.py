"""GET /api/v1/cohorts/count: the body of issue 9, strict parameters, the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.search.cohorts.conftest import fact

pytestmark = pytest.mark.django_db

URL = "/api/v1/cohorts/count"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def corpus(add_dataset):  # type: ignore[no-untyped-def]
    facts = [fact(f"c{i}", sex="F", age=60, year=2019, modalities=["CT"], body_parts=["CHEST"],
                  manufacturers=["SIEMENS"]) for i in range(30)]
    facts += [fact(f"c{i}", sex="F", age=60, year=2020, modalities=["PT"]) for i in range(20)]
    return add_dataset("lung", facts, manufacturers=("SIEMENS",))


def test_the_response_has_the_shape_of_the_issue(client: APIClient, corpus) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"modality": ["CT", "PT"], "modality_match": "all", "age_min": "62", "age_max": "66",
                                "sex": "F", "body_part": "", "cancer_type": "lung-cancer"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"datasets", "total", "threshold", "criteria"}
    assert body["threshold"] == 10
    assert body["datasets"] == [{"identifier": corpus.identifier, "title": corpus.sort_title,
                                 "url": f"{corpus.iri}", "subjects": 20, "studies": 40}]
    assert body["total"] == {"subjects": 20, "studies": 40}
    assert body["criteria"] == {
        "cancer_type": ["lung-cancer"], "modality": ["CT", "PT"], "modality_match": "all", "body_part": [],
        "sex": ["F"], "age_min": 60, "age_max": 69, "year_min": None, "year_max": None, "manufacturer": [],
    }


def test_codes_are_case_insensitive_and_a_repeated_parameter_is_any_of(client: APIClient, corpus) -> None:  # type: ignore[no-untyped-def]
    body = client.get(f"{URL}?modality=ct&modality=pt&manufacturer=siemens").json()
    assert body["criteria"]["modality"] == ["CT", "PT"]
    assert body["datasets"][0]["subjects"] == 30  # CT or PT, and a SIEMENS study: the 30 CT subjects
    assert client.get(URL, {"body_part": "CHEST", "year_min": "2019", "year_max": "2019"}).json()["total"] == {
        "subjects": 30, "studies": 30}


@pytest.mark.parametrize(
    ("query", "parameter", "code"),
    [
        ("n_subjects__lt=10", "n_subjects__lt", "unknown_parameter"),
        ("modality=CT&page_size=abc", "page_size", "unknown_parameter"),
        ("age_min=abc", "age_min", "malformed"),
        ("age_min=-1", "age_min", "malformed"),
        ("age_min=4.5", "age_min", "malformed"),
        ("age_max=999", "age_max", "out_of_range"),
        ("age_min=70&age_max=60", "age_max", "invalid_range"),
        ("year_min=19", "year_min", "out_of_range"),
        ("year_min=2020&year_max=2010", "year_max", "invalid_range"),
        ("year_min=2019&year_min=2020", "year_min", "repeated_parameter"),
        ("modality_match=some", "modality_match", "malformed"),
        ("modality_match=all&modality_match=any", "modality_match", "repeated_parameter"),
        ("modality=XYZ", "modality", "unknown_code"),
        ("modality=CT&modality=NOPE", "modality", "unknown_code"),
        ("body_part=Lung%20tumour", "body_part", "unknown_code"),
        ("cancer_type=C34", "cancer_type", "unknown_code"),
        ("sex=X", "sex", "unknown_code"),
        ("manufacturer=ACME", "manufacturer", "unknown_code"),
        ("modality=%00", "modality", "control_character"),
        ("modality=CT%0A", "modality", "control_character"),
        ("sex=F%1b", "sex", "control_character"),
        ("age_min=1%00", "age_min", "control_character"),
        ("modality=" + "C" * 201, "modality", "too_long"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client: APIClient, corpus, query: str, parameter: str,  # type: ignore[no-untyped-def]
                                                 code: str) -> None:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert list(error["fields"]) == [parameter]
    assert set(response.json()) == {"error"}


def test_a_control_character_in_a_parameter_name_is_a_400(client: APIClient, corpus) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}?mod%00ality=CT")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "control_character"


def test_too_many_values_is_a_400(client: APIClient, corpus) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"modality": ["CT"] * 51})
    assert response.status_code == 400 and response.json()["error"]["fields"] == {"modality": ["At most 50 values."]}


def test_every_count_in_the_response_is_published(client: APIClient, add_dataset) -> None:  # type: ignore[no-untyped-def]
    add_dataset("a", [fact(f"a{i}", sex="F" if i < 37 else "M", modalities=["CT"]) for i in range(40)])
    add_dataset("b", [fact(f"b{i}", sex="M", modalities=["MR"]) for i in range(23)])
    for query in ({}, {"sex": "M"}, {"sex": "F"}, {"modality": "MR"}, {"modality": ["CT", "MR"]}):
        body = client.get(URL, query).json()
        values = [v for d in body["datasets"] for v in (d["subjects"], d["studies"])] + list(body["total"].values())
        for value in values:
            assert value in ("<10", "suppressed") or (type(value) is int and value % 5 == 0 and value >= 10), value
    sex_m = client.get(URL, {"sex": "M"}).json()
    assert [d["subjects"] for d in sex_m["datasets"]] == ["<10", 25]  # 3 of 40; 23 of 23 rounded


def test_the_endpoint_is_in_the_openapi_schema(client: APIClient) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/cohorts/count"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"cancer_type", "modality", "modality_match", "body_part", "sex", "age_min", "age_max", "year_min",
                     "year_max", "manufacturer"}
    assert "snap" in operation["description"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/CohortCount")
    component = schema["components"]["schemas"]["CohortCount"]
    assert set(component["properties"]) == {"datasets", "total", "threshold", "criteria"}
