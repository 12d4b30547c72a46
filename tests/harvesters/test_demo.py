"""`make run`'s demo harvests: each source harvested once, a second run changes no row and no hash; the demo
reads only its own folder (var/demo), where the shipped sheet and partner feed are copied."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from catalogue.dcat.namespaces import ACCESS_NON_PUBLIC, ACCESS_PUBLIC, ACCESS_RESTRICTED
from catalogue.dcat.parser import load_graph, parse_rdf
from catalogue.dcat.serializer import export_catalogue
from catalogue.dcat.validation import validate_graph
from catalogue.models import Dataset
from config.paths import DEMO_DIR
from harvesters.models import HarvestSource, JobStatus, StageError

pytestmark = pytest.mark.django_db

PARTNER = "Orion partner archive"
CONCEPT_FIELDS = ("cancer_types", "modalities", "body_parts", "birth_sex", "collection_methods", "dataset_types",
                  "health_categories", "health_themes", "themes", "spatial", "languages", "conforms_to")


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in
            {"catalogue", "harvesters", "search"}}


@pytest.fixture
def demo_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """The demo's only readable folder: var/demo under a temporary VAR_DIR (as `make run` sets it)."""
    settings.VAR_DIR = tmp_path
    settings.ATLAS_HARVEST_FILE_ROOTS = [str((tmp_path / "demo").resolve())]
    return tmp_path / "demo"


def test_the_demo_catalogue_builds_once_and_a_second_run_changes_nothing(vocab, demo_root):
    call_command("atlas_demo", "--skip", "idc", "--skip", "dicom", stdout=io.StringIO())
    first = _counts()
    hashes = dict(Dataset.objects.values_list("identifier", "content_hash"))
    assert first["catalogue.Dataset"] == 7
    assert Dataset.objects.filter(sort_title__startswith="Demo descriptor").count() == 4
    assert Dataset.objects.filter(sort_title__startswith=PARTNER).count() == 3
    call_command("atlas_demo", "--skip", "idc", "--skip", "dicom", stdout=io.StringIO())
    assert _counts() == first
    assert dict(Dataset.objects.values_list("identifier", "content_hash")) == hashes
    complete = Dataset.objects.filter(sort_title__startswith="Demo descriptor", missing_healthdcatap=[])
    assert complete.count() == 4  # the node's curator defaults fill what a sheet cannot know


def test_the_partner_feed_is_copied_into_the_demo_folder_and_harvests_cleanly(vocab, demo_root):
    call_command("atlas_demo", "--skip", "idc", "--skip", "dicom", "--skip", "sheet", stdout=io.StringIO())
    copied = demo_root / "partner-feed.ttl"
    assert copied.read_bytes() == (DEMO_DIR / "partner-feed.ttl").read_bytes()
    source = HarvestSource.objects.get(source__name="Partner archive DCAT feed")
    assert source.location == str(copied)
    (job,) = source.jobs.all()
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert StageError.objects.filter(job=job).count() == 0
    assert (job.report["identified"], job.report["integrated"], job.report["errored"]) == (3, 3, 0)
    assert job.report["datasets"]["created"] == 3


def test_the_partner_datasets_are_complete_and_every_coded_value_is_a_known_concept(vocab, demo_root):
    call_command("atlas_demo", "--skip", "idc", "--skip", "dicom", "--skip", "sheet", stdout=io.StringIO())
    partner = Dataset.objects.filter(sort_title__startswith=PARTNER)
    assert partner.count() == 3
    for dataset in partner:
        assert (dataset.missing_healthdcatap, dataset.missing_eucaim) == ([], []), dataset.sort_title
        for name in CONCEPT_FIELDS:
            concepts = list(getattr(dataset, name).all())
            assert concepts, (dataset.sort_title, name)
            assert [c.iri for c in concepts if c.is_external] == [], (dataset.sort_title, name)
        for name in ("access_rights", "tier"):
            concept = getattr(dataset, name)
            assert concept is not None and not concept.is_external, (dataset.sort_title, name)
        for distribution in dataset.distributions.all():
            assert distribution.license is not None and not distribution.license.is_external
    cancers = {c.code for d in partner for c in d.cancer_types.all()}
    assert cancers == {"breast-cancer", "prostate-cancer", "glioblastoma"}


def test_the_exported_partner_datasets_validate_against_the_official_shapes(vocab, demo_root):
    call_command("atlas_demo", "--skip", "idc", "--skip", "dicom", "--skip", "sheet", stdout=io.StringIO())
    out = io.StringIO()
    report = export_catalogue(out, fmt="ttl")
    assert report.incomplete == [], [(i.iri, i.missing) for i in report.incomplete]
    result = validate_graph(load_graph(out.getvalue(), "ttl"))
    assert result.violations == [], "\n".join(r.render() for r in result.violations)
    assert sum(result.health_datasets.values()) == 3  # each checked against the R8 shapes of its access level
    exported = [d for d in parse_rdf(out.getvalue(), "ttl").descriptors if d.title[0].text.startswith(PARTNER)]
    assert len(exported) == 3
    assert all(d.tier and d.cancer_types and d.modalities and d.body_parts and d.publisher for d in exported)


def test_the_partner_feed_as_published_validates_on_its_own() -> None:
    graph = load_graph((DEMO_DIR / "partner-feed.ttl").read_bytes(), "ttl")
    result = validate_graph(graph)
    assert result.violations == [], "\n".join(r.render() for r in result.violations)
    assert result.health_datasets == {ACCESS_PUBLIC: 1, ACCESS_RESTRICTED: 1, ACCESS_NON_PUBLIC: 1}
