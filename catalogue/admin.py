"""Django admin for curators. Edits go through catalogue.services; study facts are never registered here."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from catalogue import selectors, services
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


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the admin shows but never writes: they have one writer elsewhere, and a direct save would skip it.

    Vocabularies come from the shipped CSV files (`load_vocabularies`); agents and series are made by the merge
    and shared between datasets, so editing one row would silently change other sources' datasets and leave the
    search index stale (change a dataset's publisher with an override, a source's with its defaults); the
    catalogue record is made by `catalogue_ensure` from settings.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConceptScheme)
class ConceptSchemeAdmin(ViewOnlyAdmin):
    list_display = ["slug", "title", "iri"]
    search_fields = ["slug", "title"]


@admin.register(Concept)
class ConceptAdmin(ViewOnlyAdmin):
    list_display = ["code", "label", "scheme", "parent", "is_external"]
    list_filter = ["scheme", "is_external"]
    search_fields = ["code", "label", "iri"]
    raw_id_fields = ["parent"]


@admin.register(Agent)
class AgentAdmin(ViewOnlyAdmin):
    list_display = ["name", "email", "contact_page", "type"]
    search_fields = ["name", "iri", "email"]


@admin.register(Catalogue)
class CatalogueAdmin(ViewOnlyAdmin):
    list_display = ["__str__", "modified"]


@admin.register(DatasetSeries)
class DatasetSeriesAdmin(ViewOnlyAdmin):
    list_display = ["identifier", "key"]
    search_fields = ["identifier", "key"]


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["slug", "name", "kind", "priority", "published", "contact_email", "curators", "defaults"]

    def clean_defaults(self) -> dict[str, Any]:
        """Refuse bad defaults on the form, before anything is saved (the service checks the same way)."""
        defaults = self.cleaned_data.get("defaults") or {}
        try:
            services.source_defaults_check(defaults=defaults)
        except AtlasError as exc:
            raise forms.ValidationError(f"{exc.message} ({exc.code})") from exc
        return defaults


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Sources are written by the services only: the `published` box goes through `source_publish` (so the
    search index follows) and the defaults through `source_defaults_set` (so the datasets are re-merged).

    Slug and kind are the source's identity (commands name it by slug; the kind picks the harvester its options
    were checked for): set when added, read-only after. A source is unpublished, never deleted: its records
    are the provenance of the datasets it described.
    """

    form = SourceForm
    list_display = ["name", "slug", "kind", "priority", "published"]
    list_filter = ["kind", "published"]
    filter_horizontal = ["curators"]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return selectors.source_list_for_user(user=request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Source | None = None) -> list[str]:
        return ["slug", "kind"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        """Create or change the source through the services; `obj` is then reloaded from what they stored."""
        data = form.cleaned_data
        if not change:
            source = services.source_create(
                slug=data["slug"], name=data["name"], kind=data["kind"], priority=data["priority"],
                published=data["published"], contact_email=data["contact_email"], defaults=data["defaults"] or None,
                curators=data["curators"],
            )
        else:
            source = services.source_update(
                source=selectors.source_get(pk=obj.pk), name=data["name"], priority=data["priority"],
                contact_email=data["contact_email"], curators=data["curators"],
            )
            if (data["defaults"] or {}) != (source.defaults or {}):
                services.source_defaults_set(source=source, defaults=data["defaults"] or {})
            services.source_publish(source=source, published=data["published"])
        obj.pk = source.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing left to save: the curators were set by the service in `save_model` (no inlines here)."""

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
        return selectors.dataset_list_for_curator(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Datasets are withdrawn by their sources' harvests, never deleted (their identifiers stay minted).
        return False

    def save_model(self, request: HttpRequest, obj: Dataset, form: Any, change: bool) -> None:
        """Apply the override changes one by one through the services (never a raw save)."""
        new = form.cleaned_data.get("overrides") or {}
        stored = selectors.dataset_get(identifier=obj.identifier)
        old = stored.overrides or {}
        try:
            for field in set(old) - set(new):
                services.dataset_override_clear(dataset=stored, field=field)
            for field, value in new.items():
                if old.get(field) != value:
                    services.dataset_override_set(dataset=stored, field=field, value=value)
        except AtlasError as exc:
            messages.error(request, f"Override not saved: {exc.message} ({json.dumps(exc.code)})")
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing to save: the inlines are read-only and the overrides went through the services."""
