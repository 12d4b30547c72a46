"""The Elasticsearch backend without a server: mapping, synonyms, request bodies, response parsing, index life
cycle (on an in-memory stand-in under the real client), outages, and the contract questions answered through a
model of the query DSL (es_dsl.py). With ELASTICSEARCH_URL set, the contract suite also runs on a real server.

The responses parsed here are written by hand in the shape the Elasticsearch 8 reference documents for
`_search` (hits.total {value, relation}, hits.hits [{_index, _id, _score}], terms buckets {key, doc_count} with
doc_count_error_upper_bound and sum_other_doc_count, filter/global aggregations with doc_count and sub-aggs).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.test import override_settings

from search.backends import get_backend
from search.backends.base import SearchBackendUnavailable
from search.backends.elasticsearch import ElasticsearchBackend, build_autocomplete_body, build_search_body, index_body
from search.backends.elasticsearch.mapping import (
    AMBIGUOUS_TERMS,
    KEY_SEPARATOR,
    MAX_RESULT_WINDOW,
    WORD_PATTERN,
    es_source,
    shipped_synonym_rules,
    synonym_rules,
)
from search.backends.elasticsearch.queries import (
    DeepPageError,
    parse_autocomplete_response,
    parse_search_response,
)
from search.query import FACETS, Range, SearchQuery
from search.text import TOKEN
from tests.search.es_dsl import Analysis, Evaluator
from tests.search.es_fake import FakeCluster, FakeIndex, fake_client

# ------------------------------------------------------------------------------------------------- helpers


def _walk(value: Any):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _doc(identifier: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1, "identifier": identifier, "title": fields.pop("title", identifier.title()), "titles": [],
        "description": "", "keywords": [], "publisher": "", "concepts": [], "text": "",
        "facets": {name: [] for name in FACETS}, "labels": {}, "parents": {},
        "ranges": {}, "sort": {"title": identifier, "modified": ""}, "display": {},
    }
    doc.update(fields)
    return doc


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def backend(cluster: FakeCluster) -> ElasticsearchBackend:
    return ElasticsearchBackend(client=fake_client(cluster), prefix="t")


def _dsl(cluster: FakeCluster) -> None:
    evaluator = Evaluator(Analysis(index_body()))
    cluster.search_handler = lambda name, body: evaluator.search(body, cluster.docs(name))


# ---------------------------------------------------------------------------------------- mapping, analysis


def test_mapping_has_keyword_facets_text_fields_with_synonyms_and_numeric_ranges():
    props = index_body()["mappings"]["properties"]
    for facet in FACETS:
        assert props["facets"]["properties"][facet]["type"] == "keyword"
        assert props["es"]["properties"]["facet_keys"]["properties"][facet]["type"] == "keyword"
    for field in ("titles", "description", "keywords", "publisher", "concepts"):
        assert props[field] == {"type": "text", "analyzer": "atlas_text", "search_analyzer": "atlas_search", "fields": {
            "typo": {"type": "text", "analyzer": "atlas_typo", "search_analyzer": "atlas_text"}}}
    assert props["ranges"]["properties"]["subjects"]["type"] == "integer"
    assert props["ranges"]["properties"]["size"]["type"] == "long"
    assert props["sort"]["properties"]["title"]["type"] == "keyword"
    assert props["labels"] == {"type": "object", "enabled": False}
    body = index_body()
    assert body["mappings"]["dynamic"] is False
    assert body["settings"]["max_result_window"] == MAX_RESULT_WINDOW
    search_filters = body["settings"]["analysis"]["analyzer"]["atlas_search"]["filter"]
    assert search_filters == ["lowercase", "asciifolding", "atlas_synonyms"]
    assert body["settings"]["analysis"]["filter"]["atlas_synonyms"]["type"] == "synonym_graph"


def test_word_pattern_is_the_embedded_tokenizer_widened_to_unicode_letters():
    assert WORD_PATTERN.replace(r"[\p{L}\p{M}\p{N}]", "[0-9a-z]") == TOKEN.pattern


@pytest.mark.django_db
def test_every_field_of_a_real_search_document_is_mapped(vocab, source):
    from catalogue.services import dataset_upsert
    from search.documents import dataset_document
    from tests.factories import make_descriptor

    dataset = dataset_upsert(descriptor=make_descriptor("mapped"), source=source).dataset
    document = es_source(dataset_document(dataset))
    props = index_body()["mappings"]["properties"]
    assert set(document) <= set(props), set(document) - set(props)
    for name in ("facets", "ranges", "sort", "es"):
        assert set(document[name]) <= set(props[name]["properties"]), (name, set(document[name]))


def test_synonyms_make_abbreviations_labels_and_codes_equivalent():
    rules = shipped_synonym_rules()
    nsclc = next(r for r in rules if "=>" not in r and "nsclc" in r.split(", "))
    assert {"non small cell lung cancer", "non small cell lung carcinoma"} <= set(nsclc.split(", "))
    assert "c34" not in nsclc.split(", ")  # one way only: NSCLC must not pull every C34 concept
    c34 = next(r for r in rules if r.startswith("c34 =>"))
    outputs = set(c34.split("=>")[1].split(", "))
    outputs = {o.strip() for o in outputs}
    assert {"c34", "lung cancer", "nsclc", "non small cell lung cancer", "small cell lung cancer"} <= outputs
    ct = next(r for r in rules if "=>" not in r and "computed tomography" in r.split(", "))
    assert {"ct", "cat scan"} <= set(ct.split(", "))
    assert not any(r.startswith("c00") for r in rules)  # "C00-C97" is a chapter, not a code of one concept


def test_synonym_rules_leave_out_ambiguous_words_and_carry_no_solr_syntax():
    rules = shipped_synonym_rules()
    terms = set()
    for rule in rules:
        assert rule.count("=>") <= 1
        for side in rule.split("=>"):
            for term in side.split(","):
                term = term.strip()
                assert term and re.fullmatch(r"[0-9a-z./]+( [0-9a-z./]+)*", term), (rule, term)
                terms.add(term)
    assert not terms & AMBIGUOUS_TERMS
    assert not {t for t in terms if len(t) <= 2} - {"ct", "mr"}
    assert {"us", "pt", "all", "idc"}.isdisjoint(terms)


def test_synonym_rules_from_a_hand_written_vocabulary():
    concept = {"code": "x-cancer", "label": "X cancer", "labels": {"fr": "Cancer X"}, "synonyms": ["XCA", "ALL", "xc"],
               "mappings": {"icd10": ["C99"], "dicom": ["IGNORED"]}}
    other = {"code": "y", "label": "Y tumour", "labels": {}, "synonyms": [], "mappings": {"icd10": ["C99", "C00-C97"]}}
    rules = synonym_rules({"cancer-type": [concept, other], "sex": [concept]})
    # "all" is ambiguous, "xc" and "y" too short; "Y tumour" alone is no rule; C00-C97 is a range; sex not used
    assert rules == ["c99 => c99, cancer x, x cancer, xca, y tumour", "cancer x, x cancer, xca"]

# ------------------------------------------------------------------------------------------- request bodies


def test_text_words_are_required_each_scored_by_its_best_field_with_half_weight_typos():
    body = build_search_body(SearchQuery(text="the lung adenocarcinma 2019", facets=()))
    must = body["query"]["bool"]["must"]
    assert len(must) == 3  # "the" is a stop word
    lung, typo, year = (m["dis_max"]["queries"] for m in must)
    assert {(q["constant_score"]["boost"], next(iter(q["constant_score"]["filter"]["match"]))) for q in lung} == {
        (8.0, "titles"), (4.0, "concepts"), (3.0, "keywords"), (2.0, "publisher"), (1.0, "description")}
    fuzzy = [q for q in typo if "fuzziness" in next(iter(q["constant_score"]["filter"]["match"].values()))]
    assert {q["constant_score"]["boost"] for q in fuzzy} == {4.0, 2.0, 1.5, 1.0, 0.5}
    options = next(iter(fuzzy[0]["constant_score"]["filter"]["match"].values()))
    assert options["fuzziness"] == "AUTO:5,256" and options["analyzer"] == "atlas_text"
    assert all(next(iter(q["constant_score"]["filter"]["match"])).endswith(".typo") for q in fuzzy)
    assert len(year) == 5  # digits: no typo clause
    assert len(lung) == 5  # four letters: no typo clause


def test_no_request_carries_query_string_and_every_match_names_a_known_field():
    queries = [SearchQuery(text='lung" OR title:* AND (x', filters={"modality": ("CT",)}), SearchQuery(text="a:b\\ c")]
    for query in queries:
        body = build_search_body(query)
        keys = [k for k, _ in _walk(body)]
        assert "query_string" not in keys and "simple_query_string" not in keys
        for key, value in _walk(body):
            if key == "match":
                (field,) = value
                assert field.removesuffix(".typo") in {"titles", "concepts", "keywords", "publisher", "description"}


def test_filters_are_bool_filter_clauses_any_of_and_modality_all_of():
    any_of = build_search_body(SearchQuery(filters={"modality": ("MR", "CT"), "cancer_type": ("lung-cancer",)}, facets=()))
    assert any_of["query"]["bool"]["filter"] == [
        {"terms": {"facets.cancer_type": ["lung-cancer"]}}, {"terms": {"facets.modality": ["CT", "MR"]}}]
    all_of = build_search_body(SearchQuery(filters={"modality": ("MR", "CT")}, modality_match="all", facets=()))
    assert all_of["query"]["bool"]["filter"] == [{"term": {"facets.modality": "CT"}}, {"term": {"facets.modality": "MR"}}]


def test_ranges_are_inclusive_and_intervals_overlap():
    body = build_search_body(SearchQuery(ranges={"subjects": Range(10, 20), "years": Range(None, 2010)}, facets=()))
    assert body["query"]["bool"]["filter"] == [
        {"range": {"ranges.subjects": {"gte": 10, "lte": 20}}},
        {"exists": {"field": "ranges.year_max"}},
        {"range": {"ranges.year_min": {"lte": 2010}}},
    ]


def test_sort_and_paging():
    body = build_search_body(SearchQuery(sort="-subjects", page=3, page_size=10, facets=()))
    assert body["from"] == 20 and body["size"] == 10 and body["track_total_hits"] is True and body["_source"] is False
    assert body["sort"] == [{"sort.subjects": {"order": "desc", "missing": "_last"}}, {"sort.title": {"order": "asc"}},
                            {"identifier": {"order": "asc"}}]
    assert build_search_body(SearchQuery(sort="-title", facets=()))["sort"] == [
        {"sort.title": {"order": "desc"}}, {"identifier": {"order": "desc"}}]
    with pytest.raises(DeepPageError):
        build_search_body(SearchQuery(page=MAX_RESULT_WINDOW, page_size=2))


def test_facets_count_the_result_set_by_default_and_disjunctively_on_request():
    query = SearchQuery(filters={"modality": ("CT",), "sex": ("F",)}, facets=("modality", "sex"))
    result = build_search_body(query)
    assert "post_filter" not in result
    assert result["aggs"]["modality"] == {"terms": {"field": "es.facet_keys.modality", "size": 10_000,
                                                    "order": [{"_count": "desc"}, {"_key": "asc"}]}}
    disjunctive = build_search_body(query, facets="disjunctive")
    assert disjunctive["post_filter"] == {"bool": {"filter": [{"terms": {"facets.modality": ["CT"]}},
                                                              {"terms": {"facets.sex": ["F"]}}]}}
    assert disjunctive["aggs"]["modality"]["filter"] == {"bool": {"filter": [{"terms": {"facets.sex": ["F"]}}]}}
    assert disjunctive["aggs"]["sex"]["filter"] == {"bool": {"filter": [{"terms": {"facets.modality": ["CT"]}}]}}


# --------------------------------------------------------------------------------------------------- parsing

RECORDED = {
    "took": 3, "timed_out": False,
    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    "hits": {
        "total": {"value": 27, "relation": "eq"}, "max_score": None,
        "hits": [
            {"_index": "atlas-datasets-v1-20261206", "_id": "atl-b", "_score": 12.0, "sort": [12.0, "b", "atl-b"]},
            {"_index": "atlas-datasets-v1-20261206", "_id": "atl-a", "_score": 8.0, "sort": [8.0, "a", "atl-a"]},
        ],
    },
    "aggregations": {
        "modality": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": f"CT{KEY_SEPARATOR}Computed Tomography", "doc_count": 20},
            {"key": f"MR{KEY_SEPARATOR}Magnetic Resonance", "doc_count": 9},
            {"key": f"MR{KEY_SEPARATOR}MR", "doc_count": 2},  # a stale document's label: same code, counts add up
        ]},
        "cancer_type": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": f"cancer{KEY_SEPARATOR}Cancer{KEY_SEPARATOR}", "doc_count": 27},
            {"key": f"lung-cancer{KEY_SEPARATOR}Lung cancer{KEY_SEPARATOR}cancer", "doc_count": 15},
            {"key": f"breast-cancer{KEY_SEPARATOR}Breast cancer{KEY_SEPARATOR}cancer", "doc_count": 12},
            {"key": f"sclc{KEY_SEPARATOR}Small cell lung cancer{KEY_SEPARATOR}lung-cancer", "doc_count": 4},
            {"key": f"nsclc{KEY_SEPARATOR}Non-small cell lung cancer{KEY_SEPARATOR}lung-cancer", "doc_count": 11},
        ]},
    },
}


def test_parse_search_response_of_recorded_shape():
    query = SearchQuery(text="lung", facets=("modality", "cancer_type"))
    result = parse_search_response(RECORDED, query)
    assert result.identifiers == ["atl-b", "atl-a"] and result.total == 27
    assert [(v.value, v.label, v.count) for v in result.facets["modality"]] == [
        ("CT", "Computed Tomography", 20), ("MR", "Magnetic Resonance", 11)]
    assert [(v.value, v.count, v.parent, v.depth) for v in result.facets["cancer_type"]] == [
        ("cancer", 27, None, 0), ("lung-cancer", 15, "cancer", 1), ("nsclc", 11, "lung-cancer", 2),
        ("sclc", 4, "lung-cancer", 2), ("breast-cancer", 12, "cancer", 1)]


def test_parse_refuses_a_lower_bound_total_and_logs_a_cut_facet(caplog):
    bounded = {**RECORDED, "hits": {**RECORDED["hits"], "total": {"value": 10000, "relation": "gte"}}}
    with pytest.raises(ValueError, match="lower bound"):
        parse_search_response(bounded, SearchQuery(facets=()))
    cut = {"hits": RECORDED["hits"], "aggregations": {"sex": {"sum_other_doc_count": 3, "buckets": []}}}
    with caplog.at_level(logging.ERROR):
        parse_search_response(cut, SearchQuery(facets=("sex",)))
    assert "cut" in caplog.text


def test_parse_disjunctive_facets_and_autocomplete_of_recorded_shape():
    response = {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}, "aggregations": {
        "sex": {"doc_count": 14, "values": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                                             "buckets": [{"key": f"F{KEY_SEPARATOR}Female", "doc_count": 14}]}}}}
    assert [(v.value, v.count) for v in parse_search_response(response, SearchQuery(facets=("sex",))).facets["sex"]] == [
        ("F", 14)]
    completion = {
        "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [
            {"_index": "i", "_id": "atl-g", "_score": None, "_source": {"title": "Glioblastoma MR archive"}}]},
        "aggregations": {"concepts": {"doc_count": 40,
                                      "cancer_type": {"buckets": [
                                          {"key": f"glioma{KEY_SEPARATOR}Glioma{KEY_SEPARATOR}brain-cancer", "doc_count": 2},
                                          {"key": f"glioblastoma{KEY_SEPARATOR}Glioblastoma{KEY_SEPARATOR}glioma",
                                           "doc_count": 1},
                                          {"key": f"lung-cancer{KEY_SEPARATOR}Lung cancer{KEY_SEPARATOR}cancer",
                                           "doc_count": 9}]},
                                      "modality": {"buckets": []}, "body_part": {"buckets": []}}},
    }
    got = parse_autocomplete_response(completion, "glio", 10)
    assert [(s.kind, s.value, s.count) for s in got] == [
        ("cancer_type", "glioma", 2), ("cancer_type", "glioblastoma", 1), ("dataset", "atl-g", 1)]
    assert parse_autocomplete_response(completion, "glio", 1)[0].value == "glioma"
    assert build_autocomplete_body("  ", 5) is None


# ------------------------------------------------------------------------------------------ index life cycle


def test_first_write_creates_a_versioned_index_behind_the_alias(backend, cluster):
    assert backend.index([_doc("atl-1")]) == 1
    assert cluster.aliases == {"t-datasets": {"t-datasets-v1-bootstrap"}}
    assert set(cluster.docs("t-datasets")["atl-1"]["es"]) == {"facet_keys", "title_starts"}
    assert all(r.params.get("require_alias") == ["true"] for r in cluster.requests if r.path == "/_bulk")
    assert backend.count() == 1 and backend.stored_documents() == {"atl-1": _doc("atl-1")}
    other = ElasticsearchBackend(client=fake_client(cluster), prefix="t")  # a second worker: same index
    other.index([_doc("atl-2")])
    assert list(cluster.indices) == ["t-datasets-v1-bootstrap"] and backend.count() == 2


def test_rebuild_loads_a_new_index_then_swaps_the_alias_and_deletes_the_old(backend, cluster):
    backend.index([_doc("atl-old")])
    seen: list[tuple[int, int]] = []
    assert backend.rebuild((_doc(f"atl-{i}") for i in range(5)), total=5, batch_size=2,
                           progress=lambda d, t: seen.append((d, t))) == 5
    (new,) = cluster.aliases["t-datasets"]
    assert new.startswith("t-datasets-v1-") and list(cluster.indices) == [new]
    assert sorted(cluster.docs("t-datasets")) == [f"atl-{i}" for i in range(5)]
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert "t-datasets-building" not in cluster.aliases
    assert cluster.indices[new].settings.get("refresh_interval") is None and cluster.indices[new].refreshed == 1
    swap = next(r.body for r in cluster.requests if r.path == "/_aliases")
    assert swap["actions"][0] == {"remove": {"index": "t-datasets-v1-bootstrap", "alias": "t-datasets"}}
    assert {"add": {"index": new, "alias": "t-datasets"}} in swap["actions"]


def test_a_write_during_a_rebuild_reaches_the_new_index_and_is_not_overwritten(backend, cluster):
    backend.index([_doc("atl-1", title="Old")])

    def documents():  # type: ignore[no-untyped-def]
        yield _doc("atl-0")
        backend.index([_doc("atl-1", title="Changed meanwhile")])  # the catalogue changed during the rebuild
        yield _doc("atl-1", title="Old")  # the rebuild read the dataset before the change
        backend.delete(["atl-0"])

    backend.rebuild(documents(), batch_size=1)
    docs = cluster.docs("t-datasets")
    assert docs["atl-1"]["title"] == "Changed meanwhile"
    assert "atl-0" not in docs


def test_a_failed_rebuild_leaves_the_old_index_serving(backend, cluster):
    backend.index([_doc("atl-1")])
    cluster.fail_bulk_after = 1  # the first bulk (the write above) passed; the rebuild's fails with a 503
    with pytest.raises(SearchBackendUnavailable):
        backend.rebuild([_doc("atl-2")])
    assert cluster.aliases == {"t-datasets": {"t-datasets-v1-bootstrap"}} and list(cluster.indices) == [
        "t-datasets-v1-bootstrap"]
    cluster.fail_bulk_after = None
    backend.rebuild([_doc("atl-2")])
    assert list(cluster.docs("t-datasets")) == ["atl-2"]


def test_rebuild_replaces_an_unversioned_index_named_like_the_alias_and_cleans_a_dead_rebuild(backend, cluster):
    cluster.indices["t-datasets"] = FakeIndex(settings={}, mappings={}, docs={"x": {}})
    cluster.indices["t-datasets-v1-dead"] = FakeIndex(settings={}, mappings={})
    cluster.aliases["t-datasets-building"] = {"t-datasets-v1-dead"}
    backend.rebuild([_doc("atl-1")])
    (new,) = cluster.aliases["t-datasets"]
    assert list(cluster.indices) == [new] and list(cluster.docs("t-datasets")) == ["atl-1"]


def test_delete_counts_removed_documents_and_clear_empties_the_index(backend, cluster):
    backend.index([_doc("atl-1"), _doc("atl-2")])
    assert backend.delete(["atl-1", "atl-missing"]) == 1
    backend.clear()
    assert backend.count() == 0 and list(cluster.aliases) == ["t-datasets"]


def test_search_and_autocomplete_go_through_the_alias(backend, cluster):
    _dsl(cluster)
    backend.index([
        _doc("atl-1", title="Lung CT cohort", titles=["Lung CT cohort"], sort={"title": "lung ct cohort", "modified": ""}),
        _doc("atl-2", title="Breast MRI", titles=["Breast MRI"], sort={"title": "breast mri", "modified": ""}),
    ])
    result = backend.search(SearchQuery(text="lung", facets=()))
    assert result.identifiers == ["atl-1"] and result.total == 1
    assert [s.value for s in backend.autocomplete("lu")] == ["atl-1"]
    assert all(r.path == "/t-datasets/_search" for r in cluster.requests if r.path.endswith("/_search"))
    deep = backend.search(SearchQuery(page=MAX_RESULT_WINDOW, page_size=20, facets=()))
    assert deep.identifiers == [] and deep.total == 2


def test_prefix_must_be_a_valid_index_name():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        ElasticsearchBackend(client=mock.Mock(), prefix="Atlas")
    with override_settings(ELASTICSEARCH_URL=None), pytest.raises(ImproperlyConfigured, match="ELASTICSEARCH_URL"):
        ElasticsearchBackend(prefix="atlas")


# ------------------------------------------------------------------------------------------------ outages


def _refused_url() -> str:
    """An address where nothing listens: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def es_down():  # type: ignore[no-untyped-def]
    with override_settings(ATLAS_SEARCH_BACKEND="search.backends.elasticsearch.ElasticsearchBackend",
                           ELASTICSEARCH_URL=_refused_url()):
        get_backend.cache_clear()
        yield get_backend()
    get_backend.cache_clear()


