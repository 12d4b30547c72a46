"""Synthetic de-identified DICOM datasets for the demo node, tests and benchmarks (no real person anywhere).

Why synthetic: the catalogue must be demonstrable and testable on thousands of files without real data. Every
file is a valid Part-10 object that the gate accepts under `DEMO_SOURCE_OPTIONS`: PatientIdentityRemoved YES,
declared options, UIDs under 2.25., pseudonyms DEMO-<12 hex>, shifted dates (113107), tiny 8x8 pixel data.

Deterministic: every value comes from a seeded `random.Random` and SHA-256 of the seed, so the same arguments
produce byte-identical files. Idempotent: a file is only written when its bytes differ from what is on disk, so
a second run leaves files and modification times untouched (and a re-harvest reads nothing).

The real TCIA files shipped with the project (harvesters/dicom_folder/samples, CC BY 3.0, see its NOTICE.md) and
test files of the installed pydicom package plus one highdicom SEG are copied into "tcia-samples" and
"refused-samples" datasets, so the demo report shows an accepted real-world dataset and the reasons the other
files are refused. Every machine gets the same files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

DEMO_UID_ROOT = "2.25."
DEMO_PSEUDONYM_PATTERN = r"DEMO-[0-9a-f]{12}"
TCIA_UID_ROOT = "1.3.6.1.4.1.14519.5.2.1."
TCIA_PSEUDONYM_PATTERN = r"[A-Z][A-Za-z0-9-]*[-_][0-9]{2,4}"

# Gate options of a TCIA source, justified one by one in SIDECAR.md ("The TCIA policy"): these are what the
# three real TCIA files need to pass, and every use shows up as a dataset warning.
TCIA_GATE_OPTIONS: dict[str, Any] = {
    "deid_uid_roots": [TCIA_UID_ROOT],
    "pseudonym_pattern": TCIA_PSEUDONYM_PATTERN,
    "private_tag_allowlist": "tcia",
    "attested_deid_options": ["113101"],
    "strip_agreed": ["IconImageSequence"],
    "dummy_values": ["Removed by CTP", "345678"],
    "allowed_values": {
        "AccessionNumber": r"[0-9]{16}",
        "ClinicalTrialTimePointID": r"-?[0-9]{1,5}",
        "RequestAttributesSequence": r".*",
        "ScheduledProcedureStepID": r"[A-Z]{2}[0-9]{7}",
        "RequestedProcedureID": r"[A-Z]{2}[0-9]{7}",
    },
}

# The demo source: synthetic datasets, the TCIA samples and the refused samples under one location.
DEMO_SOURCE_OPTIONS: dict[str, Any] = {
    **TCIA_GATE_OPTIONS,
    "deid_uid_roots": [DEMO_UID_ROOT, TCIA_UID_ROOT],
    "pseudonym_pattern": f"{DEMO_PSEUDONYM_PATTERN}|{TCIA_PSEUDONYM_PATTERN}",
}

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
PET_IMAGE = "1.2.840.10008.5.1.4.1.1.128"
SEG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
_SOP_CLASS = {"CT": CT_IMAGE, "MR": MR_IMAGE, "PT": PET_IMAGE, "SEG": SEG_STORAGE}
IMPLEMENTATION_UID = "2.25.216134517146404131574592390346356118113"
EHDS = "http://data.europa.eu/eli/reg/2025/327/oj"


@dataclass(frozen=True)
class Template:
    """What one synthetic dataset looks like."""

    slug: str
    title: str
    description: str
    cancer_type: str  # a code of the cancer-type vocabulary
    body_part: str
    series: tuple[tuple[str, str], ...]  # (modality, series description)
    manufacturers: tuple[tuple[str, str], ...]  # (manufacturer, model)
    sexes: str  # pick list, e.g. "FM" or "F"
    age_range: tuple[int, int]
    segmentation_share: float = 0.0
    extension: str = ".dcm"
    keywords: tuple[str, ...] = ()


TEMPLATES: tuple[Template, ...] = (
    Template("lung-ct-demo", "Demo lung CT cohort (synthetic)",
             "Synthetic chest CT studies of a lung cancer cohort, with tumour segmentations for some studies.",
             "NSCLC", "CHEST", (("CT", "Axial CT chest"), ("CT", "Axial CT chest lung kernel")),
             (("SIEMENS", "SOMATOM Force"), ("GE MEDICAL SYSTEMS", "Revolution CT")), "FM", (45, 93), 0.4,
             keywords=("lung", "CT", "NSCLC")),
    Template("breast-mr-demo", "Demo breast MR cohort (synthetic)",
             "Synthetic breast MR studies (T2 and dynamic T1) of a breast cancer cohort.",
             "breast-cancer", "BREAST", (("MR", "Axial T2"), ("MR", "Axial T1 dynamic")),
             (("Philips Medical Systems", "Achieva"), ("SIEMENS", "MAGNETOM Skyra")), "F", (32, 82),
             keywords=("breast", "MR")),
    Template("prostate-mr-demo", "Demo prostate MR cohort (synthetic)",
             "Synthetic multiparametric prostate MR studies (T2 and diffusion).",
             "prostate-cancer", "PROSTATE", (("MR", "Axial T2"), ("MR", "Diffusion b800")),
             (("SIEMENS", "MAGNETOM Vida"),), "M", (50, 96), extension="",
             keywords=("prostate", "MR", "mpMRI")),
    Template("head-neck-ct-pet-demo", "Demo head and neck CT/PET cohort (synthetic)",
             "Synthetic head and neck CT and PET studies of a head and neck squamous cell carcinoma cohort.",
             "hnscc", "HEADNECK", (("CT", "Axial CT head neck"), ("PT", "PET AC head neck")),
             (("GE MEDICAL SYSTEMS", "Discovery MI"),), "FM", (40, 85), 0.2,
             keywords=("head and neck", "CT", "PET")),
)


def _uid(*parts: object) -> str:
    """A deterministic 2.25 UID from its parts (120 bits, top bit set so the length is stable)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()
    return DEMO_UID_ROOT + str(int(digest[:30], 16) | (1 << 119))


