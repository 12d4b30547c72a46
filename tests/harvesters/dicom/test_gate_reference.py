"""The gate on real files: the three TCIA files pass under a TCIA policy, the pydicom and highdicom test files
are refused for the reasons a reviewer would give, and broken files are errors, not crashes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.sequence import Sequence

from harvesters.dicom_folder.demo import TCIA_GATE_OPTIONS, _code_item
from harvesters.dicom_folder.gate import ACCEPTED, ERROR, REFUSED, GatePolicy, check_file
from tests.harvesters.dicom.conftest import HIGHDICOM_SEG, TCIA, pydicom_sample

TCIA_FILES = {
    # file: (modality, body part, sex, age band, year, PatientID)
    "1.dcm": ("PT", "BREAST", "F", 35, 1960, "ACRIN-FLT-Breast_029"),
    "2.dcm": ("PT", "BREAST", "F", 45, 1960, "ACRIN-FLT-Breast_028"),
    "3.dcm": ("MR", "PROSTATE", "M", None, 2006, "MIP-PROSTATE-01-0022"),
}


@pytest.mark.parametrize("name", sorted(TCIA_FILES))
def test_real_tcia_file_passes_under_the_tcia_policy(name: str, tcia_policy: GatePolicy) -> None:
    result = check_file(TCIA / name, tcia_policy)
    assert result.status == ACCEPTED, result.reasons
    modality, body_part, sex, band, year, patient_id = TCIA_FILES[name]
    facts = result.facts
    assert facts is not None
    assert (facts.modality, facts.body_part, facts.sex, facts.age_band, facts.year) == (
        modality, body_part, sex, band, year)
    assert facts.subject_key == hashlib.sha256(patient_id.encode()).hexdigest()
    assert facts.study_uid.startswith("1.3.6.1.4.1.14519.5.2.1.")
    assert facts.n_bytes == (TCIA / name).stat().st_size
    assert not facts.is_segmentation


def test_tcia_files_report_every_exception_the_policy_made(tcia_policy: GatePolicy) -> None:
    notes = {name: set(check_file(TCIA / name, tcia_policy).notes) for name in TCIA_FILES}
    assert "stripped:IconImageSequence" in notes["1.dcm"]
    assert "allowance:ClinicalTrialTimePointID" in notes["2.dcm"]
    assert {"allowance:AccessionNumber", "allowance:RequestAttributesSequence", "attested:113101"} <= notes["3.dcm"]


@pytest.mark.parametrize(
    ("name", "option", "expected"),
    [
        ("1.dcm", "strip_agreed", "r6_object:IconImageSequence"),
        ("1.dcm", "private_tag_allowlist", "r11_private_unlisted:(0013,xx10)"),
        ("1.dcm", "dummy_values", "r8_attribute:StudyID"),
        ("2.dcm", "allowed_values", "r8_attribute:ClinicalTrialTimePointID"),
        ("3.dcm", "attested_deid_options", "r5_high_risk:ImageType"),
        ("3.dcm", "allowed_values", "r8_attribute:AccessionNumber"),
        ("3.dcm", "pseudonym_pattern", "r10_not_pseudonym:PatientID"),
        ("3.dcm", "deid_uid_roots", "r15_root:StudyInstanceUID"),
    ],
)
def test_each_tcia_option_is_needed(name: str, option: str, expected: str) -> None:
    """Without one of the documented options the file is refused, by the rule that option relaxes."""
    options = {k: v for k, v in TCIA_GATE_OPTIONS.items() if k != option}
    result = check_file(TCIA / name, GatePolicy.from_options(options))
    assert result.status == REFUSED
    assert expected in result.reasons


@pytest.mark.parametrize(
    ("path", "primary", "expected"),
    [
        (pydicom_sample("CT_small.dcm"), "r1_not_deidentified",
         {"r2_no_method", "r8_attribute:PatientName", "r10_not_pseudonym:PatientID", "r11_private_undeclared",
          "r16_identity:InstitutionName", "r8_attribute:OtherPatientIDsSequence",
          "r15_denied_root:StudyInstanceUID"}),
        (pydicom_sample("MR_small.dcm"), "r1_not_deidentified",
         {"r2_no_method", "r8_attribute:OperatorsName", "r8_attribute:ImageComments",
          "r8_attribute:DataSetTrailingPadding"}),
        (pydicom_sample("17106"), "r8_attribute:AccessionNumber",
         {"r8_attribute:PatientName", "r10_mrn:PatientID", "r11_private_undeclared", "r8_attribute:ReasonForStudy",
          "r8_attribute:StudyDate", "r15_denied_root:SOPInstanceUID"}),
        (HIGHDICOM_SEG, "r5_high_risk:ImageType",
         {"r8_attribute:PatientName", "r10_mrn:PatientID", "r16_identity:DeviceSerialNumber",
          "r15_root:SOPInstanceUID", "r15_root:DimensionOrganizationUID"}),
    ],
    ids=["CT_small", "MR_small", "CT2-17106", "highdicom-SEG"],
)
def test_test_files_are_refused_with_the_reasons_a_reviewer_would_give(
    path: Path, primary: str, expected: set[str], tcia_policy: GatePolicy
) -> None:
    """Under the default policy (and the lenient TCIA one) none of these files is de-identified enough."""
    for policy in (GatePolicy(), tcia_policy):
        result = check_file(path, policy)
        assert result.status == REFUSED
        assert result.facts is None
        assert expected <= set(result.reasons), sorted(set(result.reasons))
    assert check_file(path, GatePolicy()).primary_reason == primary


def test_reasons_never_quote_a_value() -> None:
    result = check_file(pydicom_sample("CT_small.dcm"), GatePolicy())
    text = " ".join(result.reasons + result.notes)
    for value in ("CompressedSamples", "1CT1", "JFK", "ISOVUE", "20040119", "5962.1.1.1.1.1"):
        assert value not in text


def _sanitised_seg(tmp_path: Path, *, clean_pixels: bool) -> Path:
    """The highdicom SEG with its test identity replaced as a de-identifier would (pseudonym, 2.25 UIDs)."""
    ds = pydicom.dcmread(HIGHDICOM_SEG)
    uid_map: dict[str, str] = {}

    def remap(dataset: Any, elem: Any) -> None:
        if elem.VR == "UI" and elem.keyword not in {"SOPClassUID", "ReferencedSOPClassUID",
                                                    "MediaStorageSOPClassUID", "TransferSyntaxUID"}:
            values = elem.value if isinstance(elem.value, list) else [elem.value]
            mapped = [uid_map.setdefault(v, "2.25." + str(int(hashlib.sha256(v.encode()).hexdigest()[:30], 16)))
                      for v in values]
            elem.value = mapped if isinstance(elem.value, list) else mapped[0]

    ds.walk(remap)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for keyword in ("StudyDate", "ContentDate", "StudyTime", "ContentTime", "AccessionNumber", "StudyID",
                    "StudyDescription", "PatientAge", "DeviceSerialNumber", "DeidentificationMethod",
                    "RequestingService"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.PatientName = "DEMO-5e65e65e65e6"
    ds.PatientID = "DEMO-5e65e65e65e6"
    codes = ["113100"] + (["113101"] if clean_pixels else [])
    ds.DeidentificationMethodCodeSequence = Sequence([_code_item(c, "DCM", "option") for c in codes])
    path = tmp_path / "seg.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_highdicom_seg_passes_once_de_identified_and_is_flagged_as_a_segmentation(tmp_path: Path) -> None:
    policy = GatePolicy.from_options({"pseudonym_pattern": "DEMO-[0-9a-f]{12}"})
    result = check_file(_sanitised_seg(tmp_path, clean_pixels=True), policy)
    assert result.status == ACCEPTED, result.reasons
    assert result.facts is not None
    assert result.facts.is_segmentation and result.facts.modality == "SEG"


def test_highdicom_seg_without_clean_pixel_data_is_a_high_risk_derived_object(tmp_path: Path) -> None:
    """A SEG is DERIVED and declares no BurnedInAnnotation: R5 wants 113101 (Clean Pixel Data) declared."""
    policy = GatePolicy.from_options({"pseudonym_pattern": "DEMO-[0-9a-f]{12}"})
    result = check_file(_sanitised_seg(tmp_path, clean_pixels=False), policy)
    assert result.reasons == ("r5_high_risk:ImageType",)


def test_a_file_without_dicm_preamble_is_refused_as_not_part10(tmp_path: Path) -> None:
    text = tmp_path / "notes"
    text.write_text("not a DICOM file at all")
    raw = tmp_path / "raw"
    # A bare dataset without preamble or file meta: readable with force=True, which P2 forbids.
    raw.write_bytes((pydicom_sample("CT_small.dcm")).read_bytes()[128 + 4 + 204:])
    for path in (text, raw):
        assert check_file(path, GatePolicy()).reasons == ("p2_not_part10",)


def test_a_dicm_file_without_file_meta_is_refused_as_not_part10(tmp_path: Path) -> None:
    path = tmp_path / "nometa.dcm"
    source = (pydicom_sample("CT_small.dcm")).read_bytes()
    meta_end = 128 + 4 + 12 + int.from_bytes(source[140:144], "little")
    path.write_bytes(source[:132] + source[meta_end:])
    assert check_file(path, GatePolicy()).reasons == ("p2_not_part10",)


def test_truncated_and_corrupted_files_are_errors_not_crashes(tmp_path: Path, demo_template: Path,
                                                              demo_policy: GatePolicy) -> None:
    source = next((demo_template / "lung-ct-demo").rglob("IM0001.dcm")).read_bytes()
    assert check_file(next((demo_template / "lung-ct-demo").rglob("IM0001.dcm")), demo_policy).status == ACCEPTED
    statuses = set()
    for cut in (len(source) - 1, len(source) - 60, 700, 333):
        path = tmp_path / f"cut{cut}.dcm"
        path.write_bytes(source[:cut])
        result = check_file(path, demo_policy)
        assert result.status != ACCEPTED
        statuses.add(result.status)
    garbage = tmp_path / "garbage.dcm"
    garbage.write_bytes(source[:200] + bytes(range(256)) * 8)
    assert check_file(garbage, demo_policy).status in {ERROR, REFUSED}
    assert ERROR in statuses


def test_a_file_over_the_size_cap_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "big.dcm"
    shutil.copy(TCIA / "1.dcm", path)
    assert check_file(path, GatePolicy(max_file_bytes=4096)).reasons == ("file_too_large",)


def test_an_element_after_the_pixel_data_is_seen(tmp_path: Path, demo_template: Path,
                                                 demo_policy: GatePolicy) -> None:
    """stop_before_pixels would hide (FFFC,FFFC) and (FFFA,FFFA): the gate reads past the pixel data."""
    ds = pydicom.dcmread(next((demo_template / "lung-ct-demo").rglob("IM0001.dcm")))
    ds.add_new(0xFFFCFFFC, "OB", b"Jane Doe, born 1970")
    path = tmp_path / "tail.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert "r8_attribute:DataSetTrailingPadding" in check_file(path, demo_policy).reasons
