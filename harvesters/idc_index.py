"""The Imaging Data Commons index harvester: one dataset per IDC collection, from the `idc-index-data` package.

Reads the package's parquet files (collections_index for collection metadata, idc_index for its ~1 million
series rows), aggregates per collection and per study with pyarrow (no Python loop over series), and maps
IDC's cancer-type and tumour-location strings to the atlas vocabularies through `data/idc_terms.csv`, then
through the vocabularies' own synonyms. Nothing is downloaded: the data ship inside the installed package.
"""

from __future__ import annotations

import csv
import html
import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.html import strip_tags

from catalogue import disclosure
from catalogue.descriptors import (
    AgentRef,
    DatasetDescriptor,
    DistributionDescriptor,
    FieldWarning,
    Identifier,
    LangText,
    StudyFactRecord,
)
from catalogue.selectors import concept_resolve
from harvesters.base import Harvester, HarvestError, StagedItem, subject_key_hash

logger = logging.getLogger(__name__)

TERMS_FILE = Path(__file__).resolve().parent / "data" / "idc_terms.csv"
PORTAL = "https://portal.imaging.datacommons.cancer.gov/explore/filters/?collection_id="
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
DOWNLOAD = "https://eucaim.github.io/eucaim_dcat_ap/releases/controlled-vocabularies/access-conditions/#DOWNLOAD"
SERIES_COLUMNS = [
    "collection_id", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "PatientAge", "PatientSex", "StudyDate",
    "BodyPartExamined", "Modality", "Manufacturer", "instanceCount", "series_size_MB",
]
SEGMENTATION_MODALITIES = {"SEG", "RTSTRUCT"}


def load_terms(path: Path = TERMS_FILE) -> tuple[dict[str, list[str]], set[str], dict[str, list[str]]]:
    """The curated IDC mapping: cancer type -> codes, the non-cancer terms, tumour location -> body-part codes."""
    cancer: dict[str, list[str]] = {}
    not_cancer: set[str] = set()
    locations: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            codes = [c for c in row["codes"].split("|") if c]
            key = row["term"].strip().casefold()
            if row["kind"] == "cancer_type":
                cancer[key] = codes
            elif row["kind"] == "not_cancer":
                not_cancer.add(key)
            elif row["kind"] == "tumor_location":
                locations[key] = codes
            else:
                raise ValueError(f"{path.name}: unknown kind {row['kind']!r}")
    return cancer, not_cancer, locations


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def sanitise_description(raw: str | None) -> str:
    """IDC descriptions are HTML fragments: keep the text only, entities decoded, blanks collapsed."""
    text = html.unescape(strip_tags(raw or ""))
    return re.sub(r"\s+", " ", text).strip()


def _age_years(value: str | None) -> int | None:
    """DICOM AS to years. "000Y" is a placeholder some de-identification profiles write: unknown, not zero."""
    if not value or value.strip() in {"000Y", "000M", "000W", "000D"}:
        return None
    return disclosure.parse_dicom_age(value.strip())


def _sex(value: str | None) -> str:
    return value.strip().upper()[:1] if value and value.strip().upper()[:1] in {"M", "F", "O"} else "U"


