"""Admin pages for curators: harvest sources and their job reports (read-only; runs go through the services)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from catalogue.errors import AtlasError
from harvesters.models import HarvestJob, HarvestSource, StageError
from harvesters.services import harvest_job_enqueue


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "location", "published", "last_job"]
    readonly_fields = ["source", "state_summary", "schedule"]
    fields = ["source", "location", "options", "schedule", "state_summary"]
    actions = ["harvest_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HarvestSource]:
        qs = super().get_queryset(request).select_related("source")
        return qs if request.user.is_superuser else qs.filter(source__curators=request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Location and options decide what a harvester reads: only admins change them.
        return request.user.is_superuser

    @admin.display(description="kind")
    def kind(self, obj: HarvestSource) -> str:
        return obj.source.kind

    @admin.display(boolean=True)
    def published(self, obj: HarvestSource) -> bool:
        return obj.source.published

    @admin.display(description="last job")
    def last_job(self, obj: HarvestSource) -> str:
        job = obj.jobs.first()
        return f"#{job.pk} {job.status}" if job else "never run"

    @admin.display(description="state")
    def state_summary(self, obj: HarvestSource) -> str:
        keys = sorted((obj.state or {}).keys())
        return ", ".join(keys) or "—"

    @admin.action(description="Harvest the selected sources now (on the harvest queue)")
    def harvest_now(self, request: HttpRequest, queryset: QuerySet[HarvestSource]) -> None:
        for hs in queryset:
            try:
                job = harvest_job_enqueue(source=hs)
            except AtlasError as exc:
                messages.warning(request, f"{hs.source.slug}: {exc.message}")
            else:
                messages.info(request, f"{hs.source.slug}: job #{job.pk} queued")


class StageErrorInline(admin.TabularInline):
    model = StageError
    extra = 0
    can_delete = False
    fields = ["stage", "guid", "code", "message"]
    readonly_fields = fields
    max_num = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[StageError]:
        return super().get_queryset(request).exclude(guid__startswith="file:")[:200]


@admin.register(HarvestJob)
class HarvestJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "source", "status", "created_at", "finished_at", "error_code"]
    list_filter = ["status"]
    readonly_fields = ["source", "status", "force", "created_at", "started_at", "gathered_at", "finished_at",
                       "error_code", "error_message", "report_pretty"]
    exclude = ["report", "runner", "heartbeat_at"]
    inlines = [StageErrorInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HarvestJob]:
        qs = super().get_queryset(request).select_related("source__source")
        return qs if request.user.is_superuser else qs.filter(source__source__curators=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="report")
    def report_pretty(self, obj: HarvestJob) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.report, indent=2, sort_keys=True))
