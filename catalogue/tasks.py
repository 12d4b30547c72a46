"""Celery tasks of the catalogue: ids in, services inside, queued after commit by their callers."""

from celery import shared_task


@shared_task(acks_late=True)
def dataset_remerge_task(dataset_id: int) -> bool:
    """Recompute a dataset from its records (after a vocabulary or source-default change)."""
    from catalogue.selectors import dataset_by_pk
    from catalogue.services import dataset_remerge_by_id

    if dataset_by_pk(pk=dataset_id) is None:
        return False
    return dataset_remerge_by_id(dataset_id=dataset_id)
