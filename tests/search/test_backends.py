"""The embedded backend stays in step with the catalogue; search_rebuild and search_check keep it true.

(Elasticsearch backend tests: tests/search/test_elasticsearch*.py.)
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from catalogue.services import dataset_upsert, dataset_withdraw, source_publish
from search.backends import get_backend
from search.models import SearchDocument
from search.services import index_rebuild
from tests.factories import iri, make_descriptor

pytestmark = pytest.mark.django_db


def test_embedded_index_follows_upserts_withdrawals_and_publication(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("s1"), source=source).dataset
    assert SearchDocument.objects.filter(identifier=dataset.identifier).exists()
    doc = SearchDocument.objects.get(identifier=dataset.identifier).body
    assert doc["facets"]["modality"] == ["CT"] and doc["display"]["subjects"] == 120
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
    assert SearchDocument.objects.get(identifier=dataset.identifier).body["display"]["subjects"] == "<10"


def test_documents_hold_published_values_only(vocab, source):
    """docs/privacy.md §0.1: a small dataset's studies are "<10"; its sexes, ages and years are absent."""
    dataset = dataset_upsert(descriptor=make_descriptor("tiny", n_subjects=3, n_studies=4, min_age=91, max_age=95,
                                                       acquisition_year_min=2021, acquisition_year_max=2021),
                             source=source).dataset
    doc = SearchDocument.objects.get(identifier=dataset.identifier).body
    assert doc["display"]["studies"] == "<10" and doc["ranges"]["subjects"] == 0 and doc["ranges"]["studies"] == 0
    assert doc["facets"]["sex"] == [] and doc["labels"]["sex"] == {}
    assert doc["ranges"]["age_min"] is None and doc["ranges"]["year_min"] is None
    assert "2021" not in str(doc) and "91" not in str(doc["ranges"])


def test_documents_carry_hierarchy_synonyms_and_codes(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("luad", cancer_types=(iri("cancer-type", "LUAD"),)),
                             source=source).dataset
    doc = SearchDocument.objects.get(identifier=dataset.identifier).body
    assert doc["facets"]["cancer_type"] == ["cancer", "lung-adenocarcinoma", "lung-cancer", "nsclc"]
    assert doc["parents"]["lung-adenocarcinoma"] == "nsclc" and doc["parents"]["cancer"] is None
    assert {"NSCLC", "C34", "LUAD", "8140/3"} <= set(doc["concepts"])


def test_search_check_reports_drift_and_rebuild_repairs_it(vocab, source):
    kept = dataset_upsert(descriptor=make_descriptor("k"), source=source).dataset
    gone = dataset_upsert(descriptor=make_descriptor("g"), source=source).dataset
    out = io.StringIO()
    call_command("search_check", stdout=out)
    assert "matches the catalogue: 2 documents" in out.getvalue()

    row = SearchDocument.objects.get(identifier=kept.identifier)
    row.body = {**row.body, "title": "tampered"}
    row.save()
    SearchDocument.objects.filter(identifier=gone.identifier).delete()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("search_check", stdout=out)
    assert exit_info.value.code == 1
    assert f"stale\t{kept.identifier} (title)" in out.getvalue()
    assert f"missing\t{gone.identifier}" in out.getvalue()

    err = io.StringIO()
    call_command("search_rebuild", stdout=io.StringIO(), stderr=err)
    assert "2/2" in err.getvalue() and "dataset/s" in err.getvalue()  # tqdm: count, rate, time left
    call_command("search_check", stdout=io.StringIO())


def test_the_snapshot_serves_the_next_write_by_applying_it(vocab, source):
    from search.backends.embedded import EmbeddedBackend
    from search.query import SearchQuery

    backend = EmbeddedBackend()
    dataset_upsert(descriptor=make_descriptor("one"), source=source)
    assert backend.search(SearchQuery(text="lung")).total == 1
    built, applied = EmbeddedBackend.builds, EmbeddedBackend.applies
    assert backend.search(SearchQuery(text="cohort")).total == 1
    assert (EmbeddedBackend.builds, EmbeddedBackend.applies) == (built, applied)  # no write, nothing to do
    dataset_upsert(descriptor=make_descriptor("two"), source=source)
    assert backend.search(SearchQuery(text="lung")).total == 2
    assert (EmbeddedBackend.builds, EmbeddedBackend.applies) == (built, applied + 1)  # applied, not rebuilt
