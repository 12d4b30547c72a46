"""Keeping the index in step with the catalogue."""

from __future__ import annotations

from collections.abc import Callable

from catalogue.models import Dataset
from catalogue.selectors import dataset_list_public
from search.backends import get_backend
from search.documents import dataset_document


def index_dataset(*, dataset: Dataset) -> None:
    """Index a dataset if it is public, remove it from the index otherwise."""
    backend = get_backend()
    public = dataset_list_public().filter(pk=dataset.pk).first()
    if public is None:
        backend.delete([dataset.identifier])
    else:
        backend.index([dataset_document(public)])


def index_rebuild(*, progress: Callable[[int, int], None] | None = None, batch_size: int = 500) -> int:
    """Rebuild the whole index from the public catalogue; return the number of documents."""
    backend = get_backend()
    backend.clear()
    qs = dataset_list_public()
    total = qs.count()
    done = 0
    batch = []
    for dataset in qs.iterator(chunk_size=batch_size):
        batch.append(dataset_document(dataset))
        if len(batch) >= batch_size:
            done += backend.index(batch)
            batch = []
            if progress:
                progress(done, total)
    if batch:
        done += backend.index(batch)
    if progress:
        progress(done, total)
    return done
