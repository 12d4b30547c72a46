"""The REST API frame: public reads, roles, one error body, paging, throttling, schema and docs, health."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import Source
from catalogue.services import dataset_upsert
from tests.factories import ACCESS, make_descriptor

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def curator(source):
    user = get_user_model().objects.create_user("cura", password="x-very-long-pass-1")
    source.curators.add(user)
    return user


def test_anonymous_lists_public_datasets_only_in_stable_order(vocab, api, source):
    hidden = Source.objects.create(slug="hidden", name="Hidden", kind="dcat_rdf", published=False)
    for guid in ("b", "a", "c"):
        dataset_upsert(descriptor=make_descriptor(guid), source=source)
    dataset_upsert(descriptor=make_descriptor("secret"), source=hidden)
    body = api.get("/api/v1/datasets/").json()
    assert body["count"] == 3
    titles = [d["title"] for d in body["results"]]
    assert titles == sorted(titles)
    assert "Lung CT cohort secret" not in titles


def test_paging_has_no_overlap(vocab, api, source):
    for i in range(5):
        dataset_upsert(descriptor=make_descriptor(f"p{i}"), source=source)
    page1 = api.get("/api/v1/datasets/?page_size=2").json()
    page2 = api.get(page1["next"]).json()
    ids1 = {d["identifier"] for d in page1["results"]}
    ids2 = {d["identifier"] for d in page2["results"]}
    assert len(ids1) == len(ids2) == 2 and not ids1 & ids2


def test_filters_by_vocabulary_codes(vocab, api, source):
    from tests.factories import iri

    dataset_upsert(descriptor=make_descriptor("ct"), source=source)
    dataset_upsert(descriptor=make_descriptor("mr", modalities=(iri("modality", "MR"),)), source=source)
    body = api.get("/api/v1/datasets/?modality=MR").json()
    assert body["count"] == 1
    assert body["results"][0]["modalities"][0]["code"] == "MR"


def test_detail_publishes_small_subject_totals_as_below_k(vocab, api, source):
    dataset = dataset_upsert(descriptor=make_descriptor("small", n_subjects=4), source=source).dataset
    body = api.get(f"/api/v1/datasets/{dataset.identifier}/").json()
    assert body["n_subjects"] == "<10"
    assert body["n_studies"] == 130
    assert body["missing_eucaim"] == []
    big = dataset_upsert(descriptor=make_descriptor("big", n_subjects=1234), source=source).dataset
    assert api.get(f"/api/v1/datasets/{big.identifier}/").json()["n_subjects"] == 1234


def test_detail_shows_age_bands_not_exact_ages(vocab, api, source):
    dataset = dataset_upsert(descriptor=make_descriptor("age", min_age=23, max_age=94), source=source).dataset
    body = api.get(f"/api/v1/datasets/{dataset.identifier}/").json()
    assert body["min_age"] == "20-24"
    assert body["max_age"] == "90+"


def test_unknown_dataset_gets_the_error_body(api, db):
    response = api.get("/api/v1/datasets/atl-nope/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] in {"dataset_not_found", "not_found"}
    assert "message" in response.json()["error"]


def test_anonymous_cannot_set_overrides(vocab, api, source):
    dataset = dataset_upsert(descriptor=make_descriptor("o"), source=source).dataset
    response = api.put(f"/api/v1/datasets/{dataset.identifier}/overrides/version/", {"value": "9"}, format="json")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_curator_of_another_source_cannot_override(vocab, api, source, other_source):
    dataset = dataset_upsert(descriptor=make_descriptor("o"), source=source).dataset
    stranger = get_user_model().objects.create_user("stranger", password="x-very-long-pass-2")
    other_source.curators.add(stranger)
    api.force_authenticate(stranger)
    response = api.put(f"/api/v1/datasets/{dataset.identifier}/overrides/version/", {"value": "9"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_curator_sets_and_clears_an_override_with_a_token(vocab, api, source, curator):
    dataset = dataset_upsert(descriptor=make_descriptor("o"), source=source).dataset
    token = Token.objects.create(user=curator)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = f"/api/v1/datasets/{dataset.identifier}/overrides/access_rights/"
    response = api.put(url, {"value": ACCESS + "PUBLIC"}, format="json")
    assert response.status_code == 200, response.content
    assert api.get(f"/api/v1/datasets/{dataset.identifier}/").json()["access_rights"]["code"] == "PUBLIC"
    assert api.delete(url).status_code == 204
    assert api.get(f"/api/v1/datasets/{dataset.identifier}/").json()["access_rights"]["code"] == "RESTRICTED"
    assert api.delete(url).json()["error"]["code"] == "override_not_found"


def test_bad_override_value_gets_a_field_error(vocab, api, source, curator):
    dataset = dataset_upsert(descriptor=make_descriptor("o"), source=source).dataset
    api.force_authenticate(curator)
    response = api.put(f"/api/v1/datasets/{dataset.identifier}/overrides/n_subjects/", {"value": -1}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_value"
    assert "n_subjects" in response.json()["error"]["fields"]


def test_curators_see_only_their_sources(vocab, api, source, other_source, curator):
    api.force_authenticate(curator)
    slugs = [s["slug"] for s in api.get("/api/v1/sources/").json()["results"]]
    assert slugs == ["node-a"]


def test_vocabulary_endpoints_list_schemes_and_find_synonyms(vocab, api):
    schemes = {s["slug"]: s for s in api.get("/api/v1/vocabularies/?page_size=100").json()["results"]}
    assert schemes["cancer-type"]["concepts"] >= 40
    hits = api.get("/api/v1/vocabularies/cancer-type/concepts/?q=nsclc").json()["results"]
    assert any(h["code"] for h in hits)
    assert api.get("/api/v1/vocabularies/nope/concepts/").status_code == 404


def test_throttling_answers_429_with_the_error_body(api, db, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "100/min"})
    codes = [api.get("/api/v1/vocabularies/").status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 429
    assert api.get("/api/v1/vocabularies/").json()["error"]["code"] == "throttled"


def test_oversized_request_body_is_refused(vocab, api, source, curator, settings):
    dataset = dataset_upsert(descriptor=make_descriptor("o"), source=source).dataset
    api.force_authenticate(curator)
    huge = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = api.put(
        f"/api/v1/datasets/{dataset.identifier}/overrides/version_notes/", {"value": huge}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    dataset.refresh_from_db()
    assert dataset.overrides == {}


def test_openapi_schema_and_docs_are_served_without_a_cdn(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/datasets/" in paths and "/api/v1/datasets/{identifier}/" in paths
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html
    assert "swagger-ui" in html


def test_healthz_reports_database_broker_and_search(client, db):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["search"]["ok"] is True
    assert "broker" in body["checks"]


def test_home_and_dataset_pages_render(vocab, client, source):
    dataset = dataset_upsert(descriptor=make_descriptor("page", n_subjects=7), source=source).dataset
    home = client.get("/")
    assert home.status_code == 200
    assert dataset.sort_title in home.content.decode()
    page = client.get(f"/datasets/{dataset.identifier}").content.decode()
    assert "&lt;10" in page and ">7<" not in page
    assert client.get("/datasets/atl-missing").status_code == 404


def test_admin_login_page_is_served(client, db):
    assert client.get("/admin/login/").status_code == 200


def test_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" in client.get("/api/docs/")["Content-Security-Policy"]