def _pseudonym(seed: int, slug: str, subject: int) -> str:
    return "DEMO-" + hashlib.sha256(f"{seed}/{slug}/subject/{subject}".encode()).hexdigest()[:12]


def _code_item(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _deid_method() -> Sequence:
    return Sequence([
        _code_item("113100", "DCM", "Basic Application Confidentiality Profile"),
        _code_item("113101", "DCM", "Clean Pixel Data Option"),
        _code_item("113105", "DCM", "Clean Descriptors Option"),
        _code_item("113107", "DCM", "Retain Longitudinal Temporal Information Modified Dates Option"),
        _code_item("113108", "DCM", "Retain Patient Characteristics Option"),
    ])


@dataclass
class InstanceSpec:
    """Everything that varies between two synthetic files."""

    pseudonym: str
    sex: str
    age: int
    study_uid: str
    study_date: str
    series_uid: str
    series_number: int
    modality: str
    series_description: str
    sop_uid: str
    instance_number: int
    manufacturer: str
    model: str
    body_part: str
    frame_uid: str
    pixels: bytes
    referenced: tuple[str, str] | None = None  # (series uid, sop uid) a SEG points at


def build_instance(spec: InstanceSpec) -> Dataset:
    """One synthetic, de-identified Part-10 dataset (a tiny image or a tiny SEG)."""
    sop_class = _SOP_CLASS[spec.modality]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = spec.sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_UID
    meta.ImplementationVersionName = "ATLAS_DEMO_1"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "PRIMARY"] if spec.modality == "SEG" else ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = spec.sop_uid
    ds.StudyDate = spec.study_date
    ds.SeriesDate = spec.study_date
    ds.StudyTime = "120000"
    ds.AccessionNumber = ""
    ds.Modality = spec.modality
    ds.Manufacturer = spec.manufacturer
    ds.ReferringPhysicianName = ""
    ds.SeriesDescription = spec.series_description
    ds.ManufacturerModelName = spec.model
    ds.PatientName = spec.pseudonym
    ds.PatientID = spec.pseudonym
    ds.PatientBirthDate = ""
    ds.PatientSex = spec.sex
    ds.PatientAge = f"{spec.age:03d}Y"
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "Atlas demo generator: PS3.15 Basic Profile with options"
    ds.DeidentificationMethodCodeSequence = _deid_method()
    ds.BodyPartExamined = spec.body_part
    ds.StudyInstanceUID = spec.study_uid
    ds.SeriesInstanceUID = spec.series_uid
    ds.StudyID = ""
    ds.SeriesNumber = spec.series_number
    ds.InstanceNumber = spec.instance_number
    ds.FrameOfReferenceUID = spec.frame_uid
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 8
    ds.Columns = 8
    ds.BurnedInAnnotation = "NO"
    ds.LongitudinalTemporalInformationModified = "MODIFIED"
    if spec.modality == "SEG":
        ds.NumberOfFrames = 1
        ds.BitsAllocated = 1
        ds.BitsStored = 1
        ds.HighBit = 0
        ds.PixelRepresentation = 0
        ds.SegmentationType = "BINARY"
        segment = Dataset()
        segment.SegmentNumber = 1
        segment.SegmentLabel = "Tumour"
        segment.SegmentAlgorithmType = "MANUAL"
        segment.SegmentedPropertyCategoryCodeSequence = Sequence(
            [_code_item("49755003", "SCT", "Morphologically abnormal structure")])
        segment.SegmentedPropertyTypeCodeSequence = Sequence([_code_item("108369006", "SCT", "Neoplasm")])
        ds.SegmentSequence = Sequence([segment])
        if spec.referenced is not None:
            ref_instance = Dataset()
            ref_instance.ReferencedSOPClassUID = CT_IMAGE
            ref_instance.ReferencedSOPInstanceUID = spec.referenced[1]
            ref_series = Dataset()
            ref_series.ReferencedInstanceSequence = Sequence([ref_instance])
            ref_series.SeriesInstanceUID = spec.referenced[0]
            ds.ReferencedSeriesSequence = Sequence([ref_series])
        ds.PixelData = spec.pixels[:8]
    else:
        ds.BitsAllocated = 16
        ds.BitsStored = 12
        ds.HighBit = 11
        ds.PixelRepresentation = 0
        ds.PixelData = spec.pixels
    return ds


