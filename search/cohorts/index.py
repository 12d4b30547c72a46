"""The study facts as integer-coded numpy arrays, loaded once per version of the facts and then only read.

Why not SQL per question: a cohort count needs distinct subjects per dataset over studies filtered on
multi-valued, bar-wrapped code strings (`|CT|SEG|`), plus the all-of modality rule, which is a per-subject
aggregate. On the IDC corpus (168,507 studies) SQLite needs hundreds of milliseconds per question for that;
vectorised over arrays it takes about a millisecond (bench/cohorts.py has the figures against DuckDB).

Staleness: `StudyFact` rows are only ever inserted or deleted (catalogue.services replaces a record's facts
wholesale), ids are never reused (AUTOINCREMENT on SQLite, sequences on PostgreSQL), so (number of rows,
highest id) changes with every change of the facts. Each question reads that fingerprint (about 1 ms) and
rebuilds the arrays when it moved, so an answer never comes from facts the catalogue has
since replaced. The vocabulary keys are fingerprinted the same way, because raw DICOM values are mapped to
vocabulary codes while loading.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Max

from catalogue.models import ConceptKey, StudyFact
from catalogue.selectors import concept_resolve

SEXES = ("F", "M", "O", "U")
UNKNOWN = -1


def _codes(bars: str) -> list[str]:
    return [v for v in bars.split("|") if v]


@dataclass
class FactIndex:
    """Every study fact of the catalogue, one array position per study, grouped by dataset and subject.

    Single-valued attributes are dense arrays; multi-valued ones (modality, body part, manufacturer) are
    inverted lists: value -> sorted positions of the studies that have it. Subjects get dense ids; a subject
    belongs to one dataset (subject hashes are salted per dataset, §0.4: not linked across datasets).
    """

    fingerprint: tuple[object, ...]
    dataset_pks: np.ndarray  # dataset position -> Dataset.pk
    study_dataset: np.ndarray  # study -> dataset position
    study_subject: np.ndarray  # study -> subject id
    subject_dataset: np.ndarray  # subject -> dataset position
    sex: np.ndarray  # study -> index in SEXES
    age_band: np.ndarray  # study -> band lower edge, UNKNOWN when not known
    year: np.ndarray  # study -> year, UNKNOWN when not known
    modality: dict[str, np.ndarray] = field(default_factory=dict)  # vocabulary code -> study positions
    body_part: dict[str, np.ndarray] = field(default_factory=dict)  # vocabulary code -> study positions
    manufacturer: dict[str, np.ndarray] = field(default_factory=dict)  # casefolded name -> study positions

    @property
    def n_studies(self) -> int:
        return int(self.study_dataset.shape[0])

    @property
    def n_subjects(self) -> int:
        return int(self.subject_dataset.shape[0])

    def position_of(self) -> dict[int, int]:
        return {int(pk): i for i, pk in enumerate(self.dataset_pks.tolist())}


def facts_fingerprint() -> tuple[object, ...]:
    """What changes whenever the facts (or the vocabulary keys they are mapped through) change."""
    # Four single-aggregate queries on purpose: SQLite answers a bare COUNT(*) and a MAX of the primary key
    # without scanning (0.2 ms together on the IDC facts), but scans all rows for COUNT(*) and MAX(id) in one
    # statement (40 ms).
    return (
        StudyFact.objects.order_by().count(),
        StudyFact.objects.order_by().aggregate(last=Max("id"))["last"],
        ConceptKey.objects.order_by().count(),
        ConceptKey.objects.order_by().aggregate(last=Max("id"))["last"],
    )


class _Resolver:
    """Raw DICOM values (Modality, BodyPartExamined) -> vocabulary codes, through the vocabularies' keys."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.cache: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str | None:
        if raw not in self.cache:
            concept = concept_resolve(scheme=self.scheme, value=raw)
            self.cache[raw] = concept.code if concept else None
        return self.cache[raw]


FactRow = tuple[int, str, str, "int | None", "int | None", str, str, str]
"""(dataset pk, subject hash, sex, age band, year, modalities, body parts, manufacturers): a StudyFact's columns."""


