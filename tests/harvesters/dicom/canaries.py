"""Canary DICOM files: personal values planted where the de-identification gate must catch them.

`build_canary_folder(root)` writes a harvestable source location (dataset folders with sidecars) and returns
a `CanarySet`: every case (file, source of the case, what was planted), the planted values to look for in
every output, and the source options the folder is meant to be harvested with. The lead reuses it to check
that no planted value reaches the database, the search index, exports, the API or the logs.

Cases:
* one per attribute row of the shipped PS3.15 Table E.1-1 (`config.paths.DEID_TABLE`, read through the gate's
  loader: X, Z, D, U and combined actions), planted at the top level, and one more with the same attribute
  inside a sequence item (2 x rows);
* the R12 free-text detectors, private tags (R11), burned-in text (R4), high-risk objects (R5), R6 objects,
  R17, the declaration rules (R1, R2), MRN-like identifiers (R10), UID roots and dates (R15);
* a dataset folder and a sub-folder named like a patient (their names are planted values too).

Every case starts from a baseline file that the gate accepts under `CANARY_OPTIONS` (checked by the tests),
declaring only the Basic Profile and Clean Pixel Data: nothing kept by an option can hide a canary.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.sequence import Sequence

from config.paths import DEID_TABLE
from harvesters.dicom_folder import demo
from harvesters.dicom_folder.deid_tables import DeidRow, load_deid_table

CANARY_PSEUDONYM = "DEMO-0c0ffee0c0de"
CANARY_OPTIONS: dict[str, Any] = {
    "deid_uid_roots": [demo.DEMO_UID_ROOT],
    "pseudonym_pattern": demo.DEMO_PSEUDONYM_PATTERN,
    "private_tag_allowlist": ['(0013,"CTP",10)'],
}
_MASKED_TAGS = {"50xxxxxx": 0x50003000, "60xx4000": 0x60004000, "60xx3000": 0x60003000}
_NEUTRAL_SEQUENCE = 0x00081032  # Procedure Code Sequence: not in Table E.1-1, a plain container here


@dataclass(frozen=True)
class Canary:
    """One planted file: `source` is "deid-tags" for a row of the PS3.15 table, else the rule family."""

    name: str
    rel: str
    source: str
    keyword: str
    nested: bool
    planted: str


@dataclass
class CanarySet:
    location: Path
    cases: list[Canary] = field(default_factory=list)
    rows: list[DeidRow] = field(default_factory=list)
    planted_values: list[str] = field(default_factory=list)  # DICOM values: must appear in no output at all
    planted_names: list[str] = field(default_factory=list)  # file-system names: only in the node-local report
    baseline_rel: str = ""
    options: dict[str, Any] = field(default_factory=lambda: dict(CANARY_OPTIONS))


def deid_rows() -> list[DeidRow]:
    """Every attribute row of the shipped table, read now from `config.paths.DEID_TABLE` (not the gate's cache)."""
    return list(load_deid_table(DEID_TABLE).rows)


def baseline(index: int = 0, *, options: tuple[str, ...] = ("113100", "113101")) -> Dataset:
    """A file the gate accepts under CANARY_OPTIONS: no dates, no age or sex, only the options given."""
    spec = demo.InstanceSpec(
        pseudonym=CANARY_PSEUDONYM, sex="", age=0, study_uid=demo._uid("canary", "study"),
        study_date="", series_uid=demo._uid("canary", "series"), series_number=1, modality="CT",
        series_description="", sop_uid=demo._uid("canary", "sop", index), instance_number=index + 1,
        manufacturer="ACME Imaging", model="Model 1", body_part="CHEST", frame_uid=demo._uid("canary", "frame"),
        pixels=bytes(128),
    )
    ds = demo.build_instance(spec)
    for keyword in ("StudyDate", "SeriesDate", "StudyTime", "PatientSex", "PatientAge", "SeriesDescription",
                    "LongitudinalTemporalInformationModified"):
        delattr(ds, keyword)
    ds.DeidentificationMethodCodeSequence = Sequence(
        [item for item in ds.DeidentificationMethodCodeSequence if item.CodeValue in options]
    )
    return ds


def write_part10(ds: Dataset, path: Path) -> None:
    """Write preamble, file meta and dataset as they are (also group 0000 elements, which dcmwrite refuses)."""
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    fp.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(fp, ds.file_meta, enforce_standard=True)
    write_dataset(fp, ds)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fp.getvalue())


