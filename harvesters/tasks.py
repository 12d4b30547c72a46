"""Celery tasks of the harvesters (routed to the "harvest" queue; ids in, services inside)."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=60)
def harvest_job_run_task(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    """Run one queued job. A redelivered task finds the job claimed and does nothing."""
    from harvesters.services import harvest_job_run

    return harvest_job_run(job_id=job_id).status


@shared_task(bind=True, acks_late=True, max_retries=0)
def harvest_source_task(self, source_id: int) -> int | None:  # type: ignore[no-untyped-def]
    """Entry point of django-celery-beat schedules: queue a job of the source (skipped while one runs)."""
    from catalogue.errors import Conflict
    from harvesters.models import HarvestSource
    from harvesters.services import harvest_job_create, harvest_job_run

    source = HarvestSource.objects.get(pk=source_id)
    try:
        job = harvest_job_create(source=source)
    except Conflict:
        return None
    harvest_job_run(job_id=job.pk)
    return job.pk
