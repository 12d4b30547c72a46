"""Harvester kinds and DCAT profiles come from one registry each (settings): a kind or profile registered there is
used end to end with no other change, an unregistered one is refused, and a bad dotted path stops loudly."""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from catalogue.dcat.profiles import PROFILES, DcatAp3Profile, Field
from catalogue.dcat.profiles.kinds import TEXT
from catalogue.errors import ValidationError
from catalogue.models import Dataset, Source, source_kind_choices
from catalogue.registry import check_registries
from catalogue.services import source_create
from config.paths import REPO_ROOT
from harvesters.base import Harvester, StagedItem
from harvesters.models import JobStatus
from harvesters.services import HARVESTER_KINDS, harvest_job_create, harvest_job_run, harvest_source_add, harvester_class
from tests.catalogue.dcat.builders import full_descriptor

DUMMY_PREDICATE = "https://atlas.example.eu/ns/test#dummyVersion"


class DummyHarvester(Harvester):
    """A kind that exists only in this test: it yields two datasets of its own."""

    kind: ClassVar[str] = "dummy_kind"
    OPTIONS: ClassVar[dict[str, str]] = {"count": "how many datasets to yield"}

    def gather(self) -> Iterator[StagedItem]:
        for i in range(int(self.context.options.get("count", 2))):
            guid = f"dummy-{i}"
            yield StagedItem(guid=guid, descriptor=full_descriptor(guid, n_subjects=40))


class DummyProfile(DcatAp3Profile):
    """A profile that exists only in this test: DCAT-AP 3 plus the version under a predicate of its own."""

    NAME = "dummy-profile"
    LABEL = "Dummy test profile"
    FIELDS = DcatAp3Profile.FIELDS + (Field("version", DUMMY_PREDICATE, TEXT, max=1),)


class NotAProfile:
    pass


def with_kind(name: str, path: str) -> override_settings:
    return override_settings(ATLAS_HARVESTER_KINDS={**settings.ATLAS_HARVESTER_KINDS, name: path})


def with_profile(name: str, path: str) -> override_settings:
    return override_settings(ATLAS_DCAT_PROFILES={**settings.ATLAS_DCAT_PROFILES, name: path})


# ------------------------------------------------------------------------------------------ harvester kinds


@pytest.mark.django_db
def test_a_registered_kind_is_a_valid_source_kind_and_harvests_end_to_end(tmp_path: Path, vocab: None) -> None:
    with with_kind("dummy_kind", f"{__name__}.DummyHarvester"), override_settings(
        ATLAS_HARVEST_REPORT_DIR=tmp_path / "reports"
    ):
        assert ("dummy_kind", "dummy_kind") in source_kind_choices()
        hs = harvest_source_add(name="Dummy node", kind="dummy_kind", location="anywhere", options={"count": 3},
                                published=True)
        assert hs.source.kind == "dummy_kind"
        job = harvest_job_run(job_id=harvest_job_create(source=hs).pk)
        assert job.status == JobStatus.COMPLETED, job.error_message
        assert job.report["datasets"]["created"] == 3
    assert Dataset.objects.filter(provenance_records__source=hs.source).count() == 3


@pytest.mark.django_db
def test_an_unregistered_kind_is_refused_by_the_services() -> None:
    with pytest.raises(ValidationError) as refused:
        harvest_source_add(name="Ghost node", kind="dummy_kind", location="anywhere")
    assert refused.value.code == "unknown_kind"
    assert "dicom_folder" in refused.value.message  # it names the registered kinds
    with pytest.raises(ValidationError):
        source_create(slug="ghost", name="Ghost", kind="dummy_kind")
    assert not Source.objects.filter(slug__in=["ghost-node", "ghost"]).exists()


@pytest.mark.django_db
def test_the_catalogues_own_manual_kind_needs_no_harvester() -> None:
    source = source_create(slug="by-hand", name="By hand", kind="manual")
    assert source.kind == "manual"
    with pytest.raises(ValidationError):
        harvest_source_add(name="By hand too", kind="manual", location="anywhere")


