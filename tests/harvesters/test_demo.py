"""`make run`'s demo harvests: each source harvested once, a second run changes no row and no hash."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from catalogue.models import Dataset

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in
            {"catalogue", "harvesters", "search"}}


def test_the_demo_catalogue_builds_once_and_a_second_run_changes_nothing(vocab, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ATLAS_HARVEST_FILE_ROOTS = [str((tmp_path / "demo").resolve()), str(REFERENCE.resolve())]
    call_command("atlas_demo", "--skip", "idc", "--skip", "dicom")
    first = _counts()
    hashes = dict(Dataset.objects.values_list("identifier", "content_hash"))
    assert first["catalogue.Dataset"] >= 4
    assert Dataset.objects.filter(sort_title__startswith="Demo descriptor").count() == 4
    call_command("atlas_demo", "--skip", "idc", "--skip", "dicom")
    assert _counts() == first
    assert dict(Dataset.objects.values_list("identifier", "content_hash")) == hashes
    complete = Dataset.objects.filter(sort_title__startswith="Demo descriptor", missing_healthdcatap=[])
    assert complete.count() == 4  # the node's curator defaults fill what a sheet cannot know
