"""Celery tasks of the search app (ids in; an index outage never fails a catalogue write)."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def index_dataset_task(self, dataset_id: int) -> None:  # type: ignore[no-untyped-def]
    from catalogue.models import Dataset
    from search.services import index_dataset

    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is not None:
        index_dataset(dataset=dataset)
