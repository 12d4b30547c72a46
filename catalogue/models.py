"""The atlas metadata model: HealthDCAT-AP Release 8 + EUCAIM DCAT-AP v2 (see docs/metadata.md)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from catalogue.registry import registered_paths


class ConceptScheme(models.Model):
    """A controlled vocabulary (EU NAL, HealthData@EU vocabulary, DICOM, SNOMED CT subset, our own)."""

    slug = models.SlugField(max_length=64, unique=True)
    iri = models.CharField(max_length=500, unique=True)
    title = models.CharField(max_length=300)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Concept(models.Model):
    """One term of a scheme. External concepts are IRIs harvested from sources that no loaded file lists."""

    scheme = models.ForeignKey(ConceptScheme, on_delete=models.PROTECT, related_name="concepts")
    code = models.CharField(max_length=200)
    iri = models.CharField(max_length=500, unique=True)
    label = models.CharField(max_length=500)
    labels = models.JSONField(default=dict, blank=True)
    synonyms = models.JSONField(default=list, blank=True)
    alt_iris = models.JSONField(default=list, blank=True)
    mappings = models.JSONField(default=dict, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    is_external = models.BooleanField(default=False)

    class Meta:
        ordering = ["scheme__slug", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="concept_scheme_code_unique")]

    def __str__(self) -> str:
        return f"{self.scheme.slug}:{self.code}"


class ConceptKey(models.Model):
    """Lookup keys of a concept within its scheme: IRI, alternative IRIs, code, labels and synonyms (casefolded)."""

    scheme = models.ForeignKey(ConceptScheme, on_delete=models.CASCADE, related_name="+")
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "key"], name="concept_key_unique")]


class Agent(models.Model):
    """A publisher, custodian, health data access body or creator, with its contact point (cv:contactPoint)."""

    slug = models.SlugField(max_length=120, unique=True)
    iri = models.TextField(blank=True, db_index=True, help_text="The source's IRI for this agent.")
    name = models.CharField(max_length=300)
    type = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Harvested values: stored as given (feeds are lenient), never length-clipped.
    email = models.TextField(blank=True)
    contact_page = models.TextField(blank=True)
    telephone = models.TextField(blank=True)
    homepage = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Catalogue(models.Model):
    """The atlas catalogue itself (one row): what EU portals harvest as the dcat:Catalog."""

    title = models.JSONField(default=dict)
    description = models.JSONField(default=dict)
    publisher = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    homepage = models.TextField(blank=True)
    license = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    applicable_legislation = models.JSONField(default=list, blank=True)
    issued = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title.get("en", "Atlas catalogue")


MANUAL_SOURCE_KIND = "manual"
"""The catalogue's own kind: a source curated by hand, which no harvester reads."""


def source_kind_choices() -> list[tuple[str, str]]:
    """The kinds a source may have: "manual" and every harvester kind of the registry `ATLAS_HARVESTER_KINDS`.

    The catalogue lists no harvester kind (it knows none of its plug-ins): it reads the registry's names, never
    importing a harvester, so a new kind is valid here as soon as it is registered, with no migration. Callable
    choices are evaluated on each use (model validation in the services, admin forms); migration 0002 refers to
    this function by name: keep the name.
    """
    kinds = registered_paths("ATLAS_HARVESTER_KINDS", what="harvester kind")
    return [(MANUAL_SOURCE_KIND, "Curated by hand"), *((name, name) for name in kinds if name != MANUAL_SOURCE_KIND)]


class Source(models.Model):
    """Where datasets come from, with the curator-set defaults for what a harvest cannot know.

    Lower `priority` wins when two sources describe the same dataset (see services.dataset_merge).
    """

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=source_kind_choices)
    priority = models.PositiveSmallIntegerField(default=100)
    published = models.BooleanField(default=False, help_text="Datasets of an unpublished source are not public.")
    defaults = models.JSONField(default=dict, blank=True)
    contact_email = models.EmailField(blank=True)
    curators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="curated_sources")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "slug"]

    def __str__(self) -> str:
        return self.name


class DatasetSeries(models.Model):
    """A dataset series: in EUCAIM, an imaging biobank grouping several datasets."""

    identifier = models.SlugField(max_length=120, unique=True)
    key = models.TextField(unique=True, help_text="The source's key for the series.")
    title = models.JSONField(default=dict)
    description = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "dataset series"

    def __str__(self) -> str:
        return next(iter(self.title.values()), self.identifier)


class DatasetStatus(models.TextChoices):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


def _new_salt() -> str:
    return secrets.token_hex(32)


