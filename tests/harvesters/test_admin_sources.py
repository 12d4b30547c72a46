"""Harvest sources: one service each for adding, changing and scheduling, called by the command and the admin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from catalogue.errors import Conflict, ValidationError
from catalogue.models import Source
from harvesters.models import HarvestSource
from harvesters.services import harvest_source_add, harvest_source_schedule, harvest_source_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet_source(tmp_path, settings) -> HarvestSource:  # type: ignore[no-untyped-def]
    settings.ATLAS_HARVEST_FILE_ROOTS = [str(tmp_path.resolve())]
    return harvest_source_add(name="Sheet node", kind="descriptor_sheet", location=str(tmp_path / "sheet.csv"),
                              defaults={"version": "3"}, published=True, priority=40)


@pytest.fixture
def admin_client(client, django_user_model):  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_superuser("root", "root@atlas.example", "a-long-admin-password-0"))
    return client


def form(hs: HarvestSource, **changes: Any) -> dict[str, Any]:
    hs.refresh_from_db()
    return {"location": hs.location, "options": json.dumps(hs.options), "cron": "", "_save": "Save", **changes}


def test_adding_a_harvest_source_makes_the_catalogue_source_through_its_service(sheet_source):
    source = Source.objects.get(slug="sheet-node")
    assert sheet_source.source == source
    assert source.published and source.priority == 40 and source.defaults == {"version": "3"}
    with pytest.raises(Conflict) as again:
        harvest_source_add(name="Sheet node", kind="descriptor_sheet", location="/x.csv")
    assert again.value.code == "source_exists"
    assert HarvestSource.objects.count() == 1


def test_the_schedule_command_and_the_service_make_one_periodic_task_per_source(sheet_source):
    call_command("harvest_source", "schedule", "Sheet node", "--cron", "0 3 * * *")
    task = PeriodicTask.objects.get(name="harvest sheet-node")
    assert task.task == "harvesters.tasks.harvest_source_task" and json.loads(task.args) == [sheet_source.pk]
    c = task.crontab
    assert (c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week, str(c.timezone)) == ("0", "3", "*", "*", "*", "UTC")
    harvest_source_schedule(source=sheet_source, cron="30 2 * * 1")
    task = PeriodicTask.objects.get(name="harvest sheet-node")
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "1")
    sheet_source.refresh_from_db()
    assert sheet_source.schedule == task and PeriodicTask.objects.filter(name__startswith="harvest ").count() == 1
    call_command("harvest_source", "schedule", "Sheet node", "--cron", "")
    sheet_source.refresh_from_db()
    assert sheet_source.schedule is None and not PeriodicTask.objects.filter(name="harvest sheet-node").exists()


@pytest.mark.parametrize("cron", ["0 3 * *", "61 3 * * *", "0 25 * * *", "0 3 * * funday"])
def test_a_bad_schedule_is_refused_with_its_code_and_nothing_is_scheduled(sheet_source, cron):
    with pytest.raises(ValidationError) as refused:
        harvest_source_schedule(source=sheet_source, cron=cron)
    assert refused.value.code == "invalid_cron"
    with pytest.raises(CommandError, match="invalid_cron"):
        call_command("harvest_source", "schedule", "Sheet node", "--cron", cron)
    assert not PeriodicTask.objects.filter(name="harvest sheet-node").exists()


def test_changing_options_checks_them_against_the_harvester_kind(sheet_source):
    with pytest.raises(ValidationError) as refused:
        harvest_source_update(source=sheet_source, location=sheet_source.location, options={"root": "/"})
    assert refused.value.code == "unknown_option"
    sheet_source.refresh_from_db()
    assert sheet_source.options == {}


def test_an_admin_schedules_and_moves_a_source_in_the_admin_through_the_services(admin_client, sheet_source, tmp_path):
    url = f"/admin/harvesters/harvestsource/{sheet_source.pk}/change/"
    new_location = str(tmp_path / "other.csv")
    response = admin_client.post(url, form(sheet_source, location=new_location, cron="15 4 * * *"))
    assert response.status_code == 302, response.content.decode()[:2000]
    sheet_source.refresh_from_db()
    assert sheet_source.location == new_location
    assert sheet_source.schedule is not None and sheet_source.schedule.crontab.hour == "4"
    assert "15 4 * * *" in admin_client.get(url).content.decode()  # the form shows the schedule it has

    response = admin_client.post(url, form(sheet_source, cron=""))
    assert response.status_code == 302
    sheet_source.refresh_from_db()
    assert sheet_source.schedule is None


@pytest.mark.parametrize("changes, message", [
    ({"cron": "every night"}, "invalid_cron"),
    ({"options": json.dumps({"root": "/"})}, "unknown_option"),
])
def test_bad_input_in_the_admin_is_shown_on_the_form_and_nothing_is_saved(admin_client, sheet_source, changes, message):
    before = (sheet_source.location, sheet_source.options)
    response = admin_client.post(f"/admin/harvesters/harvestsource/{sheet_source.pk}/change/", form(sheet_source, **changes))
    assert response.status_code == 200 and message in response.content.decode()
    sheet_source.refresh_from_db()
    assert (sheet_source.location, sheet_source.options) == before and sheet_source.schedule is None


def test_harvest_sources_and_jobs_are_not_added_or_deleted_in_the_admin(admin_client, sheet_source):
    assert admin_client.get("/admin/harvesters/harvestsource/add/").status_code == 403
    assert admin_client.get(f"/admin/harvesters/harvestsource/{sheet_source.pk}/delete/").status_code == 403


def test_the_add_command_is_idempotent_with_if_missing_and_list_shows_the_source(tmp_path, settings):
    import io

    settings.ATLAS_HARVEST_FILE_ROOTS = [str(tmp_path.resolve())]
    args = ["harvest_source", "add", "Sheet two", "--kind", "descriptor_sheet", "--location", str(tmp_path / "s.csv"),
            "--default", 'version="4"', "--if-missing"]
    first, second, listing = io.StringIO(), io.StringIO(), io.StringIO()
    call_command(*args, stdout=first)
    call_command(*args, stdout=second)
    assert "added source sheet-two" in first.getvalue() and "exists; left as it is" in second.getvalue()
    assert Source.objects.get(slug="sheet-two").defaults == {"version": "4"}
    call_command("harvest_source", "list", stdout=listing)
    assert listing.getvalue().split()[:4] == ["sheet-two", "descriptor_sheet", "unpublished", "never"]
    with pytest.raises(CommandError, match="source_exists"):
        call_command(*args[:-1])
