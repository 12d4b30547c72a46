"""Elasticsearch 8 backend on elasticsearch.dsl: used when ELASTICSEARCH_URL is set.

Supported servers: Elasticsearch 8.x (client `elasticsearch==8.19.1`, pinned in requirements.txt). No server
runs on the development machines, so the backend is verified by golden JSON of the index body and of the
request of every contract question (tests/search/golden/), by unit tests with recorded-shape responses, and by
the contract suite whenever ELASTICSEARCH_URL is set.

Index life cycle: documents live in a versioned index `<prefix>-datasets-v<mapping version>-<UTC timestamp>`
behind the alias `<prefix>-datasets`; every read and write goes through the alias (writes with
`require_alias`, so a missing alias is an error, never an auto-created index). `rebuild` loads a new index
(refresh off, `create` operations) while the alias keeps serving the old one, then swaps the alias in one
atomic `_aliases` call and deletes the old index. Writes that arrive during a rebuild go to both indices
(through a second alias, `<prefix>-datasets-building`), and the rebuild's `create` never overwrites a document
such a write put there first, so a dataset changed mid-rebuild keeps its newer document.

Writes happen after the catalogue's commit (a Celery task, search.tasks), so an Elasticsearch outage never
fails a catalogue write: client errors become `SearchBackendUnavailable`, the task retries with backoff and
logs what it could not index; `manage.py search_rebuild` re-converges the index.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, helpers

from config.app_settings import app_settings
from search.backends.base import SearchBackend, SearchBackendUnavailable
from search.backends.elasticsearch.mapping import (
    MAPPING_VERSION,
    MAX_RESULT_WINDOW,
    SUPPORTED_SERVER_VERSIONS,
    es_source,
    index_body,
)
from search.backends.elasticsearch.queries import (
    FacetSemantics,
    build_autocomplete_body,
    build_search_body,
    page_window,
    parse_autocomplete_response,
    parse_search_response,
)
from search.query import SearchQuery, SearchResult, Suggestion

__all__ = [
    "SUPPORTED_SERVER_VERSIONS",
    "ElasticsearchBackend",
    "build_autocomplete_body",
    "build_search_body",
    "index_body",
    "parse_autocomplete_response",
    "parse_search_response",
]

logger = logging.getLogger(__name__)

OUTAGE_STATUSES = frozenset({429, 502, 503, 504})
"""HTTP statuses that mean "the cluster cannot answer now" (overloaded, unavailable), not "the request is wrong"."""
INDEX_PREFIX = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def _default_client() -> Elasticsearch:
    url = app_settings.ELASTICSEARCH_URL
    if not url:
        raise ImproperlyConfigured("the Elasticsearch search backend needs ELASTICSEARCH_URL")
    return Elasticsearch(url, request_timeout=10, retry_on_timeout=True, max_retries=2)


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"
    writes_in_transaction = False

    def __init__(
        self,
        client: Elasticsearch | None = None,
        *,
        prefix: str | None = None,
        refresh_on_write: bool = False,
        facet_semantics: FacetSemantics = "result",
    ) -> None:
        """`refresh_on_write` makes every write visible before it returns (tests; production leaves it off,
        since waiting for a refresh per indexed dataset would hold a worker for up to a second each)."""
        prefix = settings.ATLAS_SEARCH_INDEX_PREFIX if prefix is None else prefix
        if not INDEX_PREFIX.fullmatch(prefix):
            raise ImproperlyConfigured(f"ATLAS_SEARCH_INDEX_PREFIX={prefix!r}: use lowercase letters, digits, '-', '_', '.'")
        self.client = client if client is not None else _default_client()
        self.alias = f"{prefix}-datasets"
        self.building_alias = f"{self.alias}-building"
        self.refresh_on_write = refresh_on_write
        self.facet_semantics: FacetSemantics = facet_semantics
        self._ensured = False

    # --------------------------------------------------------------------------------------------- errors

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn the client's outage errors into SearchBackendUnavailable; let request errors (bugs) through."""
        try:
            yield
        except TransportError as exc:  # connection refused, timeout, TLS: the server was not reached
            raise SearchBackendUnavailable(f"Elasticsearch {action}: {exc.__class__.__name__}: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status in OUTAGE_STATUSES:
                raise SearchBackendUnavailable(f"Elasticsearch {action}: HTTP {exc.meta.status}") from exc
            raise

    # ---------------------------------------------------------------------------------------------- index

    def new_index_name(self) -> str:
        stamp = datetime.now(tz=UTC).strftime("%Y%m%d%H%M%S%f")
        return f"{self.alias}-v{MAPPING_VERSION}-{stamp}"

    def _create_index(self, name: str, *, aliases: dict[str, dict[str, Any]] | None = None, loading: bool = False) -> None:
        body = index_body()
        index_settings = dict(body["settings"])
        if loading:
            index_settings["refresh_interval"] = "-1"
        self.client.indices.create(index=name, settings=index_settings, mappings=body["mappings"], aliases=aliases)

    def _ensure_index(self) -> None:
        """Create the first index behind the alias if there is none (idempotent across workers)."""
        if self._ensured:
            return
        with self._guard("ensure index"):
            if not self.client.indices.exists(index=self.alias):
                first = f"{self.alias}-v{MAPPING_VERSION}-bootstrap"
                try:
                    self._create_index(first, aliases={self.alias: {}})
                except ApiError as exc:
                    if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                        raise
                    self.client.indices.put_alias(index=first, name=self.alias)
        self._ensured = True

    def _alias_indices(self, alias: str) -> list[str]:
        """The concrete indices behind an alias ([] when the alias does not exist)."""
        response = self.client.options(ignore_status=404).indices.get_alias(name=alias)
        if response.meta.status == 404:
            return []
        return sorted(response.body)

    def _bulk(self, actions: list[dict[str, Any]], *, ignore: tuple[int, ...] = ()) -> list[dict[str, Any]]:
        """Run bulk actions; return the per-item results (failures other than `ignore` raise)."""
        results: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"require_alias": True}
        if self.refresh_on_write:
            kwargs["refresh"] = "wait_for"
        for _ok, item in helpers.streaming_bulk(self.client, actions, ignore_status=ignore, max_retries=3,
                                                 raise_on_error=True, **kwargs):
            results.append(item)
        return results

    def _building(self) -> bool:
        return bool(self.client.indices.exists_alias(name=self.building_alias))

    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        sources = [es_source(doc) for doc in documents]
        if not sources:
            return 0
        self._ensure_index()
        with self._guard("index"):
            done = self._bulk([
                {"_op_type": "index", "_index": self.alias, "_id": src["identifier"], "_source": src} for src in sources
            ])
            if self._building():  # a rebuild is loading a new index: it must not miss this write
                self._bulk([
                    {"_op_type": "index", "_index": self.building_alias, "_id": src["identifier"], "_source": src}
                    for src in sources
                ], ignore=(404,))
        return len(done)

    def delete(self, identifiers: Iterable[str]) -> int:
        ids = list(dict.fromkeys(identifiers))
        if not ids:
            return 0
        self._ensure_index()
        with self._guard("delete"):
            items = self._bulk([{"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids], ignore=(404,))
            if self._building():
                self._bulk([{"_op_type": "delete", "_index": self.building_alias, "_id": i} for i in ids], ignore=(404,))
        return sum(1 for item in items if item.get("delete", {}).get("result") == "deleted")

    def clear(self) -> None:
        """Point the alias at a new, empty index (the old one is deleted): searches never fail meanwhile."""
        self.rebuild([])

    def rebuild(
        self,
        documents: Iterable[dict[str, Any]],
        *,
        total: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        batch_size: int = 500,
    ) -> int:
        """Load `documents` into a new index, then swap the alias to it atomically and delete the old index.

        Until the swap, searches see the old index; if anything fails before it, the new index is deleted and
        the error raised (the old index keeps serving). One rebuild at a time: a rebuild starts by deleting the
        index of a rebuild that died half-way.
        """
        with self._guard("rebuild"):
            for stale in self._alias_indices(self.building_alias):
                logger.warning("search rebuild: deleting %s, left by a rebuild that did not finish", stale)
                self.client.indices.delete(index=stale, ignore_unavailable=True)
            new = self.new_index_name()
            self._create_index(new, aliases={self.building_alias: {}}, loading=True)
        done = 0
        try:
            with self._guard("rebuild"):
                actions = (
                    {"_op_type": "create", "_index": new, "_id": src["identifier"], "_source": src}
                    for src in (es_source(doc) for doc in documents)
                )
                # 409: a live write (index/delete during the rebuild) already put a newer document there.
                for _ok, _item in helpers.streaming_bulk(self.client, actions, chunk_size=batch_size, ignore_status=(409,),
                                                          max_retries=3, raise_on_error=True):
                    done += 1
                    if progress and done % batch_size == 0:
                        progress(done, total if total is not None else done)
                self.client.indices.put_settings(index=new, settings={"index": {"refresh_interval": None}})
                self.client.indices.refresh(index=new)
                self._swap(new)
        except BaseException:
            self._discard(new)
            raise
        self._ensured = True
        if progress:
            progress(done, total if total is not None else done)
        return done

    def _swap(self, new: str) -> None:
        old = self._alias_indices(self.alias)
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        if not old and self.client.indices.exists(index=self.alias):
            # A concrete index named like the alias (written before indices were versioned): replace it.
            actions.append({"remove_index": {"index": self.alias}})
        actions.append({"add": {"index": new, "alias": self.alias}})
        actions.append({"remove": {"index": new, "alias": self.building_alias}})
        self.client.indices.update_aliases(actions=actions)
        for name in old:
            if name != new:
                self.client.indices.delete(index=name, ignore_unavailable=True)

    def _discard(self, name: str) -> None:
        try:
            self.client.indices.delete(index=name, ignore_unavailable=True)
        except (TransportError, ApiError) as exc:  # the original error matters more; say what is left behind
            logger.error("search rebuild failed and its index %s could not be deleted (%s); the next rebuild "
                         "deletes it", name, exc.__class__.__name__)

    def refresh(self) -> None:
        with self._guard("refresh"):
            self.client.indices.refresh(index=self.alias)

    def stored_documents(self) -> dict[str, dict[str, Any]]:
        with self._guard("scan"):
            if not self.client.indices.exists(index=self.alias):
                return {}
            return {
                str(hit["_id"]): hit["_source"]
                for hit in helpers.scan(self.client, index=self.alias, query={"query": {"match_all": {}}},
                                        source_excludes=["es"])
            }

    # ---------------------------------------------------------------------------------------------- reads

    def search(self, query: SearchQuery) -> SearchResult:
        start, size = page_window(query)
        deep = start + size > MAX_RESULT_WINDOW
        body = build_search_body(replace(query, page=1) if deep else query, facets=self.facet_semantics)
        if deep:  # the embedded backend answers an empty page there; so do we, with the total and facets
            body["from"], body["size"] = 0, 0
        with self._guard("search"):
            response = self.client.search(index=self.alias, body=body)
        result = parse_search_response(response.body, query)
        if deep and result.total > start:
            logger.warning("search page %s (size %s) is beyond Elasticsearch's result window of %s; answered empty",
                           query.page, query.page_size, MAX_RESULT_WINDOW)
        return result

    def autocomplete(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        body = build_autocomplete_body(prefix, limit)
        if body is None:
            return []
        with self._guard("autocomplete"):
            response = self.client.search(index=self.alias, body=body)
        return parse_autocomplete_response(response.body, prefix, limit)

    def count(self) -> int:
        with self._guard("count"):
            response = self.client.options(ignore_status=404).count(index=self.alias)
        return 0 if response.meta.status == 404 else int(response.body["count"])

    def health(self) -> dict[str, Any]:
        try:
            health = self.client.cluster.health(timeout="2s")
            return {"ok": health["status"] in {"green", "yellow"}, "backend": self.name, "status": health["status"],
                    "index": self.alias}
        except (TransportError, ApiError) as exc:
            return {"ok": False, "backend": self.name, "error": exc.__class__.__name__}