def _vr(tag: int) -> str:
    vr = dictionary_VR(tag)
    return vr.split(" or ")[0]


def planted_value(vr: str, index: int) -> tuple[Any, str]:
    """(value to write, text to search for in outputs) of the personal value planted in a `vr` element."""
    token = f"Canary{index:04d}"
    if vr == "PN":
        return f"{token}^Jane", f"{token}^Jane"
    if vr in ("LO", "LT", "ST", "UT", "UC"):
        return f"Jane {token} Doe", f"Jane {token} Doe"
    if vr == "SH":
        return f"J {token}", f"J {token}"
    if vr == "CS":
        return f"CANARY{index:04d}", f"CANARY{index:04d}"
    if vr == "AE":
        return f"CANARYAE{index:04d}", f"CANARYAE{index:04d}"
    if vr == "DA":
        date = f"19{40 + index % 50:02d}{1 + index % 12:02d}{1 + index % 28:02d}"
        return date, date
    if vr == "DT":
        stamp = f"19{40 + index % 50:02d}{1 + index % 12:02d}{1 + index % 28:02d}1015{index % 60:02d}"
        return stamp, stamp
    if vr == "TM":
        return f"1015{index % 60:02d}", ""
    if vr == "UI":
        uid = f"1.2.840.113619.2.55.{7000 + index}.19750312"
        return uid, uid
    if vr == "UR":
        url = f"https://{token.lower()}.hospital.example/patient"
        return url, url
    if vr == "AS":
        return "045Y", ""
    if vr == "DS":
        return f"4242.{index:04d}", f"4242.{index:04d}"
    if vr == "IS":
        return f"9{index:05d}", ""
    if vr in ("US", "SS"):
        return 4242, ""
    if vr in ("UL", "SL"):
        return 424242, ""
    if vr in ("FL", "FD"):
        return 42.42, ""
    if vr == "AT":
        return 0x00100010, ""
    if vr == "SQ":
        item = Dataset()
        item.CodeMeaning = f"Jane {token} Doe"
        return Sequence([item]), f"Jane {token} Doe"
    payload = f"CANARY-BYTES-{token}".encode()
    return payload + b"\0" * (len(payload) % 2), f"CANARY-BYTES-{token}"


def _plant(ds: Dataset, tag: int, vr: str, value: Any) -> None:
    if tag >> 16 == 0x0002:
        ds.file_meta.add_new(tag, vr, value)
    else:
        ds.add_new(tag, vr, value)


def _nest(ds: Dataset, tag: int, vr: str, value: Any) -> None:
    item = Dataset()
    item.add_new(tag, vr, value)
    ds.add_new(_NEUTRAL_SEQUENCE, "SQ", Sequence([item]))


def _sidecar(identifier: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "identifier": identifier,
        "title": {"en": "Canary dataset"},
        "description": {"en": "Files with planted personal values that the gate must refuse."},
        "publisher": {"name": "Canary node"},
        "contact": {"email": "steward@canary.example"},
    }


