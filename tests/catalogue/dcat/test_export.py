"""`export_dcat` streams the public catalogue with a report; vocabulary values are always IRIs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from rdflib import URIRef

from catalogue.dcat.namespaces import DCAT, RDF_TYPE
from catalogue.dcat.parser import load_graph, parse_rdf
from catalogue.dcat.serializer import export_descriptors
from tests.catalogue.dcat.builders import BASE_URL, K, catalogue_info, full_descriptor, minimal_descriptor

PARSE = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}


@pytest.fixture
def harvested(vocab, source, other_source):  # type: ignore[no-untyped-def]
    """Two public datasets (one complete, one not) and one from an unpublished source."""
    from catalogue.models import Source
    from catalogue.services import dataset_upsert

    dataset_upsert(descriptor=full_descriptor("complete", n_subjects=4), source=source)
    dataset_upsert(descriptor=minimal_descriptor("draft"), source=source)
    hidden = Source.objects.create(slug="hidden", name="Hidden", kind="manual", published=False)
    dataset_upsert(descriptor=full_descriptor("secret"), source=hidden)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["ttl", "rdf", "jsonld", "nt"])
def test_export_dcat_writes_the_public_catalogue_and_reports_profiles(harvested, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / f"catalogue.{fmt}"
    stderr = io.StringIO()
    call_command("export_dcat", "--format", fmt, "-o", str(target), stderr=stderr)
    report = stderr.getvalue()
    assert "Exported 2 datasets" in report
    assert "EUCAIM DCAT-AP v2.0: 1" in report and "DCAT-AP 3.0.1: 1" in report
    assert "lacks keywords, themes, health_categories" in report
    assert "Withheld values (docs/privacy.md §0.1, subject total below k): 6" in report
    for name in ("n_subjects", "birth_sex", "min_age", "max_age", "acquisition_year_min", "acquisition_year_max"):
        assert f": {name}\n" in report  # the small-dataset rule: what would describe its few people
    assert "export" in report  # the tqdm progress bar went to stderr

    graph = load_graph(target.read_bytes(), PARSE[fmt])
    catalogues = list(graph.subjects(URIRef(RDF_TYPE), URIRef(DCAT.Catalog)))
    assert catalogues == [URIRef("http://127.0.0.1:8000/catalogue")] or len(catalogues) == 1
    linked = set(graph.objects(catalogues[0], URIRef(DCAT.dataset)))
    assert len(linked) == 2
    result = parse_rdf(target.read_bytes(), PARSE[fmt])
    assert {d.title[0].text for d in result.descriptors} == {"Lung CT cohort complete", "Untitled scans draft"}
    assert all(d.guid in {str(x) for x in linked} for d in result.descriptors)
    assert not [d for d in result.descriptors if d.n_subjects is not None]


@pytest.mark.django_db
def test_export_dcat_writes_to_standard_output_by_default(harvested) -> None:  # type: ignore[no-untyped-def]
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export_dcat", "--profile", "dcat-ap", "--no-progress", stdout=stdout, stderr=stderr)
    assert stdout.getvalue().startswith("@prefix rdf:")
    assert "healthdcatap:" not in stdout.getvalue().split("\n\n", 1)[1]
    assert "DCAT-AP 3.0.1: 2" in stderr.getvalue()


@pytest.mark.django_db
def test_the_exported_catalogue_has_the_publisher_from_settings(vocab, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ATLAS_PUBLISHER_NAME = "Atlas Operator Org"
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export_dcat", "--no-progress", stdout=stdout, stderr=stderr)
    assert "Catalogue: no publisher" not in stderr.getvalue()
    assert "Atlas Operator Org" in stdout.getvalue()


def test_vocabulary_values_are_written_as_iris_and_bare_strings_are_left_out() -> None:
    item = full_descriptor("bare", themes=("HEAL",), spatial=("Spain",))
    out = io.StringIO()
    report = export_descriptors([item], out, fmt="ttl", base_url=BASE_URL, k=K, catalogue=catalogue_info())
    text = out.getvalue()
    assert '"HEAL"' not in text and '"Spain"' not in text
    assert "<http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC>" in text
    assert {(w.field, w.code) for w in report.warnings} == {("themes", "not_an_iri"), ("spatial", "not_an_iri")}
    # without its only theme the dataset no longer satisfies HealthDCAT-AP: it is exported as DCAT-AP 3
    assert report.by_profile == {"dcat-ap": 1} and report.incomplete[0].missing == ("themes",)
