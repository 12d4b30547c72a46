"""Harvest jobs: gather into a staging table, then apply in one transaction per source.

A job that fails or is killed at any point leaves the published catalogue as it was: nothing reaches the
catalogue before the apply transaction, and that transaction commits whole or not at all. The next run
converges (unchanged records are skipped by hash). Vanished datasets are withdrawn only after a complete
gather, and a run that would withdraw more than max(10, 20 %) of a source stops unless forced.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import smtplib
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalogue.descriptors import DatasetDescriptor
from catalogue.errors import Conflict, ValidationError
from catalogue.registry import Registry
from catalogue.services import UpsertOutcome, dataset_upsert, dataset_withdraw, source_create
from config.app_settings import app_settings
from harvesters.base import HarvestContext, HarvestCounters, Harvester, HarvestError, StageErrorInfo, path_hash
from harvesters.models import (
    ACTIVE_STATUSES,
    HarvestJob,
    HarvestRecord,
    HarvestSource,
    JobStatus,
    RecordOutcome,
    StageError,
    StagingRow,
)
from harvesters.selectors import harvest_source_get  # noqa: F401  (a read; kept importable here for older callers)

logger = logging.getLogger(__name__)

HARVESTER_KINDS: Registry[Harvester] = Registry("ATLAS_HARVESTER_KINDS", base=Harvester, what="harvester kind")
"""Kind name -> harvester class: the registry in settings (config/settings.py), the one list of kinds."""
STALE_AFTER = timedelta(minutes=15)
STAGE_BATCH = 500
HEARTBEAT_EVERY = 5.0  # seconds between two heartbeat writes of a running job


def harvester_class(kind: str) -> type[Harvester]:
    """The class of a registered kind; an unregistered kind is the caller's error (a bad path, the deployment's)."""
    if kind not in HARVESTER_KINDS:
        raise ValidationError(
            f"unknown harvester kind {kind!r}; registered: {', '.join(sorted(HARVESTER_KINDS))}", code="unknown_kind"
        )
    return HARVESTER_KINDS[kind]


# ---------------------------------------------------------------------------------------------- sources


def _check_options(kind: str, options: dict[str, Any]) -> None:
    cls = harvester_class(kind)
    if not isinstance(options, dict):
        raise ValidationError("a source's options are an object of option names and values", code="unknown_option")
    unknown = set(options) - set(cls.OPTIONS)
    if unknown:
        raise ValidationError(
            f"unknown option(s) for {kind}: {', '.join(sorted(unknown))}; known: {', '.join(sorted(cls.OPTIONS))}",
            code="unknown_option",
        )


@transaction.atomic
def harvest_source_add(
    *, name: str, kind: str, location: str, options: dict[str, Any] | None = None, published: bool = False,
    priority: int = 100, contact_email: str = "", defaults: dict[str, Any] | None = None,
) -> HarvestSource:
    """Register a source (unpublished unless said otherwise). Options are checked against the harvester kind.

    The catalogue's `Source` row is made by `catalogue.services.source_create` (defaults and publishing included).
    """
    options = options or {}
    _check_options(kind, options)
    slug = slugify(name)[:80]
    if not slug:
        raise ValidationError("a source needs a name with letters or digits", code="invalid_name")
    if not location.strip():
        raise ValidationError("a source needs a location (folder, URL or file)", code="invalid_location")
    source = source_create(
        slug=slug, name=name, kind=kind, published=published, priority=priority, contact_email=contact_email,
        defaults=defaults,
    )
    return HarvestSource.objects.create(source=source, location=location, options=options)


def harvest_source_check(*, kind: str, location: str, options: dict[str, Any], cron: str = "") -> None:
    """Refuse what `harvest_source_update` and `harvest_source_schedule` would refuse (forms show it first)."""
    _check_options(kind, options)
    if not location.strip():
        raise ValidationError("a source needs a location (folder, URL or file)", code="invalid_location")
    if cron.strip():
        _crontab_fields(cron)


@transaction.atomic
def harvest_source_update(*, source: HarvestSource, location: str, options: dict[str, Any]) -> HarvestSource:
    """Change where and how a source is read (admins only, at the edge); options are checked as when added."""
    harvest_source_check(kind=source.source.kind, location=location, options=options)
    HarvestSource.objects.filter(pk=source.pk).update(location=location, options=options)
    source.location, source.options = location, options
    return source


HARVEST_TASK = "harvesters.tasks.harvest_source_task"


def _crontab_fields(cron: str) -> dict[str, str]:
    """Parse "minute hour day month weekday" the way Celery beat will read it, refusing what it would refuse."""
    from celery.schedules import crontab

    parts = cron.split()
    if len(parts) != 5:
        raise ValidationError(
            f"a schedule needs five fields (minute hour day month weekday), got {len(parts)}", code="invalid_cron",
            field="cron",
        )
    minute, hour, day, month, weekday = parts
    try:
        crontab(minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week=weekday)
    except (ValueError, IndexError) as exc:
        raise ValidationError(f"{cron!r} is not a valid crontab: {exc}", code="invalid_cron", field="cron") from exc
    return {"minute": minute, "hour": hour, "day_of_month": day, "month_of_year": month, "day_of_week": weekday}


@transaction.atomic
def harvest_source_schedule(*, source: HarvestSource, cron: str | None) -> HarvestSource:
    """Harvest the source on a crontab schedule (UTC) with django-celery-beat; an empty `cron` removes it.

    One periodic task per source, named after it, running `harvest_source_task` with the source's id (a run
    that finds a job of the source still going is skipped there).
    """
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if not (cron or "").strip():
        if source.schedule_id is not None:
            PeriodicTask.objects.filter(pk=source.schedule_id).delete()
            HarvestSource.objects.filter(pk=source.pk).update(schedule=None)
            source.schedule = None
        return source
    fields = _crontab_fields(cron or "")
    crontab, _ = CrontabSchedule.objects.get_or_create(**fields, timezone="UTC")
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"harvest {source.source.slug}",
        defaults={"task": HARVEST_TASK, "crontab": crontab, "interval": None, "args": json.dumps([source.pk]),
                  "enabled": True},
    )
    HarvestSource.objects.filter(pk=source.pk).update(schedule=task)
    source.schedule = task
    return source


# ---------------------------------------------------------------------------------------------- jobs


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _runner_alive(runner: str) -> bool:
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another host: trust the heartbeat instead
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _expire_stale_jobs(source: HarvestSource) -> None:
    """A job whose process died (killed, crashed) is marked failed so the source can run again."""
    now = timezone.now()
    for job in HarvestJob.objects.filter(source=source, status__in=ACTIVE_STATUSES):
        stale = job.heartbeat_at is not None and now - job.heartbeat_at > STALE_AFTER
        dead = job.status == JobStatus.RUNNING and job.runner and not _runner_alive(job.runner)
        if stale or dead:
            HarvestJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, finished_at=now, error_code="abandoned",
                error_message="the process running this job stopped before it finished; nothing was applied",
            )
            StagingRow.objects.filter(job=job).delete()


def harvest_job_create(*, source: HarvestSource, force: bool = False) -> HarvestJob:
    """Queue a job; refused while another job of the source is queued or running."""
    _expire_stale_jobs(source)
    try:
        with transaction.atomic():
            return HarvestJob.objects.create(source=source, force=force, heartbeat_at=timezone.now())
    except IntegrityError as exc:
        raise Conflict(
            f"source {source.source.slug!r} is being harvested already; wait for that job to finish",
            code="job_running",
        ) from exc


def harvest_job_enqueue(*, source: HarvestSource, force: bool = False) -> HarvestJob:
    """Create a job and run it on a Celery worker after the current transaction commits."""
    from harvesters.tasks import harvest_job_run_task

    job = harvest_job_create(source=source, force=force)
    transaction.on_commit(lambda: harvest_job_run_task.delay(job.pk))
    return job


@dataclass
class Progress:
    """Progress of one phase of a running job ("gather" or "apply"): items done and, when known, the total.

    Every report also keeps the job's heartbeat fresh (at most every 5 s), so a long gather or apply is never
    taken for an abandoned job.
    """

    callback: Any = None
    phase: str = "gather"
    job_id: int | None = None
    last_beat: float = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        self.beat()
        if self.callback is not None:
            self.callback(self.phase, done, total)

    def beat(self) -> None:
        """Refresh the job's heartbeat, at most every HEARTBEAT_EVERY seconds."""
        if self.job_id is not None and time.monotonic() - self.last_beat > HEARTBEAT_EVERY:
            _heartbeat(self.job_id)
            self.last_beat = time.monotonic()


