"""Index on every catalogue change, inside the same transaction (embedded) or after commit (remote backends)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from catalogue.signals import dataset_changed
from search.backends import get_backend


@receiver(dataset_changed, dispatch_uid="search.index_on_change")
def on_dataset_changed(sender: Any, dataset: Any, **kwargs: Any) -> None:
    from search.services import index_dataset

    if getattr(get_backend(), "writes_in_transaction", False):
        index_dataset(dataset=dataset)
    else:
        from search.tasks import index_dataset_task

        dataset_id = dataset.pk
        transaction.on_commit(lambda: index_dataset_task.delay(dataset_id))
