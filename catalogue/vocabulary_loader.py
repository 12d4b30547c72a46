"""Load the controlled vocabularies (catalogue/vocabularies/data/*.csv) into Concept rows, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from catalogue.errors import VocabularyError
from catalogue.models import Concept, ConceptKey, ConceptScheme
from catalogue.vocabularies.crosscheck import OUR_PREFIX, SchemeRow, lookup_keys, read_scheme_csv, read_schemes_index
from catalogue.vocabularies.crosscheck import Concept as CsvConcept
from config.app_settings import app_settings
from config.paths import VOCABULARIES_DIR

DATA_DIR = VOCABULARIES_DIR


@dataclass
class LoadReport:
    schemes: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    per_scheme: dict[str, int] = field(default_factory=dict)


def _iri(value: str) -> str:
    """Rewrite our own IRIs under ATLAS_BASE_URL, so every IRI the catalogue mints shares one base."""
    return app_settings.ATLAS_BASE_URL + value[len(OUR_PREFIX):] if value.startswith(OUR_PREFIX) else value


def read_vocabularies(data_dir: Path = DATA_DIR) -> dict[str, tuple[SchemeRow, list[CsvConcept]]]:
    """Parse the data files with the cross-check module's reader, our own IRIs rewritten under the base URL."""
    schemes: dict[str, tuple[SchemeRow, list[CsvConcept]]] = {}
    for row in read_schemes_index(data_dir):
        concepts = read_scheme_csv(data_dir / row["file"])
        for concept in concepts:
            if not concept["code"] or not concept["iri"]:
                raise VocabularyError(f"{row['file']}:{concept['line']}: every concept needs a code and an IRI")
            concept["iri"] = _iri(concept["iri"])
            concept["alt_iris"] = [_iri(v) for v in concept["alt_iris"]]
            concept["label"] = concept["label"] or concept["code"]
        schemes[row["slug"]] = ({**row, "iri": _iri(row["iri"])}, concepts)
    return schemes


@transaction.atomic
def load_vocabularies(data_dir: Path = DATA_DIR) -> LoadReport:
    """Create or update every scheme and concept; a second run changes nothing."""
    report = LoadReport()
    for slug, (scheme_row, concepts) in read_vocabularies(data_dir).items():
        scheme, _ = ConceptScheme.objects.update_or_create(
            slug=slug, defaults={"iri": scheme_row["iri"], "title": scheme_row["title"]}
        )
        report.schemes += 1
        by_code: dict[str, Concept] = {}
        for row in concepts:
            values = {k: row[k] for k in ("iri", "label", "labels", "synonyms", "alt_iris", "mappings")}
            existing = Concept.objects.filter(scheme=scheme, code=row["code"]).first()
            if existing is None:
                # An IRI harvested before the vocabulary listed it becomes this curated concept.
                existing = Concept.objects.filter(iri=row["iri"], is_external=True).first()
                if existing is not None:
                    existing.scheme, existing.code = scheme, str(row["code"])
            if existing is None:
                by_code[str(row["code"])] = Concept.objects.create(scheme=scheme, code=row["code"], **values)
                report.created += 1
                continue
            dirty = existing.is_external
            for key, value in values.items():
                if getattr(existing, key) != value:
                    setattr(existing, key, value)
                    dirty = True
            existing.is_external = False
            if dirty:
                existing.save()
                report.updated += 1
            else:
                report.unchanged += 1
            by_code[str(row["code"])] = existing
        for row in concepts:
            concept = by_code[str(row["code"])]
            parent = by_code.get(str(row["parent"])) if row["parent"] else None
            if row["parent"] and parent is None:
                raise VocabularyError(f"{slug}: parent {row['parent']!r} of {row['code']!r} is not in the scheme")
            if concept.parent_id != (parent.pk if parent else None):
                concept.parent = parent
                concept.save(update_fields=["parent"])
        _check_acyclic(slug, by_code)
        wanted = {(key, c.pk) for row in concepts for c in [by_code[str(row["code"])]] for key in lookup_keys(row)}
        seen: dict[str, int] = {}
        for key, pk in sorted(wanted):
            if key in seen and seen[key] != pk:
                continue  # an ambiguous synonym resolves to the first concept that claims it (sorted by key)
            seen[key] = pk
        current = dict(ConceptKey.objects.filter(scheme=scheme).values_list("key", "concept_id"))
        stale = [k for k, pk in current.items() if k not in seen and not _is_external_key(pk, scheme)]
        ConceptKey.objects.filter(scheme=scheme, key__in=stale).delete()
        for key, pk in seen.items():
            if current.get(key) != pk:
                ConceptKey.objects.update_or_create(scheme=scheme, key=key, defaults={"concept_id": pk})
        report.per_scheme[slug] = len(concepts)
    return report


def _is_external_key(concept_id: int, scheme: ConceptScheme) -> bool:
    return Concept.objects.filter(pk=concept_id, scheme=scheme, is_external=True).exists()


def _check_acyclic(slug: str, by_code: dict[str, Concept]) -> None:
    parents = {c.pk: c.parent_id for c in by_code.values()}
    for start in parents:
        seen = set()
        node: int | None = start
        while node is not None:
            if node in seen:
                raise VocabularyError(f"{slug}: the parent chain of concept {start} has a cycle")
            seen.add(node)
            node = parents.get(node)
