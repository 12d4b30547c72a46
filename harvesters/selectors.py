"""Reads of the harvesters' tables. Commands, the admin and tasks read through these functions."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import slugify

from catalogue.errors import NotFound
from harvesters.models import HarvestSource, JobStatus


def harvest_source_find(*, name: str) -> HarvestSource | None:
    """The harvest source whose catalogue source has the slug of `name`, or None."""
    return HarvestSource.objects.select_related("source", "schedule__crontab").filter(source__slug=slugify(name)).first()


def harvest_source_get(*, name: str) -> HarvestSource:
    """The harvest source named `name` (its slug), or NotFound."""
    hs = harvest_source_find(name=name)
    if hs is None:
        raise NotFound(f"no harvest source {name!r}", code="source_not_found")
    return hs


def harvest_source_by_pk(*, pk: int) -> HarvestSource:
    """One harvest source as stored now, or NotFound."""
    hs = HarvestSource.objects.select_related("source", "schedule__crontab").filter(pk=pk).first()
    if hs is None:
        raise NotFound(f"no harvest source #{pk}", code="source_not_found")
    return hs


def harvest_source_list() -> QuerySet[HarvestSource]:
    """Every harvest source with its catalogue source, by slug."""
    return HarvestSource.objects.select_related("source").order_by("source__slug")


def harvest_source_has_completed_job(*, source: HarvestSource) -> bool:
    """Whether the source was harvested to the end at least once (the demo harvests each source once)."""
    return source.jobs.filter(status=JobStatus.COMPLETED).exists()


def harvest_source_cron(*, source: HarvestSource) -> str:
    """The source's schedule as a crontab line ("minute hour day month weekday", UTC), or "" when none."""
    task = source.schedule
    if task is None or task.crontab is None or not task.enabled:
        return ""
    c = task.crontab
    return f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
