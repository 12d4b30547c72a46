"""Celery tasks of the search app (ids in; an index outage never fails a catalogue write).

The task runs after the catalogue's commit (search.receivers). When the search service is down it retries
with exponential backoff (30 s, 60 s, ... up to 10 minutes, `max_retries` times) on a worker; run in-process
(no broker: Celery's eager mode) it does not retry, since that would hold the request that wrote the catalogue.
Either way, a dataset it could not index is logged at ERROR with its identifier, and `manage.py search_rebuild`
(or the next change of that dataset) repairs the index. Errors that are not outages (a bug, a document the
index refuses) propagate as usual.
"""

from __future__ import annotations

import logging

from celery import shared_task

from search.backends.base import SearchBackendUnavailable

logger = logging.getLogger(__name__)

RETRY_BASE_DELAY = 30
RETRY_MAX_DELAY = 600


def retry_delay(retries: int) -> int:
    """Seconds before retry number `retries + 1`: 30, 60, 120, ... capped at 10 minutes."""
    return int(min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * 2**retries))


@shared_task(bind=True, acks_late=True, max_retries=5)
def index_dataset_task(self, dataset_id: int) -> None:  # type: ignore[no-untyped-def]
    from catalogue.selectors import dataset_by_pk
    from search.services import index_dataset

    dataset = dataset_by_pk(pk=dataset_id)
    if dataset is None:
        return
    try:
        index_dataset(dataset=dataset)
    except SearchBackendUnavailable as exc:
        retries = self.request.retries or 0
        if not self.request.is_eager and retries < self.max_retries:
            logger.warning("search index unavailable for dataset %s (%s); retry %s of %s", dataset.identifier, exc,
                           retries + 1, self.max_retries)
            raise self.retry(exc=exc, countdown=retry_delay(retries)) from exc
        logger.error("search index not updated for dataset %s: %s; `manage.py search_rebuild` repairs it",
                     dataset.identifier, exc)
