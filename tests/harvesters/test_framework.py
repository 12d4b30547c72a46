"""The harvest framework, driven through real descriptor sheets: staging, one-transaction apply, withdrawal
rules, concurrency, failure handling, reports, commands."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.errors import Conflict, ValidationError
from catalogue.models import Dataset, DatasetStatus
from catalogue.selectors import dataset_list_public
from harvesters.models import HarvestJob, JobStatus, StageError
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

pytestmark = pytest.mark.django_db

FIELDS = ["id", "title", "description", "cancer_types", "modalities", "n_subjects", "n_studies", "access_rights"]


def write_sheet(
    path: Path, n: int, *, start: int = 0, extra: dict[str, str] | None = None, title: str = "Cohort"
) -> Path:
    rows = [
        {
            "id": f"ds-{i}",
            "title": f"{title} {i}",
            "description": "Chest CT of lung cancer patients.",
            "cancer_types": "NSCLC",
            "modalities": "CT|PT",
            "n_subjects": str(20 + i),
            "n_studies": str(30 + i),
            "access_rights": "RESTRICTED",
            **(extra or {}),
        }
        for i in range(start, start + n)
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def sheet(tmp_path, settings):
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(tmp_path.resolve())]
    settings.ATLAS_HARVEST_REPORT_DIR = tmp_path / "reports"
    return write_sheet(tmp_path / "sheet.csv", 20)


def run(source, force: bool = False) -> HarvestJob:
    return harvest_job_run(job_id=harvest_job_create(source=source, force=force).pk)


@pytest.fixture
def sheet_source(vocab, sheet):
    return harvest_source_add(
        name="Sheet node", kind="descriptor_sheet", location=str(sheet), contact_email="steward@node.example"
    )


def test_a_new_sources_datasets_stay_unpublished_until_published(sheet_source):
    job = run(sheet_source)
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.report["datasets"]["created"] == 20
    assert Dataset.objects.count() == 20
    assert dataset_list_public().count() == 0
    call_command("harvest_source", "publish", "sheet-node")
    assert dataset_list_public().count() == 20


def test_an_unchanged_rerun_reports_every_record_unchanged(sheet_source):
    run(sheet_source)
    before = dict(Dataset.objects.values_list("identifier", "content_hash"))
    job = run(sheet_source)
    assert job.report["datasets"] == {"created": 0, "updated": 0, "unchanged": 20, "withdrawn": 0, "errored": 0}
    assert dict(Dataset.objects.values_list("identifier", "content_hash")) == before


def test_vanished_rows_are_withdrawn_after_a_complete_gather(sheet_source, sheet):
    run(sheet_source)
    write_sheet(sheet, 18)
    job = run(sheet_source)
    assert job.report["datasets"]["withdrawn"] == 2
    assert Dataset.objects.filter(status=DatasetStatus.WITHDRAWN).count() == 2


def test_a_failed_gather_withdraws_nothing_and_changes_nothing(sheet_source, sheet):
    run(sheet_source)
    before = sorted(Dataset.objects.values_list("identifier", "content_hash", "status"))
    sheet.write_text("id,title,shoe_size\nx,y,Doe^John 44\n")
    job = run(sheet_source)
    assert job.status == JobStatus.FAILED
    assert job.error_code == "unknown_field"
    assert "shoe_size" in job.error_message and "Doe" not in job.error_message
    assert sorted(Dataset.objects.values_list("identifier", "content_hash", "status")) == before


def test_a_run_that_would_withdraw_too_much_stops_unless_forced(sheet_source, sheet):
    run(sheet_source)
    write_sheet(sheet, 5)
    job = run(sheet_source)
    assert job.status == JobStatus.FAILED and job.error_code == "withdraw_limit"
    assert "15 of 20" in job.error_message
    assert Dataset.objects.filter(status=DatasetStatus.WITHDRAWN).count() == 0
    forced = run(sheet_source, force=True)
    assert forced.status == JobStatus.COMPLETED
    assert forced.report["datasets"]["withdrawn"] == 15


def test_two_runs_of_one_source_at_once_are_refused(sheet_source):
    harvest_job_create(source=sheet_source)
    with pytest.raises(Conflict) as err:
        harvest_job_create(source=sheet_source)
    assert err.value.code == "job_running"


def test_a_job_whose_process_died_is_expired_so_the_source_can_run_again(sheet_source):
    job = harvest_job_create(source=sheet_source)
    HarvestJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, runner=f"{os.uname().nodename}:999999")
    again = harvest_job_create(source=sheet_source)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "abandoned"
    assert again.pk != job.pk


def test_a_failed_job_mails_the_source_contact(sheet_source, sheet):
    sheet.write_bytes(b"\xff\xfe not utf-8")
    job = run(sheet_source)
    assert job.status == JobStatus.FAILED and job.error_code == "invalid_encoding"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["steward@node.example"]
    assert "unchanged" in mail.outbox[0].body


def test_per_subject_rows_and_personal_free_text_are_refused_with_the_row_named(sheet_source, sheet):
    write_sheet(sheet, 3)
    with open(sheet, "a", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["ds-x", "Single patient", "x", "NSCLC", "CT", "1", "1", "RESTRICTED"],
                ["ds-y", "Cohort y", "Scanned 12/03/2019 by Dr. Smith", "NSCLC", "CT", "40", "40", "RESTRICTED"],
                ["ds-z", "Cohort z", "fine", "not-a-cancer", "CT", "40", "40", "RESTRICTED"],
            ]
        )
    job = run(sheet_source)
    assert job.status == JobStatus.COMPLETED
    assert job.report["refused"] == {"free_text_personal_data": 1, "per_subject_row": 1}
    assert job.report["errored"] == 1
    assert job.report["integrated"] == 3 and job.report["identified"] == 6
    errors = {e.guid: (e.code, e.message) for e in StageError.objects.filter(job=job)}
    # refused rows are keyed by their row number: their own id could be the personal value
    assert errors["row-5"][0] == "per_subject_row" and "row 5" in errors["row-5"][1]
    assert errors["row-6"][0] == "free_text_personal_data"
    assert "Smith" not in errors["row-6"][1] and "2019" not in errors["row-6"][1]
    assert errors["ds-z"][0] == "unknown_term"
    assert Dataset.objects.count() == 3


def test_json_sheets_refuse_duplicate_keys_and_nan(vocab, tmp_path, settings):
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(tmp_path.resolve())]
    path = tmp_path / "s.json"
    path.write_text('[{"id": "a", "title": "A", "id": "b"}]')
    source = harvest_source_add(name="json", kind="descriptor_sheet", location=str(path))
    assert run(source).error_code == "duplicate_key"
    path.write_text('[{"id": "a", "title": "A", "n_subjects": NaN}]')
    assert run(source).error_code == "invalid_json"
    path.write_text(json.dumps({"datasets": [{"id": "a", "title": "A", "n_subjects": 12, "modalities": ["MR"]}]}))
    job = run(source)
    assert job.status == JobStatus.COMPLETED and job.report["datasets"]["created"] == 1


def test_a_location_outside_the_configured_roots_is_refused(vocab, tmp_path, settings):
    settings.ATLAS_HARVEST_FILE_ROOTS = [str((tmp_path / "allowed").resolve())]
    outside = write_sheet(tmp_path / "outside.csv", 2)
    source = harvest_source_add(name="sneaky", kind="descriptor_sheet", location=str(outside))
    job = run(source)
    assert job.status == JobStatus.FAILED and job.error_code == "location_not_allowed"
    link_dir = tmp_path / "allowed"
    link_dir.mkdir()
    (link_dir / "link.csv").symlink_to(outside)
    source2 = harvest_source_add(name="sneaky2", kind="descriptor_sheet", location=str(link_dir / "link.csv"))
    assert run(source2).error_code == "location_not_allowed"


def test_unknown_source_options_are_refused(vocab, sheet):
    with pytest.raises(ValidationError) as err:
        harvest_source_add(name="x", kind="descriptor_sheet", location=str(sheet), options={"root": "/"})
    assert err.value.code == "unknown_option"


def test_harvest_command_prints_the_report_as_json_and_fails_with_a_nonzero_status(sheet_source, sheet, capsys):
    call_command("harvest", "sheet-node", "--json")
    body = json.loads(capsys.readouterr().out)
    assert body["status"] == "completed"
    assert body["report"]["datasets"]["created"] == 20
    assert body["report"]["integrated_over_identified"] == 1.0
    sheet.write_text("not,a\nvalid")
    with pytest.raises(CommandError):
        call_command("harvest", "sheet-node", "--json")


def test_harvest_source_command_adds_idempotently(vocab, sheet, capsys):
    args = [
        "harvest_source",
        "add",
        "Cmd node",
        "--kind",
        "descriptor_sheet",
        "--location",
        str(sheet),
        "--option",
        "format=csv",
        "--if-missing",
    ]
    call_command(*args)
    call_command(*args)
    out = capsys.readouterr().out
    assert "added source cmd-node" in out and "exists; left as it is" in out


def test_an_enqueued_harvest_runs_in_process_after_commit_without_a_broker(
    sheet_source, settings, django_capture_on_commit_callbacks
):
    from harvesters.services import harvest_job_enqueue

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("a broker is configured: tests/integration runs harvests through the real worker")
    with django_capture_on_commit_callbacks(execute=True):
        job = harvest_job_enqueue(source=sheet_source)
        assert HarvestJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.report["datasets"]["created"] == 20


def test_a_source_is_scheduled_with_django_celery_beat(sheet_source):
    from django_celery_beat.models import PeriodicTask

    call_command("harvest_source", "schedule", "sheet-node", "--cron", "30 2 * * 1")
    task = PeriodicTask.objects.get(name="harvest sheet-node")
    assert task.task == "harvesters.tasks.harvest_source_task"
    assert json.loads(task.args) == [sheet_source.pk]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "1")
    with pytest.raises(CommandError):
        call_command("harvest_source", "schedule", "sheet-node", "--cron", "daily")


def test_the_scheduled_task_runs_a_job_and_skips_while_one_runs(sheet_source):
    from harvesters.tasks import harvest_source_task

    job_id = harvest_source_task(sheet_source.pk)
    assert HarvestJob.objects.get(pk=job_id).status == JobStatus.COMPLETED
    harvest_job_create(source=sheet_source)  # a job is queued: the schedule does not start a second one
    assert harvest_source_task(sheet_source.pk) is None


def test_a_refused_rows_own_id_is_never_kept(sheet_source, sheet):
    with open(sheet, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "n_subjects"])
        writer.writerow(["john.doe@hospital.example", "Cohort", "40"])
        writer.writerow(["ok-1", "Cohort ok", "40"])
    job = run(sheet_source, force=True)
    assert job.status == JobStatus.COMPLETED
    assert "john.doe" not in json.dumps(list(StageError.objects.values_list("guid", "message")))
    assert "john.doe" not in json.dumps(job.report)
    from harvesters.models import HarvestRecord, StagingRow

    assert not HarvestRecord.objects.filter(guid__contains="john").exists()
    assert not StagingRow.objects.filter(guid__contains="john").exists()


def test_a_crash_keeps_only_the_exception_class_in_the_job_and_the_mail(sheet_source, monkeypatch):
    import harvesters.descriptor_sheet as sheet_module

    def boom(*args, **kwargs):
        raise OSError("/secret/DOE_JOHN/scan.dcm is unreadable")

    monkeypatch.setattr(sheet_module, "read_rows", boom)
    job = run(sheet_source)
    assert job.status == JobStatus.FAILED and job.error_code == "internal_error"
    assert "DOE_JOHN" not in job.error_message and "OSError" in job.error_message
    assert "DOE_JOHN" not in mail.outbox[0].body


def test_an_item_with_an_overlong_identifier_is_an_error_and_nothing_is_withdrawn(sheet_source, sheet):
    run(sheet_source)
    write_sheet(sheet, 19)
    with open(sheet, "a", newline="") as fh:
        csv.writer(fh).writerow(["x" * 600, "Long", "fine", "NSCLC", "CT", "40", "40", "RESTRICTED"])
    job = run(sheet_source)
    assert job.status == JobStatus.COMPLETED
    assert job.report["datasets"]["withdrawn"] == 0 and job.report["withdrawals_skipped"]
    assert StageError.objects.filter(job=job, code="guid_too_long").count() == 1


def test_curators_see_their_sources_jobs_and_reports_in_the_admin(sheet_source, client):
    from django.contrib.auth import get_user_model

    job = run(sheet_source)
    user = get_user_model().objects.create_user("curator", password="x-long-password-9", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_harvestjob", "view_harvestsource"]))
    sheet_source.source.curators.add(user)
    client.force_login(user)
    page = client.get(f"/admin/harvesters/harvestjob/{job.pk}/change/")
    assert page.status_code == 200
    assert "integrated_over_identified" in page.content.decode()
    assert client.get("/admin/harvesters/harvestsource/").status_code == 200