def to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@dataclass
class GenerationReport:
    written: int = 0
    unchanged: int = 0
    files: int = 0
    datasets: list[str] = field(default_factory=list)


def write_if_changed(path: Path, data: bytes, report: GenerationReport) -> None:
    """Write atomically, and only when the bytes differ: unchanged files keep their modification time."""
    report.files += 1
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        report.unchanged += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    report.written += 1


def _sidecar(template: Template, slug: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "identifier": slug,
        "title": {"en": template.title},
        "description": {"en": template.description + " Generated by manage.py generate_demo_dicom: no real person."},
        "keywords": list(template.keywords) + ["synthetic"],
        "cancer_types": [template.cancer_type],
        "publisher": {"name": "Atlas demo node", "email": "data-steward@demo-node.example",
                      "homepage": "https://demo-node.example/"},
        "contact": {"name": "Data steward office", "email": "data-steward@demo-node.example"},
        "licence": "CC_BY_4_0",
        "access_rights": "RESTRICTED",
        "access_url": "https://negotiator.demo-node.example/request",
        "access_conditions": ["DOWNLOAD"],
        "applicable_legislation": [EHDS],
        "tier": "1",
        "health_categories": ["RQSH"],
        "health_themes": ["CANCER_DISEASE"],
        "themes": ["HEAL"],
        "dataset_types": ["SPEC1000020"],
        "collection_methods": ["SPEC1000004"],
        "provenance": {"en": "Synthetic images generated for the atlas demo; de-identified by construction."},
        "conforms_to": ["DICOM"],
        "version": "1.0",
        "has_structured_data": False,
    }


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def iter_dataset_files(template: Template, slug: str, *, subjects: int, instances: int,
                       seed: int) -> Iterator[tuple[str, Dataset]]:
    """(relative path, dataset) of every synthetic file of one dataset, in a fixed order."""
    rng = random.Random(f"{seed}/{slug}")
    for subject in range(1, subjects + 1):
        pseudonym = _pseudonym(seed, slug, subject)
        sex = rng.choice(template.sexes)
        age = rng.randint(*template.age_range)
        manufacturer, model = rng.choice(template.manufacturers)
        for study in range(1, rng.choice((1, 1, 2)) + 1):
            study_uid = _uid(seed, slug, subject, study)
            frame_uid = _uid(seed, slug, subject, study, "frame")
            year = rng.randint(2012, 2023)
            study_date = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            study_dir = f"sub-{subject:03d}/ses-{study:02d}"
            first_image: tuple[str, str] | None = None
            for number, (modality, description) in enumerate(template.series, start=1):
                series_uid = _uid(seed, slug, subject, study, number)
                for instance in range(1, instances + 1):
                    sop_uid = _uid(seed, slug, subject, study, number, instance)
                    if first_image is None:
                        first_image = (series_uid, sop_uid)
                    pixels = struct.pack("<64H", *(rng.randrange(4096) for _ in range(64)))
                    spec = InstanceSpec(pseudonym, sex, age, study_uid, study_date, series_uid, number, modality,
                                        description, sop_uid, instance, manufacturer, model, template.body_part,
                                        frame_uid, pixels)
                    name = f"{study_dir}/{modality.lower()}-{number:02d}/IM{instance:04d}{template.extension}"
                    yield name, build_instance(spec)
            if template.segmentation_share and rng.random() < template.segmentation_share:
                number = len(template.series) + 1
                series_uid = _uid(seed, slug, subject, study, "seg")
                sop_uid = _uid(seed, slug, subject, study, "seg", 1)
                spec = InstanceSpec(pseudonym, sex, age, study_uid, study_date, series_uid, number, "SEG",
                                    "Tumour segmentation", sop_uid, 1, manufacturer, model, template.body_part,
                                    frame_uid, bytes(8), referenced=first_image)
                yield f"{study_dir}/seg-{number:02d}/SEG0001{template.extension}", build_instance(spec)