def _heartbeat(job_id: int, **fields: Any) -> None:
    """Tell other processes the job is alive (`_expire_stale_jobs` fails a job whose heartbeat is STALE_AFTER old)."""
    HarvestJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now(), **fields)


def _report_dir(job: HarvestJob) -> Path:
    path = app_settings.ATLAS_HARVEST_REPORT_DIR / job.source.source.slug
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_refused_paths(job: HarvestJob, context: HarvestContext) -> str:
    """The list of refused paths is for the data holder, on the node that ran the harvest: never in the database."""
    if not context.refused_paths:
        return ""
    path = _report_dir(job) / f"job-{job.pk}-refused.csv"
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "reason"])
        writer.writerows(sorted(context.refused_paths))
    os.chmod(path, 0o600)
    return str(path)


def _record_refused_files(job: HarvestJob, context: HarvestContext) -> None:
    """The database keeps, per refused or errored file, its reason and a keyed hash of its path: never the path."""
    StageError.objects.bulk_create(
        [
            StageError(job=job, stage="gate", guid=f"file:{path_hash(path)}", code=reason[:64],
                       message="file refused; its path is in the node-local report file")
            for path, reason in context.refused_paths
        ],
        batch_size=1000,
    )


def _gather(job: HarvestJob, context: HarvestContext, harvester: Harvester, progress: Progress) -> set[str]:
    """Stage every gathered item; return the guids seen. Raises HarvestError when the source fails.

    Harvesters report their own progress through `context.progress` (they know their units and totals).
    """
    seen: set[str] = set()
    batch: list[StagingRow] = []
    errors: list[StageError] = []
    n = 0
    for item in harvester.gather():
        if len(item.guid) > 500:
            errors.append(StageError(job=job, stage="gather", guid=f"long:{path_hash(item.guid)}", code="guid_too_long",
                                     message=f"an item's identifier has {len(item.guid)} characters (at most 500)"))
            context.mark_incomplete("an item had an identifier too long to keep")
            continue
        if item.guid in seen:
            errors.append(StageError(job=job, stage="gather", guid=item.guid[:500], code="duplicate_guid",
                                     message="the source lists this item twice; the first one is kept"))
            continue
        seen.add(item.guid)
        descriptor = item.descriptor
        batch.append(
            StagingRow(
                job=job,
                guid=item.guid[:500],
                content_hash=descriptor.content_hash() if descriptor else "",
                descriptor=descriptor.to_dict() if descriptor else None,
                warnings=[f"{w.field}: {w.code}: {w.message}" for w in descriptor.warnings] if descriptor else [],
                has_errors=bool(item.errors) or descriptor is None,
            )
        )
        errors.extend(_stage_errors(job, item.errors))
        n += 1
        if len(batch) >= STAGE_BATCH:
            StagingRow.objects.bulk_create(batch)
            batch = []
        progress.beat()  # a harvester that reports no progress of its own still keeps the job alive
    StagingRow.objects.bulk_create(batch)
    StageError.objects.bulk_create(errors)
    return seen


