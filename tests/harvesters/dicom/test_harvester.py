"""DicomFolderHarvester on a generated node folder: descriptors, study facts, counters, manifest reuse, and the
P3 / location rules."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest

from harvesters.base import HarvestContext, HarvestError, StagedItem, subject_key_hash
from harvesters.dicom_folder import gate as gate_module
from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS
from harvesters.dicom_folder.harvester import DCM_IRI, DicomFolderHarvester
from tests.harvesters.dicom.conftest import SMALL_DEMO

pytestmark = pytest.mark.django_db

SYNTHETIC = ("breast-mr-demo", "head-neck-ct-pet-demo", "lung-ct-demo", "prostate-mr-demo")


def _gather(context: HarvestContext) -> dict[str, StagedItem]:
    return {item.guid: item for item in DicomFolderHarvester(context).gather()}


def _expected(folder: Path) -> dict[str, Any]:
    """Ground truth for one synthetic dataset, read independently with pydicom."""
    files = [p for p in folder.rglob("*") if p.is_file() and p.name != "dataset.json"]
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in files]
    return {
        "subjects": {h.PatientID for h in headers},
        "studies": {h.StudyInstanceUID for h in headers},
        "series": {h.SeriesInstanceUID for h in headers},
        "instances": len(headers),
        "bytes": sum(p.stat().st_size for p in files),
        "modalities": {h.Modality for h in headers},
        "segs": sum(1 for h in headers if h.Modality == "SEG"),
        "ages": {int(h.PatientAge[:3]) for h in headers},
        "pseudonyms": {h.PatientID for h in headers},
    }


def test_gather_builds_one_descriptor_per_dataset_from_accepted_files(
    vocab: None, demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    context = make_context(demo_folder)
    items = _gather(context)

    assert set(items) == {*SYNTHETIC, "tcia-samples", "refused-samples"}
    for guid in SYNTHETIC:
        item = items[guid]
        assert item.errors == ()
        descriptor = item.descriptor
        assert descriptor is not None
        truth = _expected(demo_folder / guid)
        assert descriptor.n_subjects == len(truth["subjects"])
        assert descriptor.n_studies == len(truth["studies"]) == len(descriptor.study_facts)
        assert descriptor.n_series == len(truth["series"])
        assert descriptor.n_instances == truth["instances"]
        assert descriptor.n_bytes == truth["bytes"]
        assert descriptor.n_segmentations == truth["segs"]
        assert descriptor.modalities == tuple(sorted(DCM_IRI + m for m in truth["modalities"]))
        assert len(descriptor.body_parts) == 1 and descriptor.body_parts[0].startswith("http://snomed.info/id/")
        assert descriptor.min_age is not None and descriptor.min_age <= min(truth["ages"])
        assert descriptor.min_age % 5 == 0
        assert descriptor.max_age is not None and descriptor.max_age >= min(max(truth["ages"]), 90)
        assert descriptor.cancer_types and all("://" in c for c in descriptor.cancer_types)
        assert descriptor.distributions[0].byte_size == truth["bytes"]
        for fact in descriptor.study_facts:
            assert len(fact.subject_key) == 64
            assert fact.subject_key in {subject_key_hash(hashlib.sha256(p.encode()).hexdigest()) for p in truth["pseudonyms"]}
            assert fact.year is not None and 2012 <= fact.year <= 2023
            assert fact.age_band is not None and fact.age_band % 5 == 0
        dumped = json.dumps(descriptor.to_dict(include_private=True))
        assert not any(p in dumped for p in truth["pseudonyms"])  # pseudonyms are hashed, never stored


def test_counters_count_files_and_refusals_by_reason(
    demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    context = make_context(demo_folder)
    _gather(context)
    counters = context.counters
    n_files = sum(1 for p in demo_folder.rglob("*") if p.is_file() and p.name != "dataset.json")
    assert counters.unit == "files"
    assert counters.identified == n_files
    assert counters.entered == n_files and counters.skipped_unchanged == 0
    assert counters.integrated == n_files - 7  # the seven refused samples
    assert counters.errored == 0
    assert counters.refused == Counter({"r1_not_deidentified": 2, "r8_attribute:AccessionNumber": 5})
    assert sorted(path for path, _ in context.refused_paths) == sorted(
        str(p.relative_to(demo_folder)) for p in (demo_folder / "refused-samples").rglob("*")
        if p.is_file() and p.name != "dataset.json"
    )
    figures = context.state["figures"]
    assert figures["tcia-samples"]["studies_identified"] == figures["tcia-samples"]["studies_integrated"] == 3
    assert figures["refused-samples"]["files_refused"] == 7


def test_refused_dataset_and_tcia_dataset(demo_folder: Path, make_context: Callable[..., HarvestContext]) -> None:
    items = _gather(make_context(demo_folder))
    refused = items["refused-samples"]
    assert refused.descriptor is None
    assert [e.code for e in refused.errors] == ["no_accepted_files"]
    tcia = items["tcia-samples"].descriptor
    assert tcia is not None
    assert (tcia.n_subjects, tcia.n_studies, tcia.n_instances) == (3, 3, 3)
    assert tcia.manufacturers == ("Philips Medical Systems",)
    codes = {w.code for w in tcia.warnings}
    assert {"gate_allowance_applied", "gate_object_ignored", "gate_option_attested"} <= codes


def test_second_gather_of_an_unchanged_folder_reads_no_dicom_file(
    demo_folder: Path, make_context: Callable[..., HarvestContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real_dcmread = gate_module.pydicom.dcmread

    def spy(fp: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(getattr(fp, "name", str(fp)))
        return real_dcmread(fp, *args, **kwargs)

    monkeypatch.setattr(gate_module.pydicom, "dcmread", spy)
    first = make_context(demo_folder)
    first_items = _gather(first)
    assert len(reads) == first.counters.identified > 0

    reads.clear()
    second = make_context(demo_folder, state=json.loads(json.dumps(first.state)))  # as persisted in the DB
    second_items = _gather(second)
    assert reads == []
    assert second.counters.skipped_unchanged == second.counters.identified == first.counters.identified
    assert second.counters.entered == 0
    assert second.counters.refused == first.counters.refused
    assert second.refused_paths == first.refused_paths
    for guid, item in first_items.items():
        if item.descriptor is not None:
            assert second_items[guid].descriptor.content_hash() == item.descriptor.content_hash()

    touched = next((demo_folder / "lung-ct-demo").rglob("IM0001.dcm"))
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 1_000_000))
    third = make_context(demo_folder, state=second.state)
    _gather(third)
    assert [os.path.realpath(r) for r in reads] == [os.path.realpath(touched)]


def test_changed_options_invalidate_the_manifest(
    demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    first = make_context(demo_folder)
    _gather(first)
    second = make_context(demo_folder, options={**DEMO_SOURCE_OPTIONS, "workers": 0, "dummy_values": ["XX"]},
                          state=first.state)
    _gather(second)
    assert second.counters.skipped_unchanged == 0


def test_a_malformed_file_is_an_item_error_not_a_job_error(
    demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    victim = next((demo_folder / "breast-mr-demo").rglob("IM0001.dcm"))
    data = victim.read_bytes()
    patient_id_value = data.index(b"DEMO-", data.index(b"DEMO-") + 1)  # PatientName, then PatientID
    victim.write_bytes(data[:patient_id_value + 3])  # cut inside the PatientID value
    context = make_context(demo_folder)
    items = _gather(context)
    assert context.counters.errored == 1
    assert items["breast-mr-demo"].descriptor is not None
    assert (str(victim.relative_to(demo_folder)), "error:malformed") in context.refused_paths
    warnings = {w.code: w.message for w in items["breast-mr-demo"].descriptor.warnings}
    assert "malformed x1" in warnings["files_not_integrated"]


def test_symlink_escaping_the_root_is_refused_and_never_read(
    demo_folder: Path, tmp_path: Path, make_context: Callable[..., HarvestContext],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret.dcm"
    shutil.copy(next((demo_folder / "lung-ct-demo").rglob("IM0001.dcm")), secret)
    (demo_folder / "lung-ct-demo" / "escape.dcm").symlink_to(secret)
    (demo_folder / "escaped-dataset").symlink_to(outside, target_is_directory=True)
    opened: list[str] = []
    real = gate_module.check_file

    def spy(path: Any, policy: Any) -> Any:
        opened.append(os.path.realpath(path))
        return real(path, policy)

    monkeypatch.setattr("harvesters.dicom_folder.pool.check_file", spy)
    context = make_context(demo_folder)
    _gather(context)
    assert context.counters.refused["symlink_escapes_root"] == 2
    assert os.path.realpath(secret) not in opened
    assert ("lung-ct-demo/escape.dcm", "symlink_escapes_root") in context.refused_paths


def test_location_outside_the_allowed_roots_is_refused(
    demo_template: Path, make_context: Callable[..., HarvestContext], harvest_root: Path
) -> None:
    with pytest.raises(HarvestError) as excinfo:
        list(DicomFolderHarvester(make_context(demo_template)).gather())
    assert excinfo.value.code == "location_not_allowed"
    (harvest_root / "link").symlink_to(demo_template, target_is_directory=True)
    with pytest.raises(HarvestError) as excinfo:
        list(DicomFolderHarvester(make_context(harvest_root / "link")).gather())
    assert excinfo.value.code == "location_not_allowed"
    assert str(demo_template) not in excinfo.value.message


def test_options_are_checked_before_anything_is_read(
    demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    with pytest.raises(HarvestError) as excinfo:
        DicomFolderHarvester(make_context(demo_folder, options={"no_such_option": 1}))
    assert excinfo.value.code == "unknown_option"
    with pytest.raises(HarvestError) as excinfo:
        DicomFolderHarvester(make_context(demo_folder, options={"pseudonym_pattern": "("}))
    assert excinfo.value.code == "invalid_option" and "pseudonym_pattern" in excinfo.value.message
    with pytest.raises(HarvestError) as excinfo:
        DicomFolderHarvester(make_context(demo_folder, options={"workers": -1}))
    assert excinfo.value.code == "invalid_option"


def test_more_files_than_max_files_stops_the_job(
    demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    with pytest.raises(HarvestError) as excinfo:
        list(DicomFolderHarvester(make_context(demo_folder, options={**DEMO_SOURCE_OPTIONS, "workers": 0,
                                                                     "max_files": 10})).gather())
    assert excinfo.value.code == "max_files_exceeded"


def test_dataset_folder_named_like_a_patient_and_bad_sidecars_are_item_errors(
    demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    shutil.copytree(demo_folder / "prostate-mr-demo", demo_folder / "Doe^Jane")
    sidecar = json.loads((demo_folder / "breast-mr-demo" / "dataset.json").read_text())
    sidecar["patient_list"] = ["x"]
    (demo_folder / "breast-mr-demo" / "dataset.json").write_text(json.dumps(sidecar))
    context = make_context(demo_folder)
    items = list(DicomFolderHarvester(context).gather())
    errors = {e.code: (item.guid, e.message) for item in items for e in item.errors}
    assert errors["folder_name_identifying"][0].startswith("dicom-folder-")
    assert "Doe" not in errors["folder_name_identifying"][0] + errors["folder_name_identifying"][1]
    assert "patient_list" in errors["sidecar_invalid"][1]
    assert context.counters.refused["folder_name_identifying"] == 1
    assert "breast-mr-demo" not in {item.guid for item in items if item.descriptor is not None}


def test_process_pool_gives_the_same_descriptors_as_the_in_process_gate(
    demo_folder: Path, make_context: Callable[..., HarvestContext]
) -> None:
    local = _gather(make_context(demo_folder))
    pooled_context = make_context(demo_folder, options={**DEMO_SOURCE_OPTIONS, "workers": 2})
    pooled = _gather(pooled_context)
    assert set(pooled) == set(local)
    for guid, item in local.items():
        if item.descriptor is not None:
            assert pooled[guid].descriptor.content_hash() == item.descriptor.content_hash()
    assert pooled_context.counters.integrated == sum(
        1 for p in demo_folder.rglob("*") if p.is_file() and p.name != "dataset.json") - 7


def test_nothing_personal_is_logged(
    demo_folder: Path, make_context: Callable[..., HarvestContext], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _gather(make_context(demo_folder))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused-samples" not in text and "CT_small" not in text and "IM0001" not in text
    assert "Archibald" not in text and "DEMO-" not in text
    assert any("files identified" in r.getMessage() for r in caplog.records)


def test_small_demo_shape_is_what_the_tests_assume() -> None:
    assert SMALL_DEMO["datasets"] == len(SYNTHETIC)
