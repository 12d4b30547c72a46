"""Elasticsearch 8 backend on elasticsearch.dsl: used when ELASTICSEARCH_URL is set.

Writes happen after the catalogue's commit (a Celery task), so an Elasticsearch outage never fails a write;
`manage.py search_rebuild` re-converges the index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from elasticsearch import Elasticsearch, helpers
from elasticsearch import exceptions as es_exceptions
from elasticsearch.dsl import Document, Keyword, Long, Text

from search.backends.base import SearchBackend


class DatasetDoc(Document):
    """Mapping of a dataset document (search.documents.dataset_document)."""

    identifier = Keyword()
    title = Text(fields={"raw": Keyword(ignore_above=500)})
    text = Text(analyzer="standard")
    cancer_types = Keyword()
    modalities = Keyword()
    body_parts = Keyword()
    manufacturers = Keyword()
    access_rights = Keyword()
    publisher = Keyword()
    n_subjects = Keyword()  # an integer or "<k": published values only
    n_studies = Long()
    n_series = Long()
    n_bytes = Long()

    class Index:
        name = "atlas-datasets"
        settings = {"number_of_shards": 1, "number_of_replicas": 0}


def index_name() -> str:
    return f"{settings.ATLAS_SEARCH_INDEX_PREFIX}-datasets"


def index_body() -> dict[str, Any]:
    """The index settings and mappings this backend creates (unit-tested without a server)."""
    return DatasetDoc._index.clone(name=index_name()).to_dict()


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"
    writes_in_transaction = False

    def __init__(self, client: Elasticsearch | None = None) -> None:
        self.client = client or Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=10, retry_on_timeout=True)

    def _ensure_index(self) -> None:
        if not self.client.indices.exists(index=index_name()):
            body = index_body()
            self.client.indices.create(index=index_name(), settings=body.get("settings"), mappings=body.get("mappings"))

    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        self._ensure_index()
        actions = [
            {"_op_type": "index", "_index": index_name(), "_id": doc["identifier"], "_source": doc}
            for doc in documents
        ]
        ok, _ = helpers.bulk(self.client, actions, refresh="wait_for")
        return int(ok)

    def delete(self, identifiers: Iterable[str]) -> int:
        actions = [{"_op_type": "delete", "_index": index_name(), "_id": i} for i in identifiers]
        ok, _ = helpers.bulk(self.client, actions, raise_on_error=False, refresh="wait_for")
        return int(ok)

    def clear(self) -> None:
        self.client.indices.delete(index=index_name(), ignore_unavailable=True)
        self._ensure_index()

    def count(self) -> int:
        return int(self.client.count(index=index_name())["count"])

    def health(self) -> dict[str, Any]:
        try:
            health = self.client.cluster.health(timeout="2s")
            return {"ok": health["status"] in {"green", "yellow"}, "backend": self.name, "status": health["status"]}
        except (es_exceptions.ConnectionError, es_exceptions.TransportError, es_exceptions.ApiError) as exc:
            return {"ok": False, "backend": self.name, "error": exc.__class__.__name__}
