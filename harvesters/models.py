"""Harvest sources, jobs, staged items, records and stage errors (ckanext-harvest's model, done right)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from catalogue.models import Dataset, Source


class HarvestSource(models.Model):
    """How to harvest a catalogue source: its location and options. Name, kind, owner, defaults and the
    published flag live on the catalogue's `Source`, which provenance records point to."""

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="harvest")
    location = models.CharField(max_length=1000)
    options = models.JSONField(default=dict, blank=True)
    state = models.JSONField(default=dict, blank=True, help_text="Kept between runs (e.g. a file manifest).")
    schedule = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.source.slug


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class HarvestJob(models.Model):
    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    force = models.BooleanField(default=False, help_text="Allow withdrawing more than the safety limit.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    gathered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    runner = models.CharField(max_length=200, blank=True, help_text="host:pid of the process running the job")
    report = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two runs of one source at once are refused by the database itself.
            models.UniqueConstraint(
                fields=["source"], condition=Q(status__in=["queued", "running"]), name="one_active_job_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk} {self.status}"


class StagingRow(models.Model):
    """What a job gathered (one `harvesters.base.StagedItem`), kept until it is applied in one transaction, then deleted."""

    job = models.ForeignKey(HarvestJob, on_delete=models.CASCADE, related_name="staged")
    guid = models.CharField(max_length=500)
    content_hash = models.CharField(max_length=64, blank=True)
    descriptor = models.JSONField(null=True)
    warnings = models.JSONField(default=list, blank=True)
    has_errors = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "guid"], name="staged_job_guid_unique")]


class RecordOutcome(models.TextChoices):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"
    ERRORED = "errored"


class HarvestRecord(models.Model):
    """One harvested item of a source across runs: its stable guid, content hash and dataset."""

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="records")
    guid = models.CharField(max_length=500)
    content_hash = models.CharField(max_length=64, blank=True)
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=16, choices=RecordOutcome.choices)
    last_job = models.ForeignKey(HarvestJob, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "guid"], name="record_source_guid_unique")]


class StageError(models.Model):
    """An item's error at one stage. Never a personal value: codes, tag keywords, hashes of paths."""

    job = models.ForeignKey(HarvestJob, on_delete=models.CASCADE, related_name="errors")
    stage = models.CharField(max_length=16)
    guid = models.CharField(max_length=500, blank=True)
    code = models.CharField(max_length=64)
    message = models.TextField()

    class Meta:
        ordering = ["id"]
