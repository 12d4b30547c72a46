"""The DICOM kind through the harvest framework: the job report, and no withdrawal when a folder cannot be
identified (its dataset.json broke)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.models import Dataset, DatasetStatus
from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS
from harvesters.models import JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

pytestmark = pytest.mark.django_db


def _run(source):  # type: ignore[no-untyped-def]
    return harvest_job_run(job_id=harvest_job_create(source=source).pk)


def test_a_broken_sidecar_withdraws_nothing_and_the_report_says_why(vocab, demo_folder: Path, tmp_path, settings):
    settings.ATLAS_HARVEST_REPORT_DIR = tmp_path / "reports"
    source = harvest_source_add(name="node", kind="dicom_folder", location=str(demo_folder),
                                options={**DEMO_SOURCE_OPTIONS, "workers": 0}, published=True)
    first = _run(source)
    assert first.status == JobStatus.COMPLETED, first.error_message
    created = first.report["datasets"]["created"]
    assert created >= 2
    assert first.report["figures"]["studies_identified"] >= first.report["figures"]["studies_integrated"] > 0
    assert first.report["unit"] == "files" and first.report["identified"] > 0
    sidecars = sorted(p for p in demo_folder.glob("*/dataset.json"))
    sidecars[0].write_text("{ not json")
    second = _run(source)
    assert second.status == JobStatus.COMPLETED
    assert second.report["datasets"]["withdrawn"] == 0
    assert second.report["withdrawals_skipped"]
    assert Dataset.objects.filter(status=DatasetStatus.WITHDRAWN).count() == 0