class Dataset(models.Model):
    """An imaging dataset (cohort / collection): the merge of its provenance records and curator overrides."""

    identifier = models.SlugField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=DatasetStatus.choices, default=DatasetStatus.ACTIVE)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    title = models.JSONField(default=dict)
    sort_title = models.CharField(max_length=500, db_index=True)
    description = models.JSONField(default=dict, blank=True)
    alternative = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    population_coverage = models.JSONField(default=dict, blank=True)
    contact_points = models.JSONField(default=list, blank=True)
    applicable_legislation = models.JSONField(default=list, blank=True)
    manufacturers = models.JSONField(default=list, blank=True)
    segmentation_labels = models.JSONField(default=list, blank=True)
    code_values = models.JSONField(default=list, blank=True)

    themes = models.ManyToManyField(Concept, blank=True, related_name="+")
    health_categories = models.ManyToManyField(Concept, blank=True, related_name="+")
    health_themes = models.ManyToManyField(Concept, blank=True, related_name="+")
    dataset_types = models.ManyToManyField(Concept, blank=True, related_name="+")
    birth_sex = models.ManyToManyField(Concept, blank=True, related_name="+")
    cancer_types = models.ManyToManyField(Concept, blank=True, related_name="+")
    modalities = models.ManyToManyField(Concept, blank=True, related_name="+")
    body_parts = models.ManyToManyField(Concept, blank=True, related_name="+")
    collection_methods = models.ManyToManyField(Concept, blank=True, related_name="+")
    segmentation_methods = models.ManyToManyField(Concept, blank=True, related_name="+")
    spatial = models.ManyToManyField(Concept, blank=True, related_name="+")
    coding_systems = models.ManyToManyField(Concept, blank=True, related_name="+")
    conforms_to = models.ManyToManyField(Concept, blank=True, related_name="+")
    languages = models.ManyToManyField(Concept, blank=True, related_name="+")
    species = models.ManyToManyField(Concept, blank=True, related_name="+")

    access_rights = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tier = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    frequency = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    publisher = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="published")
    custodian = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    hdab = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    creators = models.ManyToManyField(Agent, blank=True, related_name="+")

    n_subjects = models.PositiveIntegerField(null=True, blank=True)
    n_studies = models.PositiveIntegerField(null=True, blank=True)
    n_series = models.PositiveIntegerField(null=True, blank=True)
    n_instances = models.PositiveBigIntegerField(null=True, blank=True)
    n_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    n_segmentations = models.PositiveIntegerField(null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    acquisition_year_min = models.PositiveSmallIntegerField(null=True, blank=True)
    acquisition_year_max = models.PositiveSmallIntegerField(null=True, blank=True)
    has_structured_data = models.BooleanField(null=True, blank=True)

    version = models.TextField(blank=True)
    version_notes = models.TextField(blank=True)
    series = models.ForeignKey(DatasetSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets")
    issued = models.TextField(blank=True, help_text="ISO date the source gave.")
    modified = models.TextField(blank=True, help_text="ISO date or date-time the source gave.")
    landing_page = models.TextField(blank=True)

    content_hash = models.CharField(max_length=64, help_text="Hash of the merged, published descriptor.")
    merged = models.JSONField(default=dict, blank=True, help_text="The merged, published descriptor (exporters).")
    overrides = models.JSONField(default=dict, blank=True, help_text="Curator edits; they win over every source.")
    missing_healthdcatap = models.JSONField(default=list, blank=True)
    missing_eucaim = models.JSONField(default=list, blank=True)
    subject_salt = models.CharField(max_length=64, default=_new_salt, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_title", "identifier"]
        indexes = [models.Index(fields=["status", "sort_title"])]

    def __str__(self) -> str:
        return self.sort_title or self.identifier

    @property
    def iri(self) -> str:
        return f"{settings.ATLAS_BASE_URL}datasets/{self.identifier}"

    @property
    def is_complete_healthdcatap(self) -> bool:
        return not self.missing_healthdcatap

    @property
    def is_complete_eucaim(self) -> bool:
        return not self.missing_eucaim and not self.missing_healthdcatap


class DatasetIdentifier(models.Model):
    """Identifiers that make two sources' records one dataset: DOIs and original IRIs, normalised."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=40)
    value = models.CharField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "value"], name="dataset_identifier_unique")]


class DatasetProvenance(models.Model):
    """One source's record of a dataset: its last descriptor as harvested, with source defaults applied."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="provenance_records")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records")
    guid = models.CharField(max_length=500)
    original_iri = models.TextField(blank=True)
    descriptor = models.JSONField(help_text="The published fields of the source's descriptor.")
    warnings = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "guid"], name="provenance_source_guid_unique")]
        ordering = ["source__priority", "first_seen", "id"]


class Distribution(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions")
    position = models.PositiveSmallIntegerField()
    access_urls = models.JSONField(default=list)
    download_urls = models.JSONField(default=list, blank=True)
    title = models.JSONField(default=dict, blank=True)
    description = models.JSONField(default=dict, blank=True)
    format = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    media_type = models.TextField(blank=True)
    byte_size = models.PositiveBigIntegerField(null=True, blank=True)
    license = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rights = models.JSONField(default=list, blank=True)
    applicable_legislation = models.JSONField(default=list, blank=True)
    availability = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    checksum_algorithm = models.TextField(blank=True)
    checksum_value = models.TextField(blank=True)

    class Meta:
        ordering = ["dataset_id", "position"]
        constraints = [models.UniqueConstraint(fields=["dataset", "position"], name="distribution_position_unique")]

    @property
    def iri(self) -> str:
        return f"{self.dataset.iri}/distributions/{self.position}"


class StudyFact(models.Model):
    """One imaging study, stored for cohort counting only (docs/privacy.md §0).

    Never serialized, exported, indexed one by one or shown: only `catalogue.disclosure` publishes counts of
    these rows. Subjects are per-dataset salted HMACs, ages 5-year bands (90 = 90+), dates years.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    provenance = models.ForeignKey(DatasetProvenance, on_delete=models.CASCADE, related_name="+")
    subject_hash = models.CharField(max_length=64)
    sex = models.CharField(max_length=1, default="U")
    age_band = models.PositiveSmallIntegerField(null=True)
    year = models.PositiveSmallIntegerField(null=True)
    modalities = models.CharField(max_length=300, default="", help_text="Codes wrapped in bars: |CT|SEG|")
    body_parts = models.CharField(max_length=500, default="")
    manufacturers = models.CharField(max_length=1000, default="")
    n_series = models.PositiveIntegerField(default=0)
    n_instances = models.PositiveIntegerField(default=0)
    n_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["dataset", "subject_hash"])]
