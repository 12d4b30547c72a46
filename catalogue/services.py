"""Writes of the catalogue: upsert, merge, withdraw, curator overrides, source defaults.

Merge rule (which source wins each field): the dataset's active provenance records are ordered by their
source's `priority` (lower first), then by when the record was first seen; for every published field the
first record with a non-empty value wins. A source's curator-set defaults fill only the fields its own
harvest left empty. Curator overrides are applied last and survive re-harvests until cleared.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalogue.completeness import missing_fields
from catalogue.descriptors import DatasetDescriptor, StudyFactRecord, descriptor_field_names
from catalogue.doi import doi_key
from catalogue.errors import Conflict, NotFound, ValidationError
from catalogue.fields import DATASET_FIELDS, DISTRIBUTION_CONCEPTS, Storage
from catalogue.models import (
    Agent,
    Catalogue,
    Concept,
    ConceptKey,
    ConceptScheme,
    Dataset,
    DatasetIdentifier,
    DatasetProvenance,
    DatasetSeries,
    DatasetStatus,
    Distribution,
    Source,
    StudyFact,
)
from catalogue.selectors import concept_key
from catalogue.signals import dataset_changed
from config.app_settings import app_settings

logger = logging.getLogger(__name__)


# The source default for distributions that name no licence (the descriptor has no dataset-level licence).
DISTRIBUTION_LICENSE_DEFAULT = "license"


class UpsertOutcome(models.TextChoices):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class UpsertResult:
    outcome: UpsertOutcome
    dataset: Dataset
    provenance: DatasetProvenance


# ---------------------------------------------------------------------------------------------- identity

def _identity_keys(descriptor: DatasetDescriptor) -> list[tuple[str, str]]:
    """The keys that make records of different sources one dataset: the primary DOI and the original IRI.

    Other identifiers (related DOIs, analysis-result DOIs shared by many collections) are kept but never merge.
    """
    keys: list[tuple[str, str]] = []
    if descriptor.doi:
        keys.append(("doi", doi_key(descriptor.doi)))
    if descriptor.original_iri:
        keys.append(("iri", descriptor.original_iri.strip()))
    return keys


def mint_identifier(*, source_slug: str, guid: str) -> str:
    """A URL-safe identifier derived from the first source's key, so rebuilding the catalogue mints the same."""
    digest = hashlib.sha256(f"{source_slug}\x1f{guid}".encode()).digest()
    token = base64.b32encode(digest).decode("ascii").lower().rstrip("=")
    for length in (10, 16, 26, 52):
        candidate = f"atl-{token[:length]}"
        if not Dataset.objects.filter(identifier=candidate).exists():
            return candidate
    raise ValidationError("could not mint a unique dataset identifier", code="identifier_collision")


# ---------------------------------------------------------------------------------------------- concepts


def _concept_for(scheme_slug: str, value: str, warnings: list[str]) -> Concept | None:
    """Resolve a value to a concept of the scheme; an unknown IRI becomes an external concept, kept."""
    if not value:
        return None
    hit = (
        ConceptKey.objects.select_related("concept")
        .filter(scheme__slug=scheme_slug, key=concept_key(value))
        .first()
    )
    if hit:
        return hit.concept
    by_iri = Concept.objects.filter(iri=value).select_related("scheme").first()
    if by_iri:
        if by_iri.scheme.slug == scheme_slug:
            return by_iri
        warnings.append(f"{scheme_slug}: {value!r} is a concept of {by_iri.scheme.slug}; dropped")
        return None
    if len(value) > 500:
        warnings.append(f"{scheme_slug}: an IRI of {len(value)} characters is too long to keep; dropped")
        return None
    if "://" not in value and not value.startswith("urn:"):
        warnings.append(f"{scheme_slug}: {value!r} is not a known concept or an IRI; dropped")
        return None
    scheme = ConceptScheme.objects.filter(slug=scheme_slug).first()
    if scheme is None:
        warnings.append(f"vocabulary {scheme_slug!r} is not loaded; {value!r} dropped")
        return None
    code = value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1][:200] or value[:200]
    if Concept.objects.filter(scheme=scheme, code=code).exists():
        code = value[:200]
    concept = Concept.objects.create(scheme=scheme, code=code, iri=value, label=code, is_external=True)
    ConceptKey.objects.get_or_create(scheme=scheme, key=concept_key(value), defaults={"concept": concept})
    return concept