def _stage_errors(job: HarvestJob, infos: tuple[StageErrorInfo, ...]) -> list[StageError]:
    return [StageError(job=job, stage=e.stage, guid=e.guid[:500], code=e.code, message=e.message[:2000]) for e in infos]


def _withdraw_limit(current: int) -> int:
    return max(10, int(current * 0.2))


def _apply(job: HarvestJob, seen: set[str], context: HarvestContext, progress: Progress) -> dict[str, int]:
    """Apply the staged items in ONE transaction: the catalogue changes whole or not at all."""
    hs = job.source
    source = hs.source
    outcomes = {o.value: 0 for o in RecordOutcome}
    with transaction.atomic():
        current = HarvestJob.objects.select_for_update().get(pk=job.pk)
        if current.status != JobStatus.RUNNING or current.runner != job.runner:
            raise HarvestError("this job was declared abandoned while it gathered; nothing applied", code="abandoned")
        records = {r.guid: r for r in HarvestRecord.objects.filter(source=hs)}
        active = {g for g, r in records.items() if r.outcome != RecordOutcome.WITHDRAWN}
        missing = sorted(active - seen)
        if context.incomplete_reasons:
            missing = []  # the gather could not identify every item: nothing is withdrawn this run
        if missing and len(missing) > _withdraw_limit(len(active)) and not job.force:
            raise HarvestError(
                f"this run would withdraw {len(missing)} of {len(active)} datasets of {source.slug!r} "
                f"(more than max(10, 20%)); check the source, or run again with --force",
                code="withdraw_limit",
            )
        total = StagingRow.objects.filter(job=job).count()
        for i, staged in enumerate(StagingRow.objects.filter(job=job).order_by("id").iterator(chunk_size=200)):
            progress(i + 1, total)
            record = records.get(staged.guid)
            if staged.descriptor is None:
                outcomes[RecordOutcome.ERRORED] += 1
                continue
            if record and record.content_hash == staged.content_hash and record.outcome != RecordOutcome.WITHDRAWN:
                outcomes[RecordOutcome.UNCHANGED] += 1
                if record.last_job_id != job.pk:
                    HarvestRecord.objects.filter(pk=record.pk).update(last_job=job, outcome=RecordOutcome.UNCHANGED)
                continue
            result = dataset_upsert(descriptor=DatasetDescriptor.from_dict(staged.descriptor), source=source)
            outcome = (
                RecordOutcome.UNCHANGED if result.outcome is UpsertOutcome.UNCHANGED
                else RecordOutcome.CREATED if result.outcome is UpsertOutcome.CREATED else RecordOutcome.UPDATED
            )
            outcomes[outcome] += 1
            HarvestRecord.objects.update_or_create(
                source=hs, guid=staged.guid,
                defaults={"content_hash": staged.content_hash, "dataset": result.dataset, "outcome": outcome,
                          "last_job": job},
            )
        for guid in missing:
            dataset_withdraw(source=source, guid=guid)
            HarvestRecord.objects.filter(source=hs, guid=guid).update(outcome=RecordOutcome.WITHDRAWN, last_job=job)
            outcomes[RecordOutcome.WITHDRAWN] += 1
        HarvestSource.objects.filter(pk=hs.pk).update(state=context.state)
        StagingRow.objects.filter(job=job).delete()
    return outcomes


