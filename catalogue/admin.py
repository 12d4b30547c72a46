"""Django admin for curators. Edits go through catalogue.services; study facts are never registered here."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from catalogue import services
from catalogue.errors import AtlasError
from catalogue.models import (
    Agent,
    Catalogue,
    Concept,
    ConceptScheme,
    Dataset,
    DatasetProvenance,
    DatasetSeries,
    Distribution,
    Source,
)


@admin.register(ConceptScheme)
class ConceptSchemeAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "iri"]
    search_fields = ["slug", "title"]


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "scheme", "parent", "is_external"]
    list_filter = ["scheme", "is_external"]
    search_fields = ["code", "label", "iri"]
    raw_id_fields = ["parent"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "contact_page", "type"]
    search_fields = ["name", "iri", "email"]


@admin.register(Catalogue)
class CatalogueAdmin(admin.ModelAdmin):
    list_display = ["__str__", "modified"]


@admin.register(DatasetSeries)
class DatasetSeriesAdmin(admin.ModelAdmin):
    list_display = ["identifier", "key"]
    search_fields = ["identifier", "key"]


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["slug", "name", "kind", "priority", "published", "contact_email", "curators", "defaults"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "slug", "kind", "priority", "published"]
    list_filter = ["kind", "published"]
    filter_horizontal = ["curators"]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(curators=request.user)

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        defaults = obj.defaults or {}
        obj.defaults = {} if not change else Source.objects.get(pk=obj.pk).defaults
        super().save_model(request, obj, form, change)
        try:
            services.source_defaults_set(source=obj, defaults=defaults)
        except AtlasError as exc:
            messages.error(request, f"Defaults not saved: {exc.message}")

    @admin.action(description="Publish the selected sources (their datasets become public)")
    def publish(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            services.source_publish(source=source, published=True)

    @admin.action(description="Unpublish the selected sources")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            services.source_publish(source=source, published=False)


class DistributionInline(admin.TabularInline):
    model = Distribution
    extra = 0
    can_delete = False
    readonly_fields = ["position", "access_urls", "format", "license", "rights"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProvenanceInline(admin.TabularInline):
    model = DatasetProvenance
    extra = 0
    can_delete = False
    fields = ["source", "guid", "original_iri", "content_hash", "first_seen", "last_seen", "withdrawn_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DatasetForm(forms.ModelForm):
    overrides = forms.JSONField(
        required=False,
        help_text='Curator overrides in descriptor form, e.g. {"access_rights": '
        '"http://publications.europa.eu/resource/authority/access-right/RESTRICTED"}. Remove a key to clear it.',
    )

    class Meta:
        model = Dataset
        fields = ["overrides"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    form = DatasetForm
    list_display = ["identifier", "sort_title", "status", "n_subjects", "updated_at"]
    list_filter = ["status", "access_rights"]
    search_fields = ["identifier", "sort_title"]
    readonly_fields = ["identifier", "status", "sort_title", "content_hash", "missing_healthdcatap", "missing_eucaim"]
    inlines = [ProvenanceInline, DistributionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dataset]:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(
            provenance_records__source__curators=request.user, provenance_records__withdrawn_at__isnull=True
        ).distinct()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Dataset, form: Any, change: bool) -> None:
        """Apply the override changes one by one through the services (never a raw save)."""
        new = form.cleaned_data.get("overrides") or {}
        old = Dataset.objects.get(pk=obj.pk).overrides or {}
        try:
            for field in set(old) - set(new):
                services.dataset_override_clear(dataset=obj, field=field)
            for field, value in new.items():
                if old.get(field) != value:
                    services.dataset_override_set(dataset=obj, field=field, value=value)
        except AtlasError as exc:
            messages.error(request, f"Override not saved: {exc.message} ({json.dumps(exc.code)})")