class IdcIndexHarvester(Harvester):
    """One descriptor per IDC collection, with per-study facts for cohort counts."""

    kind = "idc_index"
    OPTIONS = {
        "collections": "only these collection ids (a list), for tests and partial harvests",
        "index_dir": "folder holding the parquet files (default: the installed idc-index-data package)",
    }

    def _index_dir(self) -> Path:
        configured = self.context.options.get("index_dir") or ""
        if configured:
            return Path(configured)
        try:
            import idc_index_data
        except ImportError as exc:
            raise HarvestError("the idc-index-data package is not installed", code="idc_not_installed") from exc
        return Path(os.path.dirname(idc_index_data.IDC_INDEX_PARQUET_FILEPATH))

    def gather(self) -> Iterator[StagedItem]:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        folder = self._index_dir()
        try:
            collections = pq.read_table(folder / "collections_index.parquet").to_pylist()
            series = pq.read_table(folder / "idc_index.parquet", columns=SERIES_COLUMNS)
        except (OSError, pa.ArrowInvalid) as exc:
            raise HarvestError(f"cannot read the IDC index in {folder}: {exc}", code="idc_unreadable") from exc
        wanted = self.context.options.get("collections")
        if wanted:
            wanted = set(wanted)
            collections = [c for c in collections if c["collection_id"] in wanted]
            series = series.filter(pc.is_in(series["collection_id"], value_set=pa.array(sorted(wanted))))
        counters = self.context.counters
        counters.unit = "collections"
        counters.identified = len(collections)
        counters.entered = len(collections)

        studies = series.group_by(["collection_id", "StudyInstanceUID"]).aggregate([
            # "min", not "one": where a study's series disagree, "one" picks a value by thread timing, and a re-run
            # of an unchanged index must give the same facts.
            ("PatientID", "min"), ("PatientSex", "min"), ("PatientAge", "min"), ("StudyDate", "min"),
            ("Modality", "distinct"), ("BodyPartExamined", "distinct"), ("Manufacturer", "distinct"),
            ("SeriesInstanceUID", "count"), ("instanceCount", "sum"), ("series_size_MB", "sum"),
        ])
        per_collection: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in studies.to_pylist():
            per_collection[row["collection_id"]].append(row)
        seg_counts = (
            series.filter(pc.is_in(series["Modality"], value_set=pa.array(sorted(SEGMENTATION_MODALITIES))))
            .group_by("collection_id").aggregate([("SeriesInstanceUID", "count")]).to_pylist()
        )
        segmentations = {r["collection_id"]: r["SeriesInstanceUID_count"] for r in seg_counts}
        terms = load_terms()
        self._resolved: dict[tuple[str, str], str | None] = {}
        self.unmapped: dict[str, set[str]] = defaultdict(set)
        for i, collection in enumerate(sorted(collections, key=lambda c: c["collection_id"])):
            cid = collection["collection_id"]
            descriptor = self._descriptor(collection, per_collection.get(cid, []), segmentations.get(cid, 0), terms)
            counters.integrated += 1
            if self.context.progress:
                self.context.progress(i + 1, len(collections))
            yield StagedItem(guid=cid, descriptor=descriptor)
        self.context.state["unmapped"] = {k: sorted(v) for k, v in sorted(self.unmapped.items())}

    # ------------------------------------------------------------------------------------------ mapping

    def _iri(self, scheme: str, value: str) -> str | None:
        key = (scheme, value)
        if key not in self._resolved:
            concept = concept_resolve(scheme=scheme, value=value)
            self._resolved[key] = concept.iri if concept else None
        return self._resolved[key]

    def _cancer_types(self, raw: str | None, terms: Any, warnings: list[FieldWarning]) -> tuple[list[str], bool]:
        cancer_map, not_cancer, _ = terms
        iris: list[str] = []
        is_cancer = False
        for term in _split(raw):
            key = term.casefold()
            if key in not_cancer:
                continue
            is_cancer = True
            codes = cancer_map.get(key)
            found = [self._iri("cancer-type", c) for c in codes] if codes else [self._iri("cancer-type", term)]
            found = [f for f in found if f]
            if not found:
                self.unmapped["cancer_types"].add(term)
                warnings.append(FieldWarning("cancer_types", "unmapped", f"IDC cancer type {term!r} is not mapped"))
            iris.extend(found)
        return iris, is_cancer

    def _body_part(self, value: str, terms: Any) -> str | None:
        _, _, locations = terms
        key = value.strip().casefold()
        if key in locations:
            codes = locations[key]
            return self._iri("body-part", codes[0]) if codes else None
        return self._iri("body-part", value) or self._iri("body-part", re.sub(r"[\s\-]", "", value).upper())

    def _descriptor(self, c: dict[str, Any], studies: list[dict[str, Any]], n_seg: int, terms: Any) -> DatasetDescriptor:
        cid = c["collection_id"]
        warnings: list[FieldWarning] = []
        cancer_iris, is_cancer = self._cancer_types(c.get("cancer_types"), terms, warnings)
        body_parts: set[str] = set()
        for location in _split(c.get("tumor_locations")):
            iri = self._body_part(location, terms)
            if iri:
                body_parts.add(iri)
            elif location.casefold() not in terms[2]:
                self.unmapped["tumor_locations"].add(location)
        facts: list[StudyFactRecord] = []
        subjects: set[str] = set()
        modalities: set[str] = set()
        manufacturers: set[str] = set()
        sexes: set[str] = set()
        ages: list[int] = []
        years: list[int] = []
        n_series = n_instances = 0
        n_bytes = 0
        for s in studies:
            patient = s["PatientID_min"] or ""
            subjects.add(patient)
            subject_key = subject_key_hash(f"{cid}\x1f{patient}")
            mods = tuple(sorted(m for m in s["Modality_distinct"] if m))
            parts = tuple(sorted(p for p in s["BodyPartExamined_distinct"] if p))
            makers = tuple(sorted({m.strip()[:100] for m in s["Manufacturer_distinct"] if m and m.strip()}))
            age = _age_years(s["PatientAge_min"])
            year = disclosure.coarse_year(s["StudyDate_min"]) if s["StudyDate_min"] else None
            sex = _sex(s["PatientSex_min"])
            size = int(round((s["series_size_MB_sum"] or 0) * 1_000_000))
            facts.append(StudyFactRecord(
                subject_key=subject_key, sex=sex, age_band=disclosure.age_band(age), year=year, modalities=mods,
                body_parts=parts, manufacturers=makers, n_series=s["SeriesInstanceUID_count"],
                n_instances=s["instanceCount_sum"] or 0, n_bytes=size,
            ))
            modalities.update(mods)
            manufacturers.update(makers)
            for part in parts:
                iri = self._iri("body-part", part)
                if iri:
                    body_parts.add(iri)
            if sex != "U":
                sexes.add(sex)
            if age is not None:
                ages.append(age)
            if year is not None:
                years.append(year)
            n_series += s["SeriesInstanceUID_count"]
            n_instances += s["instanceCount_sum"] or 0
            n_bytes += size
        modality_iris = []
        for code in sorted(modalities):
            iri = self._iri("modality", code)
            if iri:
                modality_iris.append(iri)
            else:
                self.unmapped["modalities"].add(code)
        sources = c.get("sources") or []
        originals = [s for s in sources if s.get("source_type") == "original_data"] or sources
        doi = (originals[0].get("source_doi") or "") if originals else ""
        licence_iris = []
        for s in sources:
            lic = s.get("license") or {}
            iri = self._iri("licence", lic.get("license_url") or "") or self._iri("licence", lic.get("license_short_name") or "")
            if iri and iri not in licence_iris:
                licence_iris.append(iri)
        access = {s.get("Access") for s in sources}
        species = [self._iri("species", sp) for sp in _split(c.get("species"))]
        contributors = sorted({(s.get("provenance") or {}).get("data_contributor") or "" for s in sources} - {"", "UNKNOWN"})
        deid = sorted({(s.get("provenance") or {}).get("deidentification_party") or "" for s in sources} - {"", "UNKNOWN"})
        provenance = "Imaging collection published by the NCI Imaging Data Commons"
        if contributors:
            provenance += f"; data contributed through {', '.join(contributors)}"
        if deid:
            provenance += f"; de-identified by {', '.join(deid)}"
        description = sanitise_description(c.get("description"))
        title = (c.get("collection_name") or cid).strip()
        alternative = tuple(
            LangText("en", s["source_title"].strip()) for s in originals if s.get("source_title")
            and s["source_title"].strip() != title
        )
        return DatasetDescriptor(
            guid=cid,
            title=(LangText("en", title),),
            description=(LangText("en", description),) if description else (),
            alternative=alternative,
            doi=doi,
            other_identifiers=tuple(
                Identifier("doi", s["source_doi"]) for s in sources if s.get("source_doi")
            ) + (Identifier("idc_collection_id", cid),),
            keywords=tuple(t for t in _split(c.get("cancer_types")) + _split(c.get("tumor_locations"))),
            themes=tuple(filter(None, [self._iri("data-theme", "HEAL")])),
            health_themes=tuple(filter(None, [self._iri("health-theme", "CANCER_DISEASE")])) if is_cancer else (),
            dataset_types=tuple(filter(None, [
                self._iri("dataset-type", "SPEC1000020"),
                self._iri("dataset-type", "SPEC1000019") if n_seg else None,
            ])),
            access_rights=ACCESS + ("PUBLIC" if access <= {"Public"} else "RESTRICTED"),
            publisher=AgentRef(
                name="NCI Imaging Data Commons", homepage="https://portal.imaging.datacommons.cancer.gov/",
                contact_page="https://portal.imaging.datacommons.cancer.gov/",
            ),
            creators=tuple(AgentRef(name=name) for name in contributors),
            provenance=(LangText("en", provenance),),
            n_subjects=int(c["subjects"]) if c.get("subjects") is not None else len(subjects),
            n_studies=len(studies),
            n_series=n_series,
            n_instances=n_instances,
            n_bytes=n_bytes,
            n_segmentations=n_seg or None,
            min_age=min(ages) if ages else None,
            max_age=min(max(ages), 90) if ages else None,
            acquisition_year_min=min(years) if years else None,
            acquisition_year_max=max(years) if years else None,
            birth_sex=tuple(filter(None, (self._iri("sex", s) for s in sorted(sexes)))),
            cancer_types=tuple(cancer_iris),
            modalities=tuple(modality_iris),
            manufacturers=tuple(sorted(manufacturers))[:200],
            body_parts=tuple(sorted(body_parts)),
            conforms_to=tuple(filter(None, [self._iri("standard", "DICOM")])),
            species=tuple(filter(None, species)),
            modified=c.get("updated") or "",
            landing_page=f"https://doi.org/{doi}" if doi else "",
            distributions=(
                DistributionDescriptor(
                    access_urls=(PORTAL + cid,),
                    media_type="application/dicom",
                    byte_size=n_bytes or None,
                    license=licence_iris[0] if licence_iris else "",
                    rights=(DOWNLOAD,),
                ),
            ),
            study_facts=tuple(facts),
            warnings=tuple(warnings),
        )