def _report(counters: HarvestCounters, outcomes: dict[str, int], refused_file: str, seconds: float) -> dict[str, Any]:
    c = counters.as_dict()
    refused_total = sum(counters.refused.values())
    integrated_ratio = counters.integrated / counters.identified if counters.identified else None
    processed_ok = counters.entered - counters.errored
    processed_ratio = processed_ok / counters.entered if counters.entered else None
    return {
        **c,
        "refused_total": refused_total,
        "datasets": outcomes,
        "integrated_over_identified": integrated_ratio,
        "processed_without_error_over_entered": processed_ratio,
        "definitions": {
            "identified": f"{counters.unit} found in the source",
            "integrated": f"{counters.unit} whose content entered a dataset descriptor (passed every gate)",
            "entered": f"{counters.unit} that entered processing this run (identified minus unchanged ones skipped)",
            "processed_without_error": "entered minus errored (refusals are processed without error)",
            "integrated_over_identified": "integrated / identified",
            "processed_without_error_over_entered": "(entered - errored) / entered",
        },
        "refused_paths_file": refused_file,
        "seconds": round(seconds, 3),
    }


def harvest_job_run(*, job_id: int, progress_callback: Any = None) -> HarvestJob:
    """Run a queued job to the end. Never raises for a source problem: the job records FAILED and why."""
    started = time.monotonic()
    claimed = HarvestJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(), runner=_runner()
    )
    job = HarvestJob.objects.select_related("source__source").get(pk=job_id)
    if not claimed:
        return job  # already run (a redelivered task): nothing to do
    hs = job.source
    counters = HarvestCounters()
    context = HarvestContext(
        source_slug=hs.source.slug, kind=hs.source.kind, location=hs.location, options=dict(hs.options),
        counters=counters, report_dir=_report_dir(job), state=dict(hs.state or {}),
    )
    progress = Progress(progress_callback, job_id=job.pk, last_beat=time.monotonic())
    context.progress = progress
    try:
        harvester = harvester_class(hs.source.kind)(context)
        seen = _gather(job, context, harvester, progress)
        _heartbeat(job.pk, gathered_at=timezone.now())
        job.refresh_from_db()
        refused_file = _write_refused_paths(job, context)
        _record_refused_files(job, context)
        progress.phase = "apply"
        outcomes = _apply(job, seen, context, progress)
    except HarvestError as exc:
        return _fail(job, exc, counters, context, started)
    except Exception as exc:
        # The traceback stays in the node's logs; the job row and the e-mail get the exception's class only,
        # since its text can carry a file path or a value (docs/privacy.md R18).
        logger.exception("harvest job %s of %s crashed", job.pk, hs.source.slug)
        crash = HarvestError(f"the harvest stopped on an internal error ({exc.__class__.__name__}); see the node's logs",
                             code="internal_error")
        return _fail(job, crash, counters, context, started)
    job.report = _report(counters, outcomes, refused_file, time.monotonic() - started)
    if context.state.get("unmapped"):
        job.report["unmapped"] = context.state["unmapped"]
    if context.incomplete_reasons:
        job.report["withdrawals_skipped"] = context.incomplete_reasons
    job.status = JobStatus.COMPLETED
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "status", "finished_at"])
    logger.info("harvest job %s of %s completed: %s", job.pk, hs.source.slug, outcomes)
    return job


def _fail(job: HarvestJob, error: HarvestError, counters: HarvestCounters, context: HarvestContext,
          started: float) -> HarvestJob:
    """Record a failed job with the error's code (catalogue.error_codes) and tell the source's contact."""
    code, message = error.code, error.message
    StagingRow.objects.filter(job=job).delete()
    refused_file = _write_refused_paths(job, context)
    job.report = _report(counters, {o.value: 0 for o in RecordOutcome}, refused_file, time.monotonic() - started)
    job.status, job.error_code, job.error_message = JobStatus.FAILED, code, message
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "status", "error_code", "error_message", "finished_at"])
    logger.warning("harvest job %s of %s failed: %s", job.pk, job.source.source.slug, code)
    contact = job.source.source.contact_email
    if contact:
        try:
            send_mail(
                subject=f"[atlas] harvest of {job.source.source.name} failed",
                message=f"Job {job.pk} failed ({code}): {message}\nThe published catalogue was left unchanged.",
                from_email=None,
                recipient_list=[contact],
                fail_silently=False,
            )
        except (OSError, smtplib.SMTPException) as exc:
            logger.error("could not mail %s about failed job %s: %s", contact, job.pk, exc)
    return job