def _agent_for(data: dict[str, Any] | None) -> Agent | None:
    """The agent with exactly these details, created when new; an existing agent is never changed.

    Agents are shared between datasets and sources, so one source (or a curator's override) must not be able
    to rewrite the name or contact point another source's datasets show: different details, different row.
    """
    if not data or not data.get("name"):
        return None
    agent_type = _concept_for("publisher-type", data.get("type", ""), []) if data.get("type") else None
    values = {
        "name": str(data["name"])[:300],
        "iri": data.get("iri", ""),
        "email": data.get("email", ""),
        "contact_page": data.get("contact_page", ""),
        "telephone": data.get("telephone", ""),
        "homepage": data.get("homepage", ""),
        "type": agent_type,
    }
    agent = Agent.objects.filter(**values).order_by("pk").first()
    if agent is not None:
        return agent
    base = slugify(values["name"])[:100] or "agent"
    slug, n = base, 1
    while Agent.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Agent.objects.create(slug=slug, **values)


# ---------------------------------------------------------------------------------------------- merge


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _with_defaults(descriptor: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A record with its source's defaults in the fields it left empty ("license" applies to distributions)."""
    out = copy.deepcopy(descriptor)
    for name, value in defaults.items():
        if name == DISTRIBUTION_LICENSE_DEFAULT:
            for dist in out.get("distributions") or []:
                if not dist.get("license"):
                    dist["license"] = value
        elif _empty(out.get(name)):
            out[name] = value
    return out


def _is_web_url(value: Any) -> bool:
    from urllib.parse import urlsplit

    return isinstance(value, str) and urlsplit(value.strip()).scheme.lower() in {"http", "https"}


def _keep_web_urls_only(merged: dict[str, Any]) -> None:
    """Links the portal renders must be http(s): a javascript: or data: URL from a feed is dropped here."""
    if merged.get("landing_page") and not _is_web_url(merged["landing_page"]):
        logger.warning("a landing page that is not an http(s) URL was dropped")
        merged["landing_page"] = ""
    for contact in merged.get("contact_points") or []:
        if contact.get("url") and not _is_web_url(contact["url"]):
            contact["url"] = ""
    for dist in merged.get("distributions") or []:
        for key in ("access_urls", "download_urls"):
            kept = [u for u in dist.get(key) or [] if _is_web_url(u)]
            if len(kept) != len(dist.get(key) or []):
                logger.warning("a distribution URL that is not http(s) was dropped")
            dist[key] = kept
    for key in ("publisher", "custodian", "hdab"):
        agent = merged.get(key)
        if agent:
            for field in ("contact_page", "homepage"):
                if agent.get(field) and not _is_web_url(agent[field]):
                    agent[field] = ""


def merge_records(records: list[DatasetProvenance], overrides: dict[str, Any]) -> dict[str, Any]:
    """Merge provenance records (already in winning order) and overrides into one published descriptor dict."""
    layers = [_with_defaults(r.descriptor, r.source.defaults or {}) for r in records]
    merged: dict[str, Any] = {}
    for name in descriptor_field_names():
        value: Any = None
        for layer in layers:
            if not _empty(layer.get(name)):
                value = layer[name]
                break
        if value is not None:
            merged[name] = value
    merged = copy.deepcopy(merged)
    merged.update(copy.deepcopy(overrides))
    _keep_web_urls_only(merged)
    # A distribution falls under the dataset's legislation unless it names its own (EUCAIM requires both).
    legislation = merged.get("applicable_legislation") or []
    if legislation and merged.get("distributions"):
        merged["distributions"] = [
            d if d.get("applicable_legislation") else {**d, "applicable_legislation": list(legislation)}
            for d in merged["distributions"]
        ]
    return merged


def _validated(merged: dict[str, Any], identifier: str) -> DatasetDescriptor:
    try:
        return DatasetDescriptor.from_dict({**merged, "guid": identifier})
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"merged metadata is invalid: {exc}", code="descriptor_invalid") from exc


