"""No public code path returns a study fact: not the API, the pages, the schema, the admin or the index."""

from __future__ import annotations

import inspect

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.test import APIClient

from catalogue.models import StudyFact
from catalogue.services import dataset_upsert, subject_hash
from search.models import SearchDocument
from tests.factories import StudyFactRecord, make_descriptor

pytestmark = pytest.mark.django_db


def _all_paths(resolver=None, prefix=""):  # type: ignore[no-untyped-def]
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _all_paths(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def test_no_page_api_or_schema_contains_a_study_fact(vocab, source):
    facts = tuple(
        StudyFactRecord(subject_key=f"CANARY-{i}", sex="F", age_band=35, year=2017, modalities=("CT",),
                        manufacturers=("CanaryVendor",), n_series=3, n_instances=333, n_bytes=7777777)
        for i in range(12)
    )
    dataset = dataset_upsert(descriptor=make_descriptor("leak", study_facts=facts), source=source).dataset
    hashes = set(StudyFact.objects.filter(dataset=dataset).values_list("subject_hash", flat=True))
    assert hashes == {subject_hash(dataset=dataset, subject_key=f"CANARY-{i}") for i in range(12)}

    client = APIClient()
    admin_user = __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model().objects.create_superuser(
        "root", "root@example.org", "x-long-password-1"
    )
    bodies = []
    for path in sorted(set(_all_paths())):
        url = "/" + path.replace("<slug:identifier>", dataset.identifier).replace("<str:field>", "version")
        url = url.replace("<slug:slug>", "cancer-type")
        if "<" in url or "(?P" in url or url.startswith("/admin"):
            continue
        response = client.get(url)
        bodies.append(response.content.decode(errors="replace"))
    client.force_login(admin_user)
    for url in ("/admin/catalogue/dataset/", f"/admin/catalogue/dataset/{dataset.pk}/change/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 200
        bodies.append(response.content.decode())
    bodies.append(str(list(SearchDocument.objects.values_list("body", flat=True))))
    text = "\n".join(bodies)
    assert len(bodies) > 10
    for h in hashes:
        assert h not in text
    for marker in ("CANARY-", "subject_hash", "7777777", "CanaryVendor"):
        assert marker not in text


def test_study_facts_are_not_registered_in_the_admin():
    assert StudyFact not in admin.site._registry


def test_no_serializer_is_built_on_study_facts():
    import catalogue.api.serializers as module

    for _, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, serializers.ModelSerializer) and hasattr(cls, "Meta"):
            assert cls.Meta.model is not StudyFact, cls
