"""Search backends: the embedded one stays in step with the catalogue; the Elasticsearch mapping is what we expect."""

from __future__ import annotations

import os

import pytest

from catalogue.services import dataset_upsert, dataset_withdraw, source_publish
from search.backends import get_backend
from search.backends.elasticsearch import ElasticsearchBackend, index_body
from search.models import SearchDocument
from search.services import index_rebuild
from tests.factories import make_descriptor

pytestmark = pytest.mark.django_db


def test_embedded_index_follows_upserts_withdrawals_and_publication(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("s1"), source=source).dataset
    assert SearchDocument.objects.filter(identifier=dataset.identifier).exists()
    doc = SearchDocument.objects.get(identifier=dataset.identifier).body
    assert doc["modalities"] == ["CT"] and doc["n_subjects"] == 120
    source_publish(source=source, published=False)
    assert not SearchDocument.objects.filter(identifier=dataset.identifier).exists()
    source_publish(source=source, published=True)
    assert SearchDocument.objects.filter(identifier=dataset.identifier).exists()
    dataset_withdraw(source=source, guid="s1")
    assert not SearchDocument.objects.filter(identifier=dataset.identifier).exists()


def test_rebuild_indexes_every_public_dataset_once(vocab, source):
    for i in range(3):
        dataset_upsert(descriptor=make_descriptor(f"r{i}"), source=source)
    SearchDocument.objects.all().delete()
    assert index_rebuild() == 3
    assert get_backend().count() == 3


def test_small_subject_totals_are_indexed_as_published(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("tiny", n_subjects=3), source=source).dataset
    assert SearchDocument.objects.get(identifier=dataset.identifier).body["n_subjects"] == "<10"


def test_elasticsearch_mapping_has_keyword_facets_and_text_fields():
    props = index_body()["mappings"]["properties"]
    for facet in ("cancer_types", "modalities", "body_parts", "access_rights", "publisher"):
        assert props[facet]["type"] == "keyword"
    assert props["text"]["type"] == "text"
    assert props["title"]["fields"]["raw"]["type"] == "keyword"
    assert props["n_subjects"]["type"] == "keyword"  # "<10" must index too


def test_elasticsearch_health_reports_an_unreachable_server():
    from elasticsearch import Elasticsearch

    backend = ElasticsearchBackend(client=Elasticsearch("http://127.0.0.1:9", request_timeout=1, max_retries=0))
    health = backend.health()
    assert health["ok"] is False and health["backend"] == "elasticsearch"


@pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason="no Elasticsearch server (ELASTICSEARCH_URL unset)")
def test_elasticsearch_round_trip_against_a_real_server(vocab, source):
    backend = ElasticsearchBackend()
    backend.clear()
    backend.index([{"identifier": "atl-x", "title": "X", "text": "lung", "modalities": ["CT"]}])
    assert backend.count() == 1
    backend.delete(["atl-x"])
    assert backend.count() == 0