def _lang_map(items: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        out.setdefault(item["lang"], item["text"])
    return out


def _write_dataset(dataset: Dataset, descriptor: DatasetDescriptor) -> list[str]:
    """Write the merged descriptor onto the dataset and its relations; return vocabulary warnings."""
    data = descriptor.to_dict(include_private=False)
    warnings: list[str] = []
    m2m: dict[str, list[Concept]] = {}
    agents_m2m: dict[str, list[Agent]] = {}
    distributions: list[dict[str, Any]] = []
    for spec in DATASET_FIELDS:
        value = data.get(spec.name)
        if spec.storage is Storage.LANG_MAP:
            setattr(dataset, spec.name, _lang_map(value or []))
        elif spec.storage in (Storage.LANG_LIST, Storage.JSON, Storage.SCALAR):
            setattr(dataset, spec.name, value if value is not None else _model_blank(spec.name))
        elif spec.storage is Storage.CONCEPT:
            setattr(dataset, spec.name, _concept_for(spec.scheme, value or "", warnings))
        elif spec.storage is Storage.CONCEPTS:
            m2m[spec.name] = [c for c in (_concept_for(spec.scheme, v, warnings) for v in value or []) if c]
        elif spec.storage is Storage.AGENT:
            setattr(dataset, spec.name, _agent_for(value))
        elif spec.storage is Storage.AGENTS:
            agents_m2m[spec.name] = [a for a in (_agent_for(v) for v in value or []) if a]
        elif spec.storage is Storage.SERIES:
            dataset.series = _series_for(value)
        elif spec.storage is Storage.DISTRIBUTIONS:
            distributions = value or []
    title = dataset.title
    dataset.sort_title = (title.get("en") or title.get("") or next(iter(title.values()), dataset.identifier))[:500]
    dataset.missing_healthdcatap, dataset.missing_eucaim = missing_fields(data)
    dataset.content_hash = descriptor.content_hash()
    dataset.merged = data
    dataset.save()
    for name, concepts in m2m.items():
        getattr(dataset, name).set(concepts)
    for name, agents in agents_m2m.items():
        getattr(dataset, name).set(agents)
    dataset.distributions.all().delete()
    for position, dist in enumerate(distributions):
        fk = {
            field: _concept_for(scheme, dist.get(field) or "", warnings) for field, scheme in DISTRIBUTION_CONCEPTS.items()
        }
        checksum = dist.get("checksum") or {}
        Distribution.objects.create(
            dataset=dataset,
            position=position,
            access_urls=dist.get("access_urls", []),
            download_urls=dist.get("download_urls", []),
            title=_lang_map(dist.get("title", [])),
            description=_lang_map(dist.get("description", [])),
            media_type=dist.get("media_type", ""),
            byte_size=dist.get("byte_size"),
            rights=dist.get("rights", []),
            applicable_legislation=dist.get("applicable_legislation", []),
            checksum_algorithm=checksum.get("algorithm", ""),
            checksum_value=checksum.get("value", ""),
            **fk,
        )
    return warnings


def _model_blank(name: str) -> Any:
    field = Dataset._meta.get_field(name)
    if field.null:
        return None
    default = field.get_default()
    return default


def _series_for(value: dict[str, Any] | None) -> DatasetSeries | None:
    if not value:
        return None
    series = DatasetSeries.objects.filter(key=value["key"]).first()
    title = _lang_map(value.get("title", [])) or {"": value["key"]}
    if series is None:
        base = "series-" + (slugify(next(iter(title.values())))[:80] or "x")
        identifier, n = base, 1
        while DatasetSeries.objects.filter(identifier=identifier).exists():
            n += 1
            identifier = f"{base}-{n}"
        return DatasetSeries.objects.create(key=value["key"], identifier=identifier, title=title)
    if series.title != title:
        series.title = title
        series.save(update_fields=["title"])
    return series


def _active_records(dataset: Dataset) -> list[DatasetProvenance]:
    return list(
        DatasetProvenance.objects.select_related("source")
        .filter(dataset=dataset, withdrawn_at__isnull=True)
        .order_by("source__priority", "first_seen", "id")
    )


def dataset_remerge(*, dataset: Dataset) -> bool:
    """Recompute the dataset from its records and overrides; True when its published content changed."""
    records = _active_records(dataset)
    if not records:
        return False
    merged = merge_records(records, dataset.overrides or {})
    descriptor = _validated(merged, dataset.identifier)
    if descriptor.content_hash() == dataset.content_hash:
        return False
    warnings = _write_dataset(dataset, descriptor)
    for message in warnings:
        logger.warning("dataset %s: %s", dataset.identifier, message)
    return True


# ---------------------------------------------------------------------------------------------- study facts


def subject_hash(*, dataset: Dataset, subject_key: str) -> str:
    """Per-dataset salted HMAC of the subject key: subjects cannot be linked across datasets or reversed.

    Keyed by the dataset's own random salt, not by SECRET_KEY (so not `salted_hmac`): stored hashes can never
    be recomputed (the subject keys are not kept) and a harvest skips unchanged records, so a key that changed
    with the secret would leave one dataset's facts under two keys and count their subjects twice.
    """
    return hmac.new(dataset.subject_salt.encode(), subject_key.encode(), hashlib.sha256).hexdigest()


def _bars(values: tuple[str, ...]) -> str:
    return "|" + "|".join(values) + "|" if values else ""


def _replace_study_facts(provenance: DatasetProvenance, facts: tuple[StudyFactRecord, ...]) -> None:
    StudyFact.objects.filter(provenance=provenance).delete()
    dataset = provenance.dataset
    rows = [
        StudyFact(
            dataset=dataset,
            provenance=provenance,
            subject_hash=subject_hash(dataset=dataset, subject_key=f.subject_key),
            sex=f.sex[:1] or "U",
            age_band=f.age_band,
            year=f.year,
            modalities=_bars(f.modalities)[:300],
            body_parts=_bars(f.body_parts)[:500],
            manufacturers=_bars(f.manufacturers)[:1000],
            n_series=f.n_series,
            n_instances=f.n_instances,
            n_bytes=f.n_bytes,
        )
        for f in facts
    ]
    StudyFact.objects.bulk_create(rows, batch_size=2000)


# ---------------------------------------------------------------------------------------------- upsert


def _find_dataset(descriptor: DatasetDescriptor, source: Source) -> tuple[Dataset | None, DatasetProvenance | None]:
    """The source's own record first; else a dataset another source describes with the same DOI or IRI.

    Two guids of one source are two datasets by definition, so a match already described by this source is
    not merged into.
    """
    record = DatasetProvenance.objects.select_related("dataset").filter(source=source, guid=descriptor.guid).first()
    if record:
        return record.dataset, record
    for scheme, value in _identity_keys(descriptor):
        hit = DatasetIdentifier.objects.select_related("dataset").filter(scheme=scheme, value=value).first()
        if hit and not DatasetProvenance.objects.filter(
            dataset=hit.dataset, source=source, withdrawn_at__isnull=True
        ).exists():
            return hit.dataset, None
    return None, None


def _register_identifiers(dataset: Dataset, descriptor: DatasetDescriptor) -> None:
    for scheme, value in _identity_keys(descriptor):
        owner = DatasetIdentifier.objects.filter(scheme=scheme, value=value).values_list("dataset_id", flat=True).first()
        if owner is None:
            DatasetIdentifier.objects.create(dataset=dataset, scheme=scheme, value=value[:500])
        elif owner != dataset.pk:
            logger.info("%s %s already identifies another dataset; not linked to %s", scheme, value, dataset.identifier)


@transaction.atomic
def dataset_upsert(*, descriptor: DatasetDescriptor, source: Source) -> UpsertResult:
    """Create or update the dataset a source describes; UNCHANGED when the source's record is the same."""
    published = descriptor.to_dict(include_private=False)
    record_hash = descriptor.content_hash()
    now = timezone.now()
    dataset, record = _find_dataset(descriptor, source)
    if record and record.content_hash == record_hash and record.withdrawn_at is None and dataset is not None:
        record.last_seen = now
        record.save(update_fields=["last_seen"])
        return UpsertResult(UpsertOutcome.UNCHANGED, dataset, record)

    created = dataset is None
    reactivated = False
    if dataset is None:
        dataset = Dataset(identifier=mint_identifier(source_slug=source.slug, guid=descriptor.guid), content_hash="")
        dataset.save()
    else:
        # Row lock: a concurrent override or another source's upsert of this dataset waits for us.
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if dataset.status == DatasetStatus.WITHDRAWN:
            dataset.status, dataset.withdrawn_at = DatasetStatus.ACTIVE, None
            dataset.save(update_fields=["status", "withdrawn_at"])
            reactivated = True

    fields = {
        "original_iri": descriptor.original_iri,
        "descriptor": published,
        "warnings": [f"{w.field}: {w.code}: {w.message}" for w in descriptor.warnings],
        "content_hash": record_hash,
        "last_seen": now,
        "withdrawn_at": None,
    }
    if record is None:
        record = DatasetProvenance.objects.create(dataset=dataset, source=source, guid=descriptor.guid, **fields)
    else:
        for key, value in fields.items():
            setattr(record, key, value)
        record.save()
    _register_identifiers(dataset, descriptor)
    _replace_study_facts(record, descriptor.study_facts)
    changed = dataset_remerge(dataset=dataset)
    outcome = UpsertOutcome.CREATED if created else UpsertOutcome.UPDATED
    if created or changed or reactivated:
        dataset_changed.send(sender=Dataset, dataset=dataset, outcome=outcome)
    return UpsertResult(outcome, dataset, record)


@transaction.atomic
def dataset_withdraw(*, source: Source, guid: str) -> UpsertResult:
    """Withdraw one source's record (soft). The dataset is withdrawn when no source still describes it."""
    record = DatasetProvenance.objects.select_related("dataset").filter(source=source, guid=guid).first()
    if record is None:
        raise NotFound(f"source {source.slug!r} has no record {guid!r}", code="record_not_found")
    dataset = Dataset.objects.select_for_update().get(pk=record.dataset_id)
    if record.withdrawn_at is None:
        record.withdrawn_at = timezone.now()
        record.save(update_fields=["withdrawn_at"])
        StudyFact.objects.filter(provenance=record).delete()
    if _active_records(dataset):
        dataset_remerge(dataset=dataset)
        dataset_changed.send(sender=Dataset, dataset=dataset, outcome=UpsertOutcome.UPDATED)
        return UpsertResult(UpsertOutcome.UPDATED, dataset, record)
    if dataset.status != DatasetStatus.WITHDRAWN:
        dataset.status, dataset.withdrawn_at = DatasetStatus.WITHDRAWN, timezone.now()
        dataset.save(update_fields=["status", "withdrawn_at", "updated_at"])
        dataset_changed.send(sender=Dataset, dataset=dataset, outcome=UpsertOutcome.WITHDRAWN)
    return UpsertResult(UpsertOutcome.WITHDRAWN, dataset, record)


# ---------------------------------------------------------------------------------------------- curation


def _check_field_value(name: str, value: Any) -> None:
    if name not in descriptor_field_names() or name in ("original_iri", "doi", "other_identifiers"):
        raise ValidationError(f"{name!r} is not a dataset field a curator can set", code="unknown_field", field=name)
    try:
        DatasetDescriptor.from_dict({"guid": "check", "title": [{"lang": "", "text": "check"}], name: value})
    except (TypeError, ValueError, KeyError) as exc:
        raise ValidationError(f"invalid value for {name}: {exc}", code="invalid_value", field=name) from exc


@transaction.atomic
def dataset_override_set(*, dataset: Dataset, field: str, value: Any) -> Dataset:
    """Set a curator override; it wins over every source until cleared."""
    _check_field_value(field, value)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    dataset.overrides = {**(dataset.overrides or {}), field: value}
    dataset.save(update_fields=["overrides"])
    if dataset_remerge(dataset=dataset):
        dataset_changed.send(sender=Dataset, dataset=dataset, outcome=UpsertOutcome.UPDATED)
    return dataset


@transaction.atomic
def dataset_override_clear(*, dataset: Dataset, field: str) -> Dataset:
    """Remove a curator override: the field goes back to the winning source's value."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    overrides = dict(dataset.overrides or {})
    if field not in overrides:
        raise NotFound(f"no override for {field!r}", code="override_not_found")
    del overrides[field]
    dataset.overrides = overrides
    dataset.save(update_fields=["overrides"])
    if dataset_remerge(dataset=dataset):
        dataset_changed.send(sender=Dataset, dataset=dataset, outcome=UpsertOutcome.UPDATED)
    return dataset


def source_defaults_check(*, defaults: dict[str, Any]) -> None:
    """Refuse defaults a source cannot have (forms call this to show the error before anything is saved)."""
    if not isinstance(defaults, dict):
        raise ValidationError("source defaults are an object of field names and values", code="invalid_value")
    for name, value in defaults.items():
        if name == DISTRIBUTION_LICENSE_DEFAULT:
            if not isinstance(value, str) or "://" not in value:
                raise ValidationError("the licence default must be a licence IRI", code="invalid_value", field=name)
            continue
        if name not in DatasetDescriptor.DEFAULTABLE_FIELDS:
            raise ValidationError(f"{name!r} cannot be a source default", code="unknown_field", field=name)
        _check_field_value(name, value)


def _remerge_source_datasets(source: Source) -> None:
    """Re-merge every dataset the source describes, announcing each one whose published content changed."""
    for dataset in Dataset.objects.filter(provenance_records__source=source).distinct():
        if dataset_remerge(dataset=dataset):
            dataset_changed.send(sender=Dataset, dataset=dataset, outcome=UpsertOutcome.UPDATED)


@transaction.atomic
def source_defaults_set(*, source: Source, defaults: dict[str, Any]) -> Source:
    """Replace a source's curator-set defaults and re-merge its datasets."""
    source_defaults_check(defaults=defaults)
    source.defaults = defaults
    source.save(update_fields=["defaults", "updated_at"])
    _remerge_source_datasets(source)
    return source


def _full_clean(source: Source, exclude: list[str] | None = None) -> None:
    """The model's own field checks (slug syntax, lengths, kind among the choices, e-mail), as domain errors."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        source.full_clean(exclude=[*(exclude or []), "curators", "defaults"], validate_unique=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationError(f"{field}: {' '.join(messages)}", code="invalid_value", field=field) from exc


@transaction.atomic
def source_create(
    *, slug: str, name: str, kind: str, priority: int = 100, published: bool = False, contact_email: str = "",
    defaults: dict[str, Any] | None = None, curators: Iterable[Any] = (),
) -> Source:
    """Register a catalogue source. Defaults and publishing go through their own services, so a source created
    published announces its datasets like any other publication (it has none yet)."""
    if Source.objects.filter(slug=slug).exists():
        raise Conflict(f"a source named {slug!r} exists already", code="source_exists", field="slug")
    source = Source(slug=slug, name=name, kind=kind, priority=priority, contact_email=contact_email, published=False)
    _full_clean(source)
    if defaults:
        source_defaults_check(defaults=defaults)
    source.save()
    source.curators.set(list(curators))
    if defaults:
        source_defaults_set(source=source, defaults=defaults)
    if published:
        source_publish(source=source, published=True)
    return source


@transaction.atomic
def source_update(
    *, source: Source, name: str | None = None, priority: int | None = None, contact_email: str | None = None,
    curators: Iterable[Any] | None = None,
) -> Source:
    """Change what a curator may change about a source; a new priority re-merges its datasets (it decides which
    source wins each field). Slug and kind are the source's identity and stay; publishing and defaults have
    their own services."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    old_priority = source.priority
    changed = [
        field for field, value in (("name", name), ("priority", priority), ("contact_email", contact_email))
        if value is not None and getattr(source, field) != value
    ]
    for field in changed:
        setattr(source, field, {"name": name, "priority": priority, "contact_email": contact_email}[field])
    if changed:
        _full_clean(source)
        source.save(update_fields=[*changed, "updated_at"])
    if curators is not None:
        source.curators.set(list(curators))
    if source.priority != old_priority:
        _remerge_source_datasets(source)
    return source


def catalogue_ensure() -> Catalogue:
    """Create the atlas catalogue record with its mandatory fields once (publisher from settings)."""
    catalogue = Catalogue.objects.order_by("pk").first()
    if catalogue is None:
        catalogue = Catalogue.objects.create(
            title={"en": "European Cancer Imaging Atlas catalogue"},
            description={
                "en": "Metadata of de-identified cancer imaging datasets held by hospitals and archives across Europe."
            },
            applicable_legislation=["http://data.europa.eu/eli/reg/2025/327/oj"],
            homepage=app_settings.ATLAS_BASE_URL,
        )
    if catalogue.publisher_id is None:
        catalogue.publisher = _agent_for({
            "name": app_settings.ATLAS_PUBLISHER_NAME, "email": app_settings.ATLAS_PUBLISHER_EMAIL,
            "contact_page": app_settings.ATLAS_BASE_URL, "homepage": app_settings.ATLAS_BASE_URL,
        })
        catalogue.save(update_fields=["publisher", "modified"])
    return catalogue


@transaction.atomic
def source_publish(*, source: Source, published: bool) -> Source:
    """Publish or unpublish a source; its datasets enter or leave the public catalogue and the index.

    Compares with the stored row, not the instance given: a form that already set `published` on its instance
    (the admin's change form does) must still announce the change, or the search index goes stale.
    """
    stored = Source.objects.select_for_update().get(pk=source.pk)
    source.published = published
    if stored.published == published:
        return stored
    stored.published = published
    stored.save(update_fields=["published", "updated_at"])
    for dataset in Dataset.objects.filter(provenance_records__source=stored).distinct():
        dataset_changed.send(sender=Dataset, dataset=dataset, outcome=UpsertOutcome.UPDATED)
    return stored


@transaction.atomic
def dataset_remerge_by_id(*, dataset_id: int) -> bool:
    """Re-merge one dataset under a row lock, announcing the change; used by the remerge task."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset_id)
    changed = dataset_remerge(dataset=dataset)
    if changed:
        dataset_changed.send(sender=Dataset, dataset=dataset, outcome=UpsertOutcome.UPDATED)
    return changed


def datasets_remerge_queue(*, dataset_ids: list[int]) -> None:
    """Queue a re-merge of each dataset after the current transaction commits."""
    from catalogue.tasks import dataset_remerge_task

    for dataset_id in dataset_ids:
        transaction.on_commit(lambda dataset_id=dataset_id: dataset_remerge_task.delay(dataset_id))