def test_the_shipped_kinds_are_the_registry_and_load() -> None:
    assert list(HARVESTER_KINDS) == ["dicom_folder", "dcat_rdf", "idc_index", "descriptor_sheet"]
    for name, cls in HARVESTER_KINDS.load_all().items():
        assert issubclass(cls, Harvester) and cls.kind == name
    assert [k for k, _ in source_kind_choices()] == ["manual", *HARVESTER_KINDS]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("harvesters.no_such_module.Harvester", r"cannot be imported .*No module named 'harvesters\.no_such_module'"),
        ("harvesters.base.NoSuchHarvester", r"cannot be imported"),
        ("harvesters.base.HarvestError", r"is not a harvester kind class \(a subclass of harvesters\.base\.Harvester\)"),
    ],
)
def test_a_bad_dotted_path_is_an_improperly_configured_error_naming_it(path: str, message: str) -> None:
    with with_kind("broken", path):
        with pytest.raises(ImproperlyConfigured, match=rf"ATLAS_HARVESTER_KINDS\['broken'\] = '{re.escape(path)}' {message}"):
            harvester_class("broken")
        assert harvester_class("dicom_folder").kind == "dicom_folder"  # the other entries still load
        assert [e.id for e in check_registries()] == ["catalogue.E100"]


def test_a_registry_that_is_not_a_mapping_of_paths_is_refused() -> None:
    with override_settings(ATLAS_HARVESTER_KINDS=["harvesters.dcat_rdf.DcatRdfHarvester"]):
        with pytest.raises(ImproperlyConfigured, match="must map each harvester kind name to a dotted path"):
            list(HARVESTER_KINDS)
    with override_settings(ATLAS_HARVESTER_KINDS={"nodots": "Harvester"}):
        with pytest.raises(ImproperlyConfigured, match=r"ATLAS_HARVESTER_KINDS\['nodots'\]"):
            source_kind_choices()


def test_the_system_check_passes_with_the_shipped_registries() -> None:
    assert check_registries() == []


def test_no_catalogue_module_lists_a_harvester_kind() -> None:
    """The catalogue knows no plug-in: no string in its code is a kind name (the first migration predates this)."""
    kinds = set(settings.ATLAS_HARVESTER_KINDS)
    offenders = []
    for path in sorted((REPO_ROOT / "catalogue").rglob("*.py")):
        if path.name == "0001_initial.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in kinds:
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {node.value}")
    assert offenders == []


# ---------------------------------------------------------------------------------------------- DCAT profiles


@pytest.mark.django_db
def test_a_registered_profile_exports_end_to_end(tmp_path: Path, vocab: None, source: Source) -> None:
    from catalogue.services import dataset_upsert

    dataset_upsert(descriptor=full_descriptor("with-version", n_subjects=40, version="2.1"), source=source)
    target = tmp_path / "catalogue.ttl"
    stderr = io.StringIO()
    with with_profile("dummy-profile", f"{__name__}.DummyProfile"):
        assert PROFILES["dummy-profile"] is DummyProfile
        call_command("export_dcat", "--profile", "dummy-profile", "--no-progress", "-o", str(target), stderr=stderr)
    text = target.read_text(encoding="utf-8")
    assert DUMMY_PREDICATE in text and '"2.1"' in text
    assert "Dummy test profile: 1" in stderr.getvalue()
    assert "dummy-profile" not in PROFILES  # gone with the override


def test_the_shipped_profiles_are_the_registry_and_load() -> None:
    assert sorted(PROFILES) == ["dcat-ap", "eucaim", "healthdcat-ap", "schema.org"]
    assert all(cls.NAME == name for name, cls in PROFILES.load_all().items())


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("catalogue.dcat.profiles.no_such_profile.Profile", "cannot be imported"),
        (f"{__name__}.NotAProfile", r"is not a DCAT profile class"),
        ("catalogue.dcat.profiles.eucaim.EucaimProfile", "its NAME is 'eucaim', not the name it is registered under"),
    ],
)
def test_a_bad_profile_path_is_an_improperly_configured_error(path: str, message: str, tmp_path: Path) -> None:
    with with_profile("broken", path):
        with pytest.raises(ImproperlyConfigured, match=rf"ATLAS_DCAT_PROFILES\['broken'\] = '{re.escape(path)}'.*{message}"):
            PROFILES["broken"]
        with pytest.raises(ImproperlyConfigured, match=r"ATLAS_DCAT_PROFILES\['broken'\]"):
            call_command("export_dcat", "--profile", "eucaim", "--no-progress", "-o", str(tmp_path / "out.ttl"))
        assert [e.id for e in check_registries()] == ["catalogue.E100"]
