"""dataset.json: strict schema, unknown fields refused by name, JSON traps refused, R21 detectors on free text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harvesters.dicom_folder.sidecar import SidecarError, parse_sidecar_bytes, read_sidecar

VALID: dict[str, Any] = {
    "schema_version": 1,
    "identifier": "lung-ct",
    "title": "Lung CT cohort",
    "description": {"en": "Chest CT of a lung cancer cohort, acquired 2015-2020.", "fr": "Scanners thoraciques."},
    "publisher": {"name": "Hospital A", "email": "data@hospital-a.example"},
    "contact": {"name": "Data steward", "email": "steward@hospital-a.example"},
    "cancer_types": ["NSCLC"],
    "access_url": "https://negotiator.example/request",
    "issued": "2024-05-01",
}


def _raw(data: Any) -> bytes:
    return json.dumps(data).encode()


def test_valid_sidecar_parses_with_language_maps() -> None:
    sidecar = parse_sidecar_bytes(_raw(VALID))
    assert sidecar.title == {"en": "Lung CT cohort"}
    assert sidecar.description["fr"] == "Scanners thoraciques."
    assert sidecar.publisher.name == "Hospital A"
    assert sidecar.cancer_types == ("NSCLC",)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient_ids": ["X1"]}, "patient_ids"),
        ({"publisher": {"name": "A", "phone_of_patient": "1"}}, "publisher.phone_of_patient"),
        ({"contact": {"name": "Data steward"}}, "contact"),
        ({"identifier": "Has Spaces"}, "identifier"),
        ({"title": {"english": "x"}}, "title.english"),
        ({"keywords": ["ok"] * 31}, "keywords"),
        ({"issued": "2024-13-01"}, "issued"),
        ({"access_url": "http://insecure.example/"}, "access_url"),
        ({"schema_version": 2}, "schema_version"),
        ({"has_structured_data": "yes"}, "has_structured_data"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(SidecarError) as excinfo:
        parse_sidecar_bytes(_raw({**VALID, **change}))
    assert excinfo.value.field == field


@pytest.mark.parametrize(
    ("field", "text", "detector"),
    [
        ("description", "Cohort of Jane, contact jane.doe@mail.example", "email"),
        ("title", "Scans of 12/04/2019", "date"),
        ("keywords", "MRN 8473625", "digits"),
    ],
)
def test_free_text_with_personal_data_is_refused_without_quoting_it(field: str, text: str, detector: str) -> None:
    value: Any = [text] if field == "keywords" else text
    with pytest.raises(SidecarError) as excinfo:
        parse_sidecar_bytes(_raw({**VALID, field: value}))
    assert detector in str(excinfo.value)
    assert text not in str(excinfo.value)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"identifier": "a", "identifier": "b"}',
        b'{"schema_version": NaN}',
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"a": [[[[[[[[[[1]]]]]]]]]]}',
        b'{"title": "x\x00"}',
        b"{" + b" " * 70000 + b"}",
    ],
)
def test_json_traps_are_refused(raw: bytes) -> None:
    with pytest.raises(SidecarError):
        parse_sidecar_bytes(raw)


def test_missing_sidecar_and_symlinked_sidecar_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SidecarError):
        read_sidecar(tmp_path)
    outside = tmp_path / "outside.json"
    outside.write_bytes(_raw(VALID))
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "dataset.json").symlink_to(outside)
    with pytest.raises(SidecarError):
        read_sidecar(folder)
