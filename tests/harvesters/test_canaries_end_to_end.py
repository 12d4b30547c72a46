"""The canary folder (every attribute of the PS3.15 table planted at the top level and in a sequence, plus the rule
cases) harvested through the whole product: every canary is refused, and no planted value reaches the
database, the search index, the DCAT exports, the API, the pages, the logs or the report files."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from rest_framework.test import APIClient

from catalogue.models import Dataset
from harvesters.models import JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add
from tests.harvesters.dicom.canaries import build_canary_folder, found_values

pytestmark = pytest.mark.django_db


def _database_text() -> str:
    rows = []
    for model in apps.get_models():
        if model._meta.app_label in {"catalogue", "harvesters", "search"}:
            for values in model.objects.values_list():
                rows.append(json.dumps(values, default=str, ensure_ascii=False))
    return "\n".join(rows)


def test_every_canary_is_refused_and_no_planted_value_leaves_the_node(vocab, tmp_path, settings, caplog, capfd):
    root = tmp_path / "roots"
    root.mkdir()
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(root.resolve())]
    settings.ATLAS_HARVEST_REPORT_DIR = tmp_path / "reports"
    canaries = build_canary_folder(root / "node")
    assert len(canaries.rows) > 500  # every X/Z/D/U row of config.paths.DEID_TABLE
    assert sum(1 for c in canaries.cases if c.source == "deid-tags") == 2 * len(canaries.rows)

    caplog.set_level(logging.DEBUG)
    source = harvest_source_add(name="Canary node", kind="dicom_folder", location=str(canaries.location),
                                options={**canaries.options, "workers": 2}, published=True)
    job = harvest_job_run(job_id=harvest_job_create(source=source).pk)
    assert job.status == JobStatus.COMPLETED, job.error_message

    # Every canary file is refused (the report file lists each one by path, on the node only).
    report_file = Path(job.report["refused_paths_file"])
    listed = report_file.read_text()
    file_cases = [c for c in canaries.cases if c.source != "folder"]
    missing = [c.rel for c in file_cases if c.rel not in listed]
    assert not missing, f"canaries not refused: {missing[:10]}"
    assert sum(job.report["refused"].values()) >= len(file_cases)
    from harvesters.models import StageError

    kept = set(StageError.objects.filter(job=job, guid__startswith="file:").values_list("guid", flat=True))
    for case in file_cases[:50]:
        assert any(case.rel in line for line in listed.splitlines())
    assert len(kept) >= len(file_cases)  # one keyed path hash per refused file, never the path

    dataset_ids = list(Dataset.objects.values_list("identifier", flat=True))
    client = APIClient()
    texts = {"database": _database_text()}
    texts["api"] = client.get("/api/v1/datasets/?page_size=100").content.decode()
    texts["api"] += "".join(client.get(f"/api/v1/datasets/{i}/").content.decode() for i in dataset_ids)
    texts["pages"] = client.get("/").content.decode()
    texts["pages"] += "".join(client.get(f"/datasets/{i}").content.decode() for i in dataset_ids)
    exports = []
    for fmt in ("ttl", "rdf", "jsonld", "nt"):
        out = tmp_path / f"catalogue.{fmt}"
        call_command("export_dcat", "--format", fmt, "-o", str(out), "--no-progress", stdout=io.StringIO(),
                     stderr=io.StringIO())
        exports.append(out.read_text())
    texts["exports"] = "\n".join(exports)
    captured = capfd.readouterr()
    texts["logs"] = "\n".join(r.getMessage() for r in caplog.records) + captured.out + captured.err
    texts["job report"] = json.dumps(job.report)
    texts["report files"] = "\n".join(p.read_text() for p in (tmp_path / "reports").rglob("*") if p.is_file())

    for where, text in texts.items():
        assert found_values(text, canaries.planted_values) == [], where
    for where in ("database", "api", "pages", "exports", "logs", "job report"):
        assert found_values(texts[where], canaries.planted_names) == [], where