@pytest.mark.django_db
def test_an_elasticsearch_outage_never_fails_a_catalogue_write(vocab, source, es_down, caplog, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    from catalogue.models import Dataset
    from catalogue.services import dataset_upsert
    from search.tasks import index_dataset_task
    from tests.factories import make_descriptor

    # Run the queued index task here even when a broker is configured (CI's second leg), so its log is seen.
    monkeypatch.setattr(index_dataset_task, "delay", lambda *a, **kw: index_dataset_task.apply(args=a, kwargs=kw))

    assert isinstance(es_down, ElasticsearchBackend) and es_down.health()["ok"] is False
    with caplog.at_level(logging.WARNING, logger="search.tasks"), django_capture_on_commit_callbacks(execute=True) as cbs:
        outcome = dataset_upsert(descriptor=make_descriptor("while-es-down"), source=source)
    assert len(cbs) >= 1  # the index task was queued for after the commit, and ran
    assert Dataset.objects.filter(pk=outcome.dataset.pk).exists()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "search.tasks"]
    assert errors and outcome.dataset.identifier in errors[0].getMessage()
    assert "search_rebuild" in errors[0].getMessage()


@pytest.mark.django_db
def test_on_a_worker_the_index_task_retries_with_backoff_then_records_the_failure(vocab, source, es_down, caplog):
    from catalogue.services import dataset_upsert
    from search.tasks import index_dataset_task
    from tests.factories import make_descriptor

    dataset = dataset_upsert(descriptor=make_descriptor("retry-me"), source=source).dataset
    with mock.patch.object(index_dataset_task, "retry", side_effect=Retry("later")) as retry:
        index_dataset_task.push_request(retries=2, is_eager=False)
        try:
            with pytest.raises(Retry):
                index_dataset_task.run(dataset.pk)
        finally:
            index_dataset_task.pop_request()
    assert retry.call_args.kwargs["countdown"] == 120
    assert isinstance(retry.call_args.kwargs["exc"], SearchBackendUnavailable)
    index_dataset_task.push_request(retries=index_dataset_task.max_retries, is_eager=False)
    try:
        with caplog.at_level(logging.ERROR, logger="search.tasks"):
            index_dataset_task.run(dataset.pk)  # out of retries: recorded, not raised
    finally:
        index_dataset_task.pop_request()
    assert dataset.identifier in caplog.text