def sample_files() -> dict[str, tuple[tuple[str, Path], ...]]:
    """The real sample files of the demo node: folder name -> (name inside the folder, bundled file)."""
    from config.paths import HIGHDICOM_SEG, TCIA_SAMPLES_DIR, pydicom_sample

    return {
        "tcia-samples": tuple((name, TCIA_SAMPLES_DIR / name) for name in ("1.dcm", "2.dcm", "3.dcm")),
        "refused-samples": (
            ("CT_small.dcm", pydicom_sample("CT_small.dcm")),
            ("MR_small.dcm", pydicom_sample("MR_small.dcm")),
            *((f"CT2-series/{name}", pydicom_sample(name)) for name in ("17106", "17136", "17166", "17196")),
            ("seg_image_ct_binary.dcm", HIGHDICOM_SEG),
        ),
    }


def _sample_sidecars() -> dict[str, dict[str, Any]]:
    common = {
        "schema_version": 1,
        "publisher": {"name": "Atlas demo node", "email": "data-steward@demo-node.example"},
        "contact": {"name": "Data steward office", "email": "data-steward@demo-node.example"},
        "access_rights": "PUBLIC",
        "applicable_legislation": [EHDS],
        "themes": ["HEAL"],
        "conforms_to": ["DICOM"],
    }
    return {
        "tcia-samples": {
            **common,
            "identifier": "tcia-samples",
            "title": {"en": "TCIA sample images (ACRIN-FLT-Breast, PROSTATE-MRI)"},
            "description": {"en": (
                "Three real de-identified images from The Cancer Imaging Archive, as redistributed by the "
                "suyashkumar/dicom test data: two FLT PET studies of ACRIN-FLT-Breast (Kinahan et al., "
                "doi 10.7937/K9/TCIA.2017.ol20zmxg) and one prostate MR of PROSTATE-MRI (Choyke et al., "
                "doi 10.7937/K9/TCIA.2016.6046GUDv). Licence CC BY 3.0."
            )},
            "keywords": ["TCIA", "PET", "MR", "breast", "prostate"],
            "cancer_types": ["breast-cancer", "prostate-cancer"],
            "licence": "CC_BY_3_0",
            "access_url": "https://www.cancerimagingarchive.net/",
            "landing_page": "https://www.cancerimagingarchive.net/",
        },
        "refused-samples": {
            **common,
            "identifier": "refused-samples",
            "title": {"en": "Samples the de-identification gate refuses"},
            "description": {"en": (
                "pydicom and highdicom test files that are not de-identified the way the atlas requires "
                "(no de-identification flag, names, record numbers, original UIDs, dates, private tags). "
                "Every file must be refused; the harvest report lists why."
            )},
            "keywords": ["negative examples"],
        },
    }


def generate(output: Path, *, datasets: int = 4, subjects: int = 25, instances: int = 10, seed: int = 1,
             samples: bool = True) -> GenerationReport:
    """Write the demo folder (see module docstring); return what was written and what was already there."""
    report = GenerationReport()
    output.mkdir(parents=True, exist_ok=True)
    for index in range(datasets):
        template = TEMPLATES[index % len(TEMPLATES)]
        round_ = index // len(TEMPLATES)
        slug = template.slug if round_ == 0 else f"{template.slug}-{round_ + 1}"
        report.datasets.append(slug)
        folder = output / slug
        write_if_changed(folder / "dataset.json", _json_bytes(_sidecar(template, slug)), report)
        for rel, ds in iter_dataset_files(template, slug, subjects=subjects, instances=instances, seed=seed):
            write_if_changed(folder / rel, to_bytes(ds), report)
    if samples:
        sidecars = _sample_sidecars()
        for folder_name, files in sample_files().items():
            for target_rel, source in files:
                write_if_changed(output / folder_name / target_rel, source.read_bytes(), report)
            report.datasets.append(folder_name)
            write_if_changed(output / folder_name / "dataset.json", _json_bytes(sidecars[folder_name]), report)
    return report
