"""Admin pages for curators: harvest sources and their job reports (read-only; runs go through the services)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from catalogue.admin import ViewOnlyAdmin
from catalogue.errors import AtlasError
from harvesters import selectors, services
from harvesters.models import HarvestJob, HarvestSource, StageError


class HarvestSourceForm(forms.ModelForm):
    cron = forms.CharField(
        required=False, max_length=200, label="Schedule",
        help_text='Crontab "minute hour day month weekday" in UTC, e.g. "0 3 * * *"; empty: no schedule.',
    )

    class Meta:
        model = HarvestSource
        fields = ["location", "options"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["cron"].initial = selectors.harvest_source_cron(source=self.instance)

    def clean(self) -> dict[str, Any]:
        """Check options and schedule the way the services will, so a bad value is shown and nothing is saved."""
        data = super().clean()
        try:
            services.harvest_source_check(
                kind=self.instance.source.kind, location=data.get("location") or "", options=data.get("options") or {},
                cron=data.get("cron") or "",
            )
        except AtlasError as exc:
            raise forms.ValidationError(f"{exc.message} ({exc.code})") from exc
        return data


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    """Where and how a source is read, and when. Changes go through `harvest_source_update` and
    `harvest_source_schedule` (the same as `manage.py harvest_source schedule`); sources are added with
    `manage.py harvest_source add` (name, kind and defaults live on the catalogue's source) and never deleted here.
    """

    form = HarvestSourceForm
    list_display = ["source", "kind", "location", "published", "last_job"]
    readonly_fields = ["source", "state_summary"]
    fields = ["source", "location", "options", "cron", "state_summary"]
    actions = ["harvest_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HarvestSource]:
        qs = super().get_queryset(request).select_related("source")
        return qs if request.user.is_superuser else qs.filter(source__curators=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Location and options decide what a harvester reads: only admins change them.
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: HarvestSource, form: Any, change: bool) -> None:
        data = form.cleaned_data
        stored = selectors.harvest_source_by_pk(pk=obj.pk)
        services.harvest_source_update(source=stored, location=data["location"], options=data["options"] or {})
        if (data.get("cron") or "").strip() != selectors.harvest_source_cron(source=stored):
            services.harvest_source_schedule(source=stored, cron=data.get("cron") or "")
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing to save: no relations are edited here and there are no inlines."""

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
                job = services.harvest_job_enqueue(source=hs)
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
class HarvestJobAdmin(ViewOnlyAdmin):
    """Job reports are the record of what each harvest did and refused: shown, never added, changed or deleted."""

    list_display = ["pk", "source", "status", "created_at", "finished_at", "error_code"]
    list_filter = ["status"]
    readonly_fields = ["source", "status", "force", "created_at", "started_at", "gathered_at", "finished_at",
                       "error_code", "error_message", "report_pretty"]
    exclude = ["report", "runner", "heartbeat_at"]
    inlines = [StageErrorInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HarvestJob]:
        qs = super().get_queryset(request).select_related("source__source")
        return qs if request.user.is_superuser else qs.filter(source__source__curators=request.user)

    @admin.display(description="report")
    def report_pretty(self, obj: HarvestJob) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.report, indent=2, sort_keys=True))