def _extra_cases() -> list[tuple[str, str, Callable[[Dataset], str]]]:
    """(name, rule family, mutate -> planted text) for the rules that are not one attribute row."""

    def set_text(keyword: str, value: str, *, options: tuple[str, ...] = ()) -> Callable[[Dataset], str]:
        def mutate(ds: Dataset) -> str:
            setattr(ds, keyword, value)
            for code in options:
                ds.DeidentificationMethodCodeSequence.append(demo._code_item(code, "DCM", "option"))
            return value

        return mutate

    def nested_text(value: str) -> Callable[[Dataset], str]:
        def mutate(ds: Dataset) -> str:
            item = demo._code_item("LOCAL1", "99LOCAL", value)
            ds.ProcedureCodeSequence = Sequence([item])
            return value

        return mutate

    def private(creator: str, value: str, *, declare: bool) -> Callable[[Dataset], str]:
        def mutate(ds: Dataset) -> str:
            block = ds.private_block(0x0009, creator, create=True)
            block.add_new(0x01, "LO", value)
            if declare:
                ds.DeidentificationMethodCodeSequence.append(demo._code_item("113111", "DCM", "safe private"))
            return value

        return mutate

    def orphan_creator(creator: str) -> Callable[[Dataset], str]:
        def mutate(ds: Dataset) -> str:
            ds.add_new(0x00110010, "LO", creator)
            ds.DeidentificationMethodCodeSequence.append(demo._code_item("113111", "DCM", "safe private"))
            return creator

        return mutate

    def high_risk(**attributes: Any) -> Callable[[Dataset], str]:
        def mutate(ds: Dataset) -> str:
            del ds.BurnedInAnnotation
            ds.DeidentificationMethodCodeSequence = Sequence(
                [i for i in ds.DeidentificationMethodCodeSequence if i.CodeValue != "113101"]
            )
            for keyword, value in attributes.items():
                if keyword == "SOPClassUID":
                    ds.file_meta.MediaStorageSOPClassUID = value
                setattr(ds, keyword, value)
            return ""

        return mutate

    def add_element(tag: int, vr: str, value: Any, planted: str) -> Callable[[Dataset], str]:
        def mutate(ds: Dataset) -> str:
            ds.add_new(tag, vr, value)
            return planted

        return mutate

    def drop_declaration(kind: str) -> Callable[[Dataset], str]:
        def mutate(ds: Dataset) -> str:
            if kind == "flag":
                ds.PatientIdentityRemoved = "NO"
            else:
                del ds.DeidentificationMethodCodeSequence
                del ds.DeidentificationMethod
            return ""

        return mutate

    def media_mismatch(ds: Dataset) -> str:
        ds.file_meta.MediaStorageSOPInstanceUID = demo._uid("canary", "other")
        return ""

    clean = ("113105",)
    sequence = Sequence([Dataset()])
    return [
        ("r12-date-compact", "r12", set_text("SeriesDescription", "Follow-up 20190412", options=clean)),
        ("r12-date-slash", "r12", set_text("StudyDescription", "Scan of 12/04/2019", options=clean)),
        ("r12-month-en", "r12", set_text("ProtocolName", "Baseline Sep1999", options=clean)),
        ("r12-month-es", "r12", set_text("SeriesDescription", "Control marzo 2019", options=clean)),
        ("r12-month-de", "r12", set_text("SeriesDescription", "Kontrolle Dezember 2018", options=clean)),
        ("r12-email", "r12", set_text("Manufacturer", "jane.doe@hospital.example")),
        ("r12-phone", "r12", set_text("Manufacturer", "+34 600 123 456")),
        ("r12-honorific", "r12", set_text("StudyDescription", "Reviewed by Dr. Smithson", options=clean)),
        ("r12-age-sex", "r12", set_text("SeriesDescription", "Patient 55F thorax", options=clean)),
        ("r12-digits", "r12", set_text("ManufacturerModelName", "Scanner 84736251")),
        ("r12-nested-code-meaning", "r12", nested_text("Follow-up of Mrs. Jones 04/05/2018")),
        ("r11-private-undeclared", "r11", private("ACME_HOSPITAL_1", "Jane Private Doe", declare=False)),
        ("r11-private-unlisted", "r11", private("ACME_HOSPITAL_2", "Jane Unlisted Doe", declare=True)),
        ("r11-private-orphan-creator", "r11", orphan_creator("Jane Creator Doe")),
        ("r4-burned-in", "r4", set_text("BurnedInAnnotation", "YES")),
        ("r5-derived-secondary", "r5", high_risk(ImageType=["DERIVED", "SECONDARY"])),
        ("r5-secondary-capture", "r5", high_risk(Modality="OT", SOPClassUID="1.2.840.10008.5.1.4.1.1.7")),
        ("r5-screen-series", "r5", high_risk(SeriesDescription="Screen capture")),
        ("r5-ultrasound", "r5", high_risk(Modality="US")),
        ("r6-waveform", "r6", add_element(0x54000100, "SQ", sequence, "")),
        ("r17-encrypted-attributes", "r17", add_element(0x04000500, "SQ", sequence, "")),
        ("r1-flag-no", "r1", drop_declaration("flag")),
        ("r2-no-method", "r2", drop_declaration("method")),
        ("r10-national-id", "r10", set_text("PatientID", "12345678Z")),
        ("r10-mrn-dashes", "r10", set_text("PatientID", "123-456-789")),
        ("r15-media-mismatch", "r15", media_mismatch),
        ("r15-frame-vendor-root", "r15", set_text("FrameOfReferenceUID", "1.3.12.2.1107.5.1.4.20190412")),
    ]


