"""Keeping the index in step with the catalogue, and answering searches (the API and the portal call these)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalogue.models import Dataset
from catalogue.selectors import dataset_list_public
from search.backends import get_backend
from search.documents import ConceptTree, dataset_document
from search.query import SearchQuery, SearchResult, Suggestion
from search.selectors import dataset_search_rows


def index_dataset(*, dataset: Dataset) -> None:
    """Index a dataset if it is public, remove it from the index otherwise."""
    backend = get_backend()
    public = dataset_list_public().filter(pk=dataset.pk).first()
    if public is None:
        backend.delete([dataset.identifier])
    else:
        backend.index([dataset_document(public)])


def index_rebuild(*, progress: Callable[[int, int], None] | None = None, batch_size: int = 500) -> int:
    """Rebuild the whole index from the public catalogue; return the number of documents.

    Runs in one transaction: on the embedded backend searches see the old index or the new one, never a
    half-built one (Elasticsearch builds a new index and swaps its alias, `SearchBackend.rebuild`).
    """
    from django.db import transaction

    backend = get_backend()
    with transaction.atomic():
        qs = dataset_list_public()
        total = qs.count()
        tree = ConceptTree()
        if progress:
            progress(0, total)
        documents = (dataset_document(d, tree=tree) for d in qs.iterator(chunk_size=batch_size))
        return backend.rebuild(documents, total=total, progress=progress, batch_size=batch_size)


@dataclass(frozen=True)
class IndexDifference:
    identifier: str
    problem: str  # "missing" (public, not indexed), "stale" (indexed document differs), "extra" (not public)
    fields: tuple[str, ...] = ()


def index_check(*, stored: dict[str, dict[str, Any]] | None = None) -> list[IndexDifference]:
    """Compare the indexed documents with the documents the catalogue gives now.

    `stored` (identifier -> document) defaults to the configured backend's `stored_documents()`.
    """
    if stored is None:
        stored = get_backend().stored_documents()
    tree = ConceptTree()
    out: list[IndexDifference] = []
    seen: set[str] = set()
    for dataset in dataset_list_public().iterator(chunk_size=500):
        seen.add(dataset.identifier)
        expected = json.loads(json.dumps(dataset_document(dataset, tree=tree)))
        got = stored.get(dataset.identifier)
        if got is None:
            out.append(IndexDifference(dataset.identifier, "missing"))
        elif got != expected:
            fields = tuple(sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)))
            out.append(IndexDifference(dataset.identifier, "stale", fields))
    out.extend(IndexDifference(identifier, "extra") for identifier in sorted(stored.keys() - seen))
    return sorted(out, key=lambda d: (d.identifier, d.problem))


@dataclass(frozen=True)
class SearchPage:
    """A search answer ready to render: the backend's result and the page's rows in result order."""

    query: SearchQuery
    result: SearchResult
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.result.total // self.query.page_size))

    @property
    def has_next(self) -> bool:
        return self.query.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1


def dataset_search(*, query: SearchQuery) -> SearchPage:
    """Search the public datasets; the rows of the page come from the catalogue (published values only)."""
    result = get_backend().search(query)
    return SearchPage(query=query, result=result, rows=dataset_search_rows(identifiers=result.identifiers))


def dataset_autocomplete(*, prefix: str, limit: int = 10) -> list[Suggestion]:
    """Concepts and titles that complete `prefix`."""
    return get_backend().autocomplete(prefix, limit)
