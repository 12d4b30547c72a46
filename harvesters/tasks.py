"""Celery tasks of the harvesters (routed to the "harvest" queue; ids in, services inside)."""

from celery import shared_task


@shared_task(acks_late=True)
def harvest_job_run_task(job_id: int) -> str:
    """Run one queued job. A redelivered task finds the job claimed and does nothing."""
    from harvesters.services import harvest_job_run

    return harvest_job_run(job_id=job_id).status


@shared_task(acks_late=True)
def harvest_source_task(source_id: int) -> int | None:
    """Entry point of django-celery-beat schedules: queue a job of the source (skipped while one runs)."""
    from catalogue.errors import Conflict
    from harvesters.selectors import harvest_source_by_pk
    from harvesters.services import harvest_job_create, harvest_job_run

    source = harvest_source_by_pk(pk=source_id)
    try:
        job = harvest_job_create(source=source)
    except Conflict:
        return None
    harvest_job_run(job_id=job.pk)
    return job.pk
