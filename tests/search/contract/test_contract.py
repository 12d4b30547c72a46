"""Every backend answers the contract questions (questions.py) over the known corpus (corpus.py) the same way.

Runs on the embedded backend always (SQLite, and PostgreSQL in CI's second leg via DATABASE_URL) and on
Elasticsearch whenever ELASTICSEARCH_URL is set. A known gap of one backend is an xfail with its reason.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import transaction
from django.utils.module_loading import import_string

from search.backends.base import SearchBackend
from tests.search.contract.corpus import KEYS, corpus_build
from tests.search.contract.questions import KNOWN_GAPS, QUESTIONS

BACKENDS = {"embedded": "search.backends.embedded.EmbeddedBackend"}
if os.environ.get("ELASTICSEARCH_URL"):
    BACKENDS["elasticsearch"] = "search.backends.elasticsearch.ElasticsearchBackend"


def _cases() -> list[Any]:
    cases = []
    for backend in BACKENDS:
        for name, query, expected in QUESTIONS:
            marks = []
            if (backend, name) in KNOWN_GAPS:
                marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[(backend, name)], strict=True))
            cases.append(pytest.param(backend, query, expected, id=f"{backend}-{name}", marks=marks))
    return cases


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The corpus, built once for the module inside a transaction that is rolled back at the end."""
    from catalogue.models import Source

    with django_db_blocker.unblock(), transaction.atomic():
        source = Source.objects.create(slug="contract", name="Contract corpus", kind="manual", published=True)
        ids = corpus_build(source)
        built: dict[str, SearchBackend] = {}
        for name, path in BACKENDS.items():
            backend = import_string(path)()
            if name != "embedded":  # remote backends index after commit: feed them the documents directly
                from catalogue.selectors import dataset_list_public
                from search.documents import dataset_document

                backend.clear()
                backend.index([dataset_document(d) for d in dataset_list_public()])
                backend.refresh()  # Elasticsearch shows writes to searches after a refresh
            built[name] = backend
        yield ids, built
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize(("backend_name", "query", "expected"), _cases())
def test_backend_answers_the_question(corpus, backend_name, query, expected):  # type: ignore[no-untyped-def]
    ids, backends = corpus
    key_of = {identifier: key for key, identifier in ids.items()}
    result = backends[backend_name].search(query)
    got = [key_of.get(i, i) for i in result.identifiers]
    if "total" in expected:
        assert result.total == expected["total"]
    if "ids" in expected:
        assert got == expected["ids"]
    if "set" in expected:
        assert set(got) == set(expected["set"]) and len(got) == len(set(got))
    for facet, values in expected.get("facets", {}).items():
        assert [(v.value, v.count) for v in result.facets[facet]] == [tuple(v) for v in values], facet
    if "tree" in expected:
        tree = [(v.value, v.count, v.parent, v.depth) for v in result.facets["cancer_type"]]
        assert tree == [tuple(v) for v in expected["tree"]]
    assert set(result.facets) == set(query.facets)


@pytest.mark.django_db
@pytest.mark.parametrize("backend_name", list(BACKENDS))
def test_facet_values_carry_labels(corpus, backend_name):  # type: ignore[no-untyped-def]
    from search.query import SearchQuery

    result = corpus[1][backend_name].search(SearchQuery(facets=("modality", "cancer_type", "publisher", "sex")))
    labels = {(name, v.value): v.label for name, values in result.facets.items() for v in values}
    assert labels[("modality", "CT")] == "Computed Tomography"
    assert labels[("cancer_type", "nsclc")] == "Non-small cell lung cancer"
    assert labels[("publisher", "hospital-a")] == "Hospital A"
    assert labels[("sex", "F")] == "Female"


@pytest.mark.django_db
@pytest.mark.parametrize("backend_name", list(BACKENDS))
def test_autocomplete_offers_concepts_then_titles(corpus, backend_name):  # type: ignore[no-untyped-def]
    ids, backends = corpus
    suggestions = backends[backend_name].autocomplete("glio", 10)
    kinds = [(s.kind, s.value) for s in suggestions]
    assert kinds[:2] == [("cancer_type", "glioma"), ("cancer_type", "glioblastoma")]
    assert ("dataset", ids["glioma-mr"]) in kinds
    assert [s.count for s in suggestions[:2]] == [2, 1]
    assert backends[backend_name].autocomplete("zzzz", 10) == []


def test_the_corpus_has_one_key_per_dataset():
    assert len(KEYS) == len(set(KEYS)) == 12
    assert len(QUESTIONS) >= 20
