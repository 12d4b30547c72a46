"""Typed response serializers. Read-only views of the models; counts go through catalogue.disclosure."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue import disclosure, selectors
from catalogue.models import Agent, Concept, ConceptScheme, Dataset, Distribution, Source


class ConceptRefSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Concept
        fields = ["scheme", "code", "iri", "label"]


class ConceptSerializer(ConceptRefSerializer):
    """A concept in full: its reference plus labels, synonyms, parent and mappings."""

    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta(ConceptRefSerializer.Meta):
        fields = [*ConceptRefSerializer.Meta.fields, "labels", "synonyms", "parent", "mappings", "is_external"]


class ConceptSchemeSerializer(serializers.ModelSerializer):
    concepts = serializers.IntegerField(source="n_concepts", read_only=True)

    class Meta:
        model = ConceptScheme
        fields = ["slug", "iri", "title", "concepts"]


class AgentSerializer(serializers.ModelSerializer):
    type = ConceptRefSerializer(read_only=True)

    class Meta:
        model = Agent
        fields = ["slug", "name", "iri", "type", "email", "contact_page", "telephone", "homepage"]


class DistributionSerializer(serializers.ModelSerializer):
    format = ConceptRefSerializer(read_only=True)
    license = ConceptRefSerializer(read_only=True)
    availability = ConceptRefSerializer(read_only=True)
    status = ConceptRefSerializer(read_only=True)
    access_urls = serializers.ListField(child=serializers.URLField())
    download_urls = serializers.ListField(child=serializers.URLField())
    rights = serializers.ListField(child=serializers.CharField())
    applicable_legislation = serializers.ListField(child=serializers.CharField())
    title = serializers.DictField(child=serializers.CharField())
    description = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = Distribution
        fields = [
            "position", "title", "description", "access_urls", "download_urls", "format", "media_type", "byte_size",
            "license", "rights", "applicable_legislation", "availability", "status", "checksum_algorithm",
            "checksum_value",
        ]


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["<10", "suppressed"]}], "nullable": True}
)
class PublishedCountField(serializers.Field):
    """A count as published by catalogue.disclosure: an integer, or "<k" below the threshold."""

    def to_representation(self, value: Any) -> Any:
        return disclosure.publish_dataset_total(value)


class ContactPointSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)


class DatasetListSerializer(serializers.ModelSerializer):
    iri = serializers.CharField(read_only=True)
    title = serializers.DictField(child=serializers.CharField())
    cancer_types = ConceptRefSerializer(many=True, read_only=True)
    modalities = ConceptRefSerializer(many=True, read_only=True)
    body_parts = ConceptRefSerializer(many=True, read_only=True)
    access_rights = ConceptRefSerializer(read_only=True)
    publisher = serializers.CharField(source="publisher.name", read_only=True, allow_null=True, default=None)
    n_subjects = serializers.SerializerMethodField()
    n_studies = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = [
            "identifier", "iri", "title", "cancer_types", "modalities", "body_parts", "access_rights", "publisher",
            "n_subjects", "n_studies", "n_series", "n_bytes",
        ]

    def figures(self, obj: Dataset) -> disclosure.DatasetFigures:
        """The dataset's published figures (docs/privacy.md §0.1), computed once per dataset and response."""
        cache: dict[int, disclosure.DatasetFigures] = self.__dict__.setdefault("_figures", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.dataset_published_figures(dataset=obj)
        return cache[obj.pk]

    @extend_schema_field(PublishedCountField)
    def get_n_subjects(self, obj: Dataset) -> disclosure.PublishedCount | None:
        return self.figures(obj).subjects

    @extend_schema_field(PublishedCountField)
    def get_n_studies(self, obj: Dataset) -> disclosure.PublishedCount | None:
        """Exact, except in a dataset of fewer than k subjects, where it follows the subject rule ("<k")."""
        return self.figures(obj).studies


class DatasetDetailSerializer(DatasetListSerializer):
    description = serializers.DictField(child=serializers.CharField())
    provenance = serializers.DictField(child=serializers.CharField())
    population_coverage = serializers.DictField(child=serializers.CharField())
    keywords = serializers.ListField(child=serializers.CharField())
    manufacturers = serializers.ListField(child=serializers.CharField())
    segmentation_labels = serializers.ListField(child=serializers.CharField())
    code_values = serializers.ListField(child=serializers.CharField())
    applicable_legislation = serializers.ListField(child=serializers.CharField())
    contact_points = ContactPointSerializer(many=True, read_only=True)
    themes = ConceptRefSerializer(many=True, read_only=True)
    health_categories = ConceptRefSerializer(many=True, read_only=True)
    health_themes = ConceptRefSerializer(many=True, read_only=True)
    dataset_types = ConceptRefSerializer(many=True, read_only=True)
    birth_sex = serializers.SerializerMethodField()
    collection_methods = ConceptRefSerializer(many=True, read_only=True)
    segmentation_methods = ConceptRefSerializer(many=True, read_only=True)
    spatial = ConceptRefSerializer(many=True, read_only=True)
    coding_systems = ConceptRefSerializer(many=True, read_only=True)
    conforms_to = ConceptRefSerializer(many=True, read_only=True)
    languages = ConceptRefSerializer(many=True, read_only=True)
    species = ConceptRefSerializer(many=True, read_only=True)
    tier = ConceptRefSerializer(read_only=True)
    frequency = ConceptRefSerializer(read_only=True)
    publisher = AgentSerializer(read_only=True)  # type: ignore[assignment]
    custodian = AgentSerializer(read_only=True)
    hdab = AgentSerializer(read_only=True)
    creators = AgentSerializer(many=True, read_only=True)
    distributions = DistributionSerializer(many=True, read_only=True)
    series = serializers.SlugRelatedField(slug_field="identifier", read_only=True)
    min_age = serializers.SerializerMethodField()
    max_age = serializers.SerializerMethodField()
    acquisition_year_min = serializers.SerializerMethodField()
    acquisition_year_max = serializers.SerializerMethodField()
    missing_healthdcatap = serializers.ListField(child=serializers.CharField())
    missing_eucaim = serializers.ListField(child=serializers.CharField())

    class Meta(DatasetListSerializer.Meta):
        fields = DatasetListSerializer.Meta.fields + [
            "description", "keywords", "themes", "health_categories", "health_themes", "dataset_types",
            "applicable_legislation", "contact_points", "custodian", "hdab", "creators", "provenance",
            "n_instances", "n_segmentations", "min_age", "max_age", "acquisition_year_min", "acquisition_year_max",
            "population_coverage", "birth_sex", "manufacturers", "collection_methods", "tier", "segmentation_labels",
            "segmentation_methods", "spatial", "coding_systems", "code_values", "conforms_to", "has_structured_data",
            "languages", "species", "frequency", "version", "version_notes", "series", "issued", "modified",
            "landing_page", "distributions", "missing_healthdcatap", "missing_eucaim", "updated_at",
        ]

    # A dataset of fewer than k subjects withholds its sex list, age range and years (docs/privacy.md §0.1):
    # they would describe its few people. They are then empty / null here, as on the page and in the RDF.

    @extend_schema_field(ConceptRefSerializer(many=True))
    def get_birth_sex(self, obj: Dataset) -> list[dict[str, Any]]:
        if self.figures(obj).small:
            return []
        return ConceptRefSerializer(obj.birth_sex.all(), many=True).data  # type: ignore[return-value]

    @extend_schema_field(OpenApiTypes.STR)
    def get_min_age(self, obj: Dataset) -> str | None:
        return self.figures(obj).min_age

    @extend_schema_field(OpenApiTypes.STR)
    def get_max_age(self, obj: Dataset) -> str | None:
        return self.figures(obj).max_age

    @extend_schema_field(OpenApiTypes.INT)
    def get_acquisition_year_min(self, obj: Dataset) -> int | None:
        return self.figures(obj).year_min

    @extend_schema_field(OpenApiTypes.INT)
    def get_acquisition_year_max(self, obj: Dataset) -> int | None:
        return self.figures(obj).year_max


class OverrideSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="The value in descriptor form (IRIs for vocabulary fields).")


class OverridesSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    overrides = serializers.DictField(child=serializers.JSONField())


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["slug", "name", "kind", "priority", "published", "defaults", "contact_email", "updated_at"]
