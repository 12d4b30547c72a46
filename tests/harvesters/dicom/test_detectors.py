"""R12 free-text detectors: each fires on its kind of personal text and stays quiet on technical text."""

from __future__ import annotations

import pytest

from harvesters.dicom_folder.detectors import detect, detect_in_name


@pytest.mark.parametrize(
    ("text", "detector"),
    [
        ("Follow-up 20190412", "date"), ("scan 12/04/2019", "date"), ("3.4.19", "date"),
        ("Sep1999", "month_year"), ("mars 2019", "month_year"), ("Dezember 2018", "month_year"),
        ("marzo 2019", "month_year"), ("2019 maggio", "month_year"), ("outubro 2020", "month_year"),
        ("jane.doe@hospital.example", "email"), ("+34 600 123 456", "phone"), ("0612-345-678", "phone"),
        ("Dr. Smith", "honorific"), ("Prof Moreau", "honorific"), ("Sra. García", "honorific"),
        ("55F", "age_sex"), ("patient 72 M", "age_sex"), ("MRN 1234567", "digits"),
    ],
)
def test_detector_fires(text: str, detector: str) -> None:
    assert detect(text) == detector


@pytest.mark.parametrize(
    "text",
    ["Axial T2", "PET-CT STUDY", "OSEM2D 2i8s", "XYZ Gauss6.00", "measured,/MAR^CT Breast  3.0  B30f",
     "Philips Medical Systems", "WIP SSh_DWI FAST SENSE", "Days offset from diagnosis", "slice 5 mm",
     "acquired 2015-2020", "Model-based", "F^18^[^18^Fluorine]", ""],
)
def test_detector_stays_quiet_on_technical_text(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Doe^Jane", "person_name"), ("DOE, Jane", "person_name"), ("MRN_84736251", "digits"),
     ("Smith_19700101", "date"), ("lung-ct", None), ("sub-001", None), ("IM0001.dcm", None),
     ("1.2.840.113619.2.55.3.604688119.969", None)],
)
def test_names_are_checked_like_free_text_but_uid_names_are_not_digit_runs(name: str, expected: str | None) -> None:
    assert detect_in_name(name) == expected