def index_from_rows(
    rows: Iterable[FactRow],
    *,
    fingerprint: tuple[object, ...] = (),
    modality_code: Callable[[str], str | None] = lambda raw: raw,
    body_part_code: Callable[[str], str | None] = lambda raw: raw,
) -> FactIndex:
    """Build the arrays from fact rows ordered by dataset, then subject (each subject's studies contiguous).

    Raw DICOM values are mapped to vocabulary codes by `modality_code` / `body_part_code` (values that map to
    None cannot be asked for); manufacturers are matched casefolded.
    """
    sex_index = {s: i for i, s in enumerate(SEXES)}
    dataset_pks: list[int] = []
    study_dataset: list[int] = []
    study_subject: list[int] = []
    subject_dataset: list[int] = []
    sexes: list[int] = []
    ages: list[int] = []
    years: list[int] = []
    multi: dict[str, dict[str, list[int]]] = {"modality": {}, "body_part": {}, "manufacturer": {}}
    seen_datasets: set[int] = set()
    last_dataset: int | None = None
    last_subject: str | None = None
    for i, (dataset_pk, subject, sex, age, year, mods, parts, makers) in enumerate(rows):
        if dataset_pk != last_dataset:
            if dataset_pk in seen_datasets:
                raise ValueError("fact rows must be ordered by dataset, then subject")
            seen_datasets.add(dataset_pk)
            dataset_pks.append(dataset_pk)
            last_dataset, last_subject = dataset_pk, None
        if subject != last_subject:
            subject_dataset.append(len(dataset_pks) - 1)
            last_subject = subject
        study_dataset.append(len(dataset_pks) - 1)
        study_subject.append(len(subject_dataset) - 1)
        sexes.append(sex_index.get(sex, sex_index["U"]))
        ages.append(UNKNOWN if age is None else age)
        years.append(UNKNOWN if year is None else year)
        for kind, values in (
            ("modality", {modality_code(v) for v in _codes(mods)}),
            ("body_part", {body_part_code(v) for v in _codes(parts)}),
            ("manufacturer", {v.strip().casefold() for v in _codes(makers)}),
        ):
            for value in values:
                if value:
                    multi[kind].setdefault(value, []).append(i)
    return FactIndex(
        fingerprint=fingerprint,
        dataset_pks=np.asarray(dataset_pks, dtype=np.int64),
        study_dataset=np.asarray(study_dataset, dtype=np.int32),
        study_subject=np.asarray(study_subject, dtype=np.int32),
        subject_dataset=np.asarray(subject_dataset, dtype=np.int32),
        sex=np.asarray(sexes, dtype=np.int8),
        age_band=np.asarray(ages, dtype=np.int16),
        year=np.asarray(years, dtype=np.int16),
        **{kind: {v: np.asarray(p, dtype=np.int32) for v, p in values.items()} for kind, values in multi.items()},
    )


def build_index(fingerprint: tuple[object, ...] | None = None) -> FactIndex:
    """Load every study fact of the catalogue (about a second for the 168,507 IDC studies)."""
    fingerprint = fingerprint if fingerprint is not None else facts_fingerprint()
    rows = (
        StudyFact.objects.order_by("dataset_id", "subject_hash", "id")
        .values_list("dataset_id", "subject_hash", "sex", "age_band", "year", "modalities", "body_parts",
                     "manufacturers")
        .iterator(chunk_size=10_000)
    )
    return index_from_rows(rows, fingerprint=fingerprint, modality_code=_Resolver("modality"),
                           body_part_code=_Resolver("body-part"))


_lock = threading.Lock()
_current: FactIndex | None = None


def current_index() -> FactIndex:
    """The index of the facts as they are now: the loaded one when its fingerprint still holds, else rebuilt.

    One process-wide copy; a rebuild holds a lock so concurrent questions do not load the facts twice.
    """
    global _current
    fingerprint = facts_fingerprint()
    index = _current
    if index is not None and index.fingerprint == fingerprint:
        return index
    with _lock:
        if _current is None or _current.fingerprint != fingerprint:
            _current = build_index(fingerprint)
        return _current


def reset_index() -> None:
    """Forget the loaded index (tests that switch databases; the fingerprint already covers data changes)."""
    global _current
    with _lock:
        _current = None
