"""Descriptor sheets: CSV or JSON files with one dataset per row / object (the route EUCAIM data holders use).

The schema is strict (docs/privacy.md R19-R21): an unknown column or key refuses the file, naming the field; a row
that looks like one subject rather than a dataset (one subject, a birth date, a patient id) is refused with
its row number; every string passes the free-text detectors. Small subject totals are stored and published
under the disclosure rules (docs/privacy.md §0.1: "<10", and omitted from RDF).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from catalogue.descriptors import (
    AgentRef,
    ContactPoint,
    DatasetDescriptor,
    DistributionDescriptor,
    FieldWarning,
    LangText,
)
from catalogue.selectors import concept_resolve
from harvesters.base import Harvester, HarvestError, StagedItem, StageErrorInfo, within_roots
from harvesters.dicom_folder.detectors import detect as find_personal_data

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_FIELD = 32 * 1024
MAX_DEPTH = 8


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, int, list, concept, concepts, email, url, bool
    scheme: str = ""
    help: str = ""
    free_text: bool = True


SCHEMA: tuple[Column, ...] = (
    Column("id", "text", help="stable id of the dataset in this sheet (required)"),
    Column("title", "text", help="title (required)"),
    Column("description", "text"),
    Column("language", "text", help="language tag of title and description, default en"),
    Column("keywords", "list"),
    Column("cancer_types", "concepts", "cancer-type", "codes, names, synonyms (NSCLC) or IRIs, |-separated"),
    Column("modalities", "concepts", "modality", "DICOM modality codes, |-separated"),
    Column("body_parts", "concepts", "body-part", "DICOM body part terms, |-separated"),
    Column("manufacturers", "list"),
    Column("sex", "concepts", "sex", "F|M|O|U"),
    Column("n_subjects", "int"),
    Column("n_studies", "int", help="number of imaging studies"),
    Column("n_series", "int"),
    Column("n_instances", "int"),
    Column("size_bytes", "int"),
    Column("n_segmentations", "int"),
    Column("min_age", "int"),
    Column("max_age", "int"),
    Column("year_min", "int", help="first acquisition year"),
    Column("year_max", "int", help="last acquisition year"),
    Column("access_rights", "concept", "access-right", "PUBLIC, RESTRICTED or NON_PUBLIC"),
    Column("licence", "concept", "licence"),
    Column("access_url", "url", help="where access is requested (EUCAIM: the Negotiator URL)"),
    Column("access_conditions", "concepts", "access-condition", "DOWNLOAD, IN_SITU_PROCESSING, REMOTE_PROCESSING"),
    Column("landing_page", "url"),
    Column("doi", "text", free_text=False),
    Column("publisher", "text"),
    Column("publisher_email", "email"),
    Column("contact_email", "email"),
    Column("contact_url", "url"),
    Column("tier", "concept", "tier"),
    Column("collection_methods", "concepts", "collection-method"),
    Column("dataset_types", "concepts", "dataset-type"),
    Column("countries", "concepts", "country"),
    Column("species", "concepts", "species"),
    Column("version", "text", free_text=False),
)
COLUMNS = {c.name: c for c in SCHEMA}
SUBJECT_LEVEL = {"patient_id", "patientid", "subject_id", "patient", "patient_name", "birth_date", "birthdate",
                 "dob", "date_of_birth", "mrn", "name", "study_date", "accession_number"}


class SheetError(HarvestError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise SheetError(f"duplicate key(s) {sorted(dupes)}", code="duplicate_key")
    return dict(pairs)


def _reject_constant(value: str) -> Any:
    raise SheetError(f"{value} is not a number JSON allows", code="invalid_json")


def read_rows(data: bytes, fmt: str) -> list[dict[str, Any]]:
    """Parse a sheet strictly into rows of field -> raw value."""
    if len(data) > MAX_BYTES:
        raise SheetError(f"the sheet is larger than {MAX_BYTES} bytes", code="too_large")
    if b"\x00" in data:
        raise SheetError("the sheet contains NUL bytes", code="invalid_encoding")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError(f"the sheet is not UTF-8 (byte {exc.start})", code="invalid_encoding") from exc
    if fmt == "json":
        try:
            obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise SheetError(f"the sheet is not valid JSON: {exc}", code="invalid_json") from exc
        rows = obj.get("datasets") if isinstance(obj, dict) else obj
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SheetError('a JSON sheet is a list of objects, or {"datasets": [...]}', code="invalid_json")
        if isinstance(obj, dict) and set(obj) - {"datasets"}:
            raise SheetError(f"unknown top-level key(s) {sorted(set(obj) - {'datasets'})}", code="unknown_field")
        return rows
    csv.field_size_limit(MAX_FIELD)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = []
        for row in reader:
            if None in row:
                raise SheetError(f"row {reader.line_num}: more cells than columns", code="malformed_row")
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise SheetError(f"more than {MAX_ROWS} rows", code="too_large")
    except csv.Error as exc:
        raise SheetError(f"the CSV is malformed: {exc}", code="malformed_csv") from exc
    return rows


class RowError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split("|") if v.strip()]


def _as_int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise RowError("invalid_value", f"{name} must be a whole number")
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise RowError("invalid_value", f"{name} must be a whole number") from exc
    if number < 0:
        raise RowError("invalid_value", f"{name} must not be negative")
    return number


def parse_row(row: dict[str, Any], resolve: Callable[[str, str], str | None]) -> tuple[DatasetDescriptor, list[str]]:
    """Turn one row into a descriptor; RowError names the field when the row must be refused."""
    for key in row:
        if key.strip().casefold() in SUBJECT_LEVEL:
            raise RowError("per_subject_row", f"field {key!r} is subject-level data")
        if key not in COLUMNS:
            raise RowError("unknown_field", f"unknown field {key!r}")
    for name, value in row.items():
        column = COLUMNS[name]
        for item in _as_list(value) if column.kind in {"list", "concepts"} else [value]:
            if isinstance(item, (dict, list)):
                raise RowError("invalid_value", f"{name} must be a string or a number")
            if column.free_text and isinstance(item, str) and column.kind in {"text", "list"}:
                hit = find_personal_data(item)
                if hit:
                    raise RowError("free_text_personal_data", f"{name}: looks like personal data ({hit})")
            if isinstance(item, str) and len(item) > MAX_FIELD:
                raise RowError("too_long", f"{name} is longer than {MAX_FIELD} characters")
    guid = str(row.get("id") or "").strip()
    title = str(row.get("title") or "").strip()
    if not guid:
        raise RowError("missing_field", "id is required")
    if not title:
        raise RowError("missing_field", "title is required")
    ints = {name: _as_int(name, row.get(name)) for name, c in COLUMNS.items() if c.kind == "int"}
    if ints["n_subjects"] == 1:
        raise RowError("per_subject_row", "n_subjects is 1: a row describes a dataset, not a subject")
    warnings: list[str] = []

    def concepts(name: str) -> tuple[str, ...]:
        out = []
        for value in _as_list(row.get(name)):
            iri = resolve(COLUMNS[name].scheme, value)
            if iri is None:
                raise RowError("unknown_term", f"{name}: a value is not in the {COLUMNS[name].scheme} vocabulary")
            out.append(iri)
        return tuple(out)

    def concept(name: str) -> str:
        found = concepts(name)
        if len(found) > 1:
            raise RowError("invalid_value", f"{name} takes one value")
        return found[0] if found else ""

    lang = str(row.get("language") or "en").strip()
    publisher = None
    if row.get("publisher"):
        publisher = AgentRef(name=str(row["publisher"]).strip(), email=str(row.get("publisher_email") or "").strip())
    contacts = ()
    if row.get("contact_email") or row.get("contact_url"):
        contacts = (ContactPoint(email=str(row.get("contact_email") or ""), url=str(row.get("contact_url") or "")),)
    distributions = ()
    if row.get("access_url"):
        distributions = (
            DistributionDescriptor(
                access_urls=(str(row["access_url"]).strip(),), license=concept("licence"),
                rights=concepts("access_conditions"),
            ),
        )
    descriptor = DatasetDescriptor(
        guid=guid,
        title=(LangText(lang, title),),
        description=(LangText(lang, str(row["description"]).strip()),) if row.get("description") else (),
        doi=str(row.get("doi") or "").strip(),
        keywords=tuple(_as_list(row.get("keywords"))),
        cancer_types=concepts("cancer_types"),
        modalities=concepts("modalities"),
        body_parts=concepts("body_parts"),
        manufacturers=tuple(_as_list(row.get("manufacturers"))),
        birth_sex=concepts("sex"),
        n_subjects=ints["n_subjects"],
        n_studies=ints["n_studies"],
        n_series=ints["n_series"],
        n_instances=ints["n_instances"],
        n_bytes=ints["size_bytes"],
        n_segmentations=ints["n_segmentations"],
        min_age=min(ints["min_age"], 90) if ints["min_age"] is not None else None,
        max_age=min(ints["max_age"], 90) if ints["max_age"] is not None else None,
        acquisition_year_min=ints["year_min"],
        acquisition_year_max=ints["year_max"],
        access_rights=concept("access_rights"),
        landing_page=str(row.get("landing_page") or "").strip(),
        publisher=publisher,
        contact_points=contacts,
        tier=concept("tier"),
        collection_methods=concepts("collection_methods"),
        dataset_types=concepts("dataset_types"),
        spatial=concepts("countries"),
        species=concepts("species"),
        version=str(row.get("version") or "").strip(),
        distributions=distributions,
        warnings=tuple(FieldWarning("row", "warning", w) for w in warnings),
    )
    return descriptor, warnings


class DescriptorSheetHarvester(Harvester):
    kind = "descriptor_sheet"
    OPTIONS = {"format": "csv or json (default: from the file extension)"}

    def gather(self) -> Iterator[StagedItem]:
        path = within_roots(self.context.location)
        fmt = self.context.options.get("format") or path.suffix.lower().lstrip(".")
        if fmt not in {"csv", "json"}:
            raise SheetError(f"unknown sheet format {fmt!r} (csv or json)", code="unknown_format")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SheetError(f"cannot read the sheet: {exc.strerror}", code="unreadable") from exc
        rows = read_rows(data, fmt)
        unknown = sorted({k for r in rows for k in r} - set(COLUMNS) - SUBJECT_LEVEL)
        if unknown:
            raise SheetError(f"unknown field(s) {unknown}; the schema is in the README", code="unknown_field")
        counters = self.context.counters
        counters.unit = "rows"
        counters.identified = counters.entered = len(rows)
        cache: dict[tuple[str, str], str | None] = {}

        def resolve(scheme: str, value: str) -> str | None:
            if (scheme, value) not in cache:
                found = concept_resolve(scheme=scheme, value=value)
                cache[(scheme, value)] = found.iri if found else None
            return cache[(scheme, value)]

        for number, row in enumerate(rows, start=2 if fmt == "csv" else 1):
            guid = str(row.get("id") or f"row-{number}").strip()
            try:
                descriptor, _ = parse_row(row, resolve)
            except RowError as exc:
                if exc.code in {"per_subject_row", "free_text_personal_data"} or find_personal_data(guid):
                    guid = f"row-{number}"  # the row's own id may be the personal value: never keep it
                    self.context.mark_incomplete("a refused row's id could not be kept, so its dataset is unknown")
                if exc.code in {"per_subject_row", "free_text_personal_data"}:
                    self.context.refuse(exc.code)
                else:
                    counters.errored += 1
                yield StagedItem(guid=guid, descriptor=None, errors=(
                    StageErrorInfo(stage="parse", code=exc.code, message=f"row {number}: {exc.message}", guid=guid),
                ))
            except ValueError as exc:
                counters.errored += 1
                yield StagedItem(guid=guid, descriptor=None, errors=(
                    StageErrorInfo(stage="parse", code="invalid_value", message=f"row {number}: {exc}", guid=guid),
                ))
            else:
                counters.integrated += 1
                yield StagedItem(guid=guid, descriptor=descriptor)
            if self.context.progress:
                self.context.progress(number, len(rows))