def build_canary_folder(root: Path, *, rows: list[DeidRow] | None = None) -> CanarySet:
    """Write the canary source location under `root` (replacing it) and describe what was planted."""
    if root.exists():
        shutil.rmtree(root)
    canaries = CanarySet(location=root, rows=rows if rows is not None else deid_rows())
    dataset_dir = root / "canaries"
    dataset_dir.mkdir(parents=True)
    (dataset_dir / "dataset.json").write_text(json.dumps(_sidecar("canaries")), encoding="utf-8")
    canaries.baseline_rel = "canaries/baseline.dcm"
    write_part10(baseline(0), root / canaries.baseline_rel)

    index = 0
    for row in canaries.rows:
        tag = row.tag if row.is_exact else _MASKED_TAGS[row.pattern]
        vr = _vr(tag)
        for nested in (False, True):
            index += 1
            value, text = planted_value(vr, index)
            ds = baseline(index)
            if nested:
                _nest(ds, tag, vr, value)
            else:
                _plant(ds, tag, vr, value)
            rel = f"canaries/tags/c{index:04d}.dcm"
            write_part10(ds, root / rel)
            canaries.cases.append(Canary(f"{row.keyword}{'-nested' if nested else ''}", rel, "deid-tags",
                                         row.keyword, nested, text))
            if text:
                canaries.planted_values.append(text)

    for name, family, mutate in _extra_cases():
        index += 1
        ds = baseline(index)
        text = mutate(ds)
        rel = f"canaries/rules/c{index:04d}.dcm"
        write_part10(ds, root / rel)
        canaries.cases.append(Canary(name, rel, family, "", False, text))
        if text:
            canaries.planted_values.append(text)

    # Folder names: a dataset folder and a sub-folder named like a patient, each with acceptable files inside.
    patient_dataset = "Doe^Jane_19700101"
    (root / patient_dataset).mkdir()
    (root / patient_dataset / "dataset.json").write_text(json.dumps(_sidecar("patient-named")), encoding="utf-8")
    write_part10(baseline(index + 1), root / patient_dataset / "img.dcm")
    canaries.cases.append(Canary("folder-dataset-name", f"{patient_dataset}", "folder", "", False, "Doe^Jane"))
    subfolder = "MRN_84736251"
    write_part10(baseline(index + 2), dataset_dir / subfolder / "img.dcm")
    canaries.cases.append(Canary("folder-subfolder-name", f"canaries/{subfolder}", "folder", "", False,
                                 "84736251"))
    canaries.planted_names.extend([patient_dataset, "Doe^Jane", subfolder, "84736251"])
    return canaries


def outputs_text(items: list[Any], counters: dict[str, Any], state: dict[str, Any]) -> str:
    """Everything a harvest produced that may leave the node, as one searchable string."""
    parts = []
    for item in items:
        parts.append(item.guid)
        parts.extend(f"{e.stage}|{e.code}|{e.message}|{e.guid}" for e in item.errors)
        if item.descriptor is not None:
            parts.append(json.dumps(item.descriptor.to_dict(include_private=True), ensure_ascii=False))
            parts.extend(f"{w.field}|{w.code}|{w.message}" for w in item.descriptor.warnings)
    parts.append(json.dumps(counters, ensure_ascii=False))
    parts.append(json.dumps(state, ensure_ascii=False))
    return "\n".join(parts)


def found_values(text: str, values: list[str]) -> list[str]:
    """Planted values present in `text` as a token (case-insensitive, so a re-cased copy is caught too).

    Token boundaries matter for the all-digit values (dates): "19410201" must be found as a value, not as a
    chance substring of a 64-digit hexadecimal hash or a 2.25 UID in the manifest.
    """
    found = []
    for value in values:
        if value and re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text, re.IGNORECASE):
            found.append(value)
    return found


__all__ = ["CANARY_OPTIONS", "Canary", "CanarySet", "build_canary_folder", "deid_rows", "found_values",
           "outputs_text", "write_part10", "baseline"]
