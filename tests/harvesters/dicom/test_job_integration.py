"""The dicom_folder kind through the harvest framework (harvesters.services): a job over the demo node
completes, counts files, publishes the synthetic and TCIA datasets, and keeps the manifest for the next run."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.models import Dataset, StudyFact
from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS
from harvesters.models import JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

pytestmark = pytest.mark.django_db


def test_a_job_over_the_demo_node_integrates_files_and_reuses_its_manifest(vocab: None, demo_folder: Path) -> None:
    source = harvest_source_add(name="Demo node", kind="dicom_folder", location=str(demo_folder),
                                options={**DEMO_SOURCE_OPTIONS, "workers": 2}, published=True)
    job = harvest_job_run(job_id=harvest_job_create(source=source).pk)
    assert job.status == JobStatus.COMPLETED, (job.error_code, job.error_message)
    report = job.report
    assert report["unit"] == "files"
    assert report["refused_total"] == 7 and report["errored"] == 0
    assert report["integrated"] == report["identified"] - 7
    assert Dataset.objects.count() == 5  # four synthetic datasets and the TCIA samples
    assert StudyFact.objects.exists()
    source.refresh_from_db()
    assert len(source.state["manifest"]) == report["identified"]

    again = harvest_job_run(job_id=harvest_job_create(source=source).pk)
    assert again.status == JobStatus.COMPLETED
    assert again.report["skipped_unchanged"] == report["identified"]
    assert again.report["entered"] == 0