def test_a_request_error_is_not_mistaken_for_an_outage(backend, cluster):
    from elasticsearch import ApiError

    cluster.indices["t-datasets-v1-x"] = FakeIndex(settings={}, mappings={})
    cluster.aliases["t-datasets"] = {"t-datasets-v1-x"}
    with pytest.raises(ApiError):  # a 400 (our bug) propagates as itself
        with backend._guard("test"):
            backend.client.indices.create(index="t-datasets-v1-x")


# ------------------------------------------------------------------------ the contract through the DSL model


@pytest.fixture(scope="module")
def es_contract(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The contract corpus indexed into the fake cluster; searches answered by the DSL model."""
    from catalogue.models import Source
    from catalogue.selectors import dataset_list_public
    from search.documents import dataset_document
    from tests.search.contract.corpus import corpus_build

    cluster = FakeCluster()
    _dsl(cluster)
    backend = ElasticsearchBackend(client=fake_client(cluster), prefix="contract")
    with django_db_blocker.unblock(), transaction.atomic():
        source = Source.objects.create(slug="es-contract", name="Contract corpus", kind="manual", published=True)
        ids = corpus_build(source)
        backend.rebuild(dataset_document(d) for d in dataset_list_public())
        yield ids, backend
        transaction.set_rollback(True)


def _questions() -> list[Any]:
    try:
        from tests.search.contract.questions import QUESTIONS
    except ModuleNotFoundError:
        return []
    return [pytest.param(query, expected, id=name) for name, query, expected in QUESTIONS]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "expected"), _questions())
def test_contract_question_through_the_dsl_model(es_contract, query, expected):  # type: ignore[no-untyped-def]
    ids, backend = es_contract
    key_of = {identifier: key for key, identifier in ids.items()}
    result = backend.search(query)
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
        assert [(v.value, v.count, v.parent, v.depth) for v in result.facets["cancer_type"]] == [
            tuple(v) for v in expected["tree"]]
    assert set(result.facets) == set(query.facets)


@pytest.mark.django_db
def test_contract_labels_and_autocomplete_through_the_dsl_model(es_contract):  # type: ignore[no-untyped-def]
    ids, backend = es_contract
    result = backend.search(SearchQuery(facets=("modality", "cancer_type", "publisher", "sex")))
    labels = {(name, v.value): v.label for name, values in result.facets.items() for v in values}
    assert labels[("modality", "CT")] == "Computed Tomography"
    assert labels[("cancer_type", "nsclc")] == "Non-small cell lung cancer"
    assert labels[("publisher", "hospital-a")] == "Hospital A"
    suggestions = backend.autocomplete("glio", 10)
    kinds = [(s.kind, s.value) for s in suggestions]
    assert kinds[:2] == [("cancer_type", "glioma"), ("cancer_type", "glioblastoma")]
    assert ("dataset", ids["glioma-mr"]) in kinds and [s.count for s in suggestions[:2]] == [2, 1]
    assert backend.autocomplete("zzzz", 10) == []


@pytest.mark.django_db
def test_disjunctive_facets_keep_the_other_values_of_a_ticked_facet(es_contract):  # type: ignore[no-untyped-def]
    _, backend = es_contract
    query = SearchQuery(filters={"modality": ("MG",)}, facets=("modality",))
    narrowed = backend.search(query)
    assert [v.value for v in narrowed.facets["modality"]] == ["MG"]
    disjunctive = ElasticsearchBackend(client=backend.client, prefix="contract", facet_semantics="disjunctive")
    wide = disjunctive.search(query)
    assert wide.total == narrowed.total == 1
    assert [v.value for v in wide.facets["modality"]][:2] == ["CT", "MR"]


# ---------------------------------------------------------------------------------------- a real server


def test_health_reports_an_unreachable_server():
    from elasticsearch import Elasticsearch

    backend = ElasticsearchBackend(client=Elasticsearch(_refused_url(), request_timeout=1, max_retries=0), prefix="t")
    health = backend.health()
    assert health == {"ok": False, "backend": "elasticsearch", "error": "ConnectionError"}
    with pytest.raises(SearchBackendUnavailable):
        backend.search(SearchQuery())


@pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason="no Elasticsearch server (ELASTICSEARCH_URL unset)")
def test_round_trip_against_a_real_server():
    """The index body is accepted (analysis, synonyms, mappings), and a rebuild, a search and a delete work."""
    prefix = f"atlas-test-{os.getpid()}"
    backend = ElasticsearchBackend(prefix=prefix, refresh_on_write=True)
    try:
        backend.rebuild([
            _doc("atl-x", title="Thoracic CT of non-small cell lung cancer",
                 titles=["Thoracic CT of non-small cell lung cancer"], sort={"title": "thoracic ct", "modified": ""}),
            _doc("atl-y", title="Breast MRI", titles=["Breast MRI"], sort={"title": "breast mri", "modified": ""}),
        ])
        assert backend.count() == 2
        assert backend.search(SearchQuery(text="NSCLC", facets=())).identifiers == ["atl-x"]  # the synonym graph
        assert backend.search(SearchQuery(text="thoracik", facets=())).identifiers == ["atl-x"]  # one typo
        assert backend.delete(["atl-x"]) == 1 and backend.count() == 1
        backend.rebuild([])
        assert backend.count() == 0
    finally:
        for name in backend._alias_indices(backend.alias) + backend._alias_indices(backend.building_alias):
            backend.client.indices.delete(index=name, ignore_unavailable=True)
