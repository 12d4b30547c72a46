"""Production configuration: a real Celery worker on the Redis broker, against the real database.

.ci/run starts the worker (threads pool) on the test database and sets ATLAS_REQUIRE_WORKER=1; `make test`
has no broker, runs tasks in-process, and skips these tests.
"""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from catalogue.models import Dataset, Source
from catalogue.services import dataset_upsert, datasets_remerge_queue
from tests.factories import make_descriptor

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REQUIRED = os.environ.get("ATLAS_REQUIRE_WORKER") == "1"


@pytest.fixture(autouse=True)
def _needs_broker():  # type: ignore[no-untyped-def]
    if not settings.CELERY_BROKER_URL:
        if REQUIRED:
            pytest.fail("ATLAS_REQUIRE_WORKER=1 but CELERY_BROKER_URL is not set")
        pytest.skip("no broker configured: make test runs tasks in-process (.ci/run runs these)")


def _wait_for(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_a_task_queued_after_commit_runs_on_the_worker(vocab, source):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    dataset = dataset_upsert(descriptor=make_descriptor("w1", hdab=None), source=source).dataset
    assert dataset.hdab_id is None
    # Change the defaults without re-merging here: only the worker's task can apply them.
    Source.objects.filter(pk=source.pk).update(defaults={"hdab": {"name": "Worker HDAB", "email": "h@x.example"}})
    with transaction.atomic():
        datasets_remerge_queue(dataset_ids=[dataset.pk])
    assert _wait_for(lambda: Dataset.objects.get(pk=dataset.pk).hdab_id is not None), "the worker did not run the task"
    assert Dataset.objects.get(pk=dataset.pk).hdab.name == "Worker HDAB"


def test_healthz_sees_the_real_broker(client, db):
    body = client.get("/healthz").json()
    assert body["checks"]["broker"] == {"ok": True, "mode": "broker", "transport": "redis"}
    assert body["checks"]["database"]["vendor"] == connection.vendor


def test_the_production_leg_runs_on_postgresql():
    if REQUIRED:
        assert connection.vendor == "postgresql"
    else:
        pytest.skip("only meaningful in .ci/run's production leg")


def test_a_harvest_runs_on_the_real_worker_through_the_broker(vocab, tmp_path, settings):
    import csv

    from harvesters.models import HarvestJob, JobStatus
    from harvesters.services import harvest_job_enqueue, harvest_source_add

    # The worker process reads this folder too: it is started with ATLAS_HARVEST_FILE_ROOTS covering /tmp.
    folder = tmp_path
    sheet = folder / "sheet.csv"
    with open(sheet, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "modalities", "n_subjects"])
        writer.writerows([[f"w-{i}", f"Worker cohort {i}", "CT", "40"] for i in range(5)])
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(folder.resolve())]
    source = harvest_source_add(name="worker sheet", kind="descriptor_sheet", location=str(sheet), published=True)
    with transaction.atomic():
        job = harvest_job_enqueue(source=source)
    assert _wait_for(lambda: HarvestJob.objects.get(pk=job.pk).status in {JobStatus.COMPLETED, JobStatus.FAILED})
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.runner and not job.runner.endswith(f":{os.getpid()}")  # another process ran it
    assert job.report["datasets"]["created"] == 5
    assert Dataset.objects.filter(provenance_records__source__slug="worker-sheet").count() == 5
