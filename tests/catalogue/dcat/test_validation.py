"""The export is valid against the official shapes: DCAT-AP 3.0.1 for all of it, HealthDCAT-AP Release 8 for
each complete dataset against the shapes of its access level (one pySHACL run per level, not per dataset)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rdflib import Graph, URIRef

from catalogue.dcat.namespaces import ACCESS_NON_PUBLIC, ACCESS_PUBLIC, ACCESS_RESTRICTED, SH
from catalogue.dcat.parser import load_graph
from catalogue.dcat.serializer import export_catalogue, export_descriptors
from catalogue.dcat.validation import (
    HEALTH_CORE,
    ValidationReport,
    drop_pathless_property_shapes,
    load_shapes,
    shapes_dir,
    validate_graph,
)
from tests.catalogue.dcat.builders import BASE_URL, K, catalogue_info, full_descriptor, validation_catalogue


def _export(items, fmt="ttl", **kwargs):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    report = export_descriptors(items, out, fmt=fmt, base_url=BASE_URL, k=K, catalogue=catalogue_info(), **kwargs)
    return out.getvalue(), report


@pytest.fixture(scope="module")
def exported() -> tuple[str, object, ValidationReport]:
    text, report = _export(validation_catalogue())
    return text, report, validate_graph(load_graph(text, "ttl"))


def test_the_official_shapes_are_where_the_validator_looks() -> None:
    assert (shapes_dir() / HEALTH_CORE[ACCESS_PUBLIC][0]).is_file(), shapes_dir()


def test_the_generated_catalogue_has_zero_violations(exported) -> None:  # type: ignore[no-untyped-def]
    _, _, result = exported
    assert result.violations == [], "\n".join(r.render() for r in result.violations)


def test_the_generated_catalogue_covers_every_level_and_both_profiles(exported) -> None:  # type: ignore[no-untyped-def]
    _, report, result = exported
    assert result.health_datasets == {ACCESS_PUBLIC: 1, ACCESS_RESTRICTED: 1, ACCESS_NON_PUBLIC: 2}
    assert report.by_profile == {"eucaim": 4, "dcat-ap": 3}
    missing = {i.iri.rsplit("/", 1)[-1]: i.missing for i in report.incomplete}
    assert missing["incomplete-hdab"] == ("hdab",)
    assert any("hasVariables" in m for m in missing["incomplete-structured"])
    assert "health_categories" in missing["incomplete-minimal"]
    assert {name for iri, name in report.withheld if iri == BASE_URL + "datasets/restricted-1"} == {
        "n_subjects", "birth_sex", "min_age", "max_age", "acquisition_year_min", "acquisition_year_max"}
    assert {iri for iri, _ in report.withheld} == {BASE_URL + "datasets/restricted-1"}
    assert result.warnings, "the recommended shapes ran"


def test_plain_dcat_ap_datasets_carry_no_healthdcatap_property(exported) -> None:  # type: ignore[no-untyped-def]
    text, _, _ = exported
    graph = load_graph(text, "ttl")
    subject = URIRef(BASE_URL + "datasets/incomplete-hdab")
    assert not [p for p in graph.predicates(subject, None) if "healthdataportal" in str(p) or "EUCAIM" in str(p)]


@pytest.mark.parametrize("fmt", ["rdf", "jsonld", "nt"])
def test_every_format_writes_the_same_graph(exported, fmt: str) -> None:  # type: ignore[no-untyped-def]
    from rdflib.compare import isomorphic

    text, _, _ = exported
    other, _ = _export(validation_catalogue(), fmt)
    names = {"rdf": "xml", "jsonld": "json-ld", "nt": "nt"}
    assert isomorphic(load_graph(text, "ttl"), load_graph(other, names[fmt]))


def test_a_dataset_forced_into_healthdcat_ap_without_hdab_is_a_violation() -> None:
    text, _ = _export([full_descriptor("no-hdab", hdab=None)], degrade_incomplete=False)
    result = validate_graph(load_graph(text, "ttl"), recommended=False)
    assert [(r.suite, r.path, r.component) for r in result.violations] == [
        ("HealthDCAT-AP R8 non-public", "healthdcatap:hdab", "MinCount")
    ]
    assert "<https://atlas.example.eu/datasets/no-hdab>" in result.violations[0].render()


def test_structured_data_without_variables_is_checked_in_code() -> None:
    text, _ = _export([full_descriptor("structured", has_structured_data=True)], degrade_incomplete=False)
    result = validate_graph(load_graph(text, "ttl"), recommended=False)
    assert [r.component for r in result.violations] == ["code:hasStructuredDataRequiresVariables"]


def test_the_path_less_property_shape_is_dropped_when_loading() -> None:
    raw = Graph().parse(shapes_dir() / HEALTH_CORE[ACCESS_NON_PUBLIC][0], format="turtle")
    pathless = [p for p in raw.objects(None, URIRef(SH.property)) if (p, URIRef(SH.path), None) not in raw]
    assert len(pathless) == 1
    assert drop_pathless_property_shapes(raw) == 1
    loaded = load_shapes(HEALTH_CORE[ACCESS_NON_PUBLIC], str(shapes_dir()))
    assert all((p, URIRef(SH.path), None) in loaded for p in loaded.objects(None, URIRef(SH.property)))


# ================================================================================================ database


@pytest.fixture
def published_catalogue(vocab, source):  # type: ignore[no-untyped-def]
    """The validation catalogue harvested into the database, with a catalogue publisher set by a curator."""
    from catalogue.models import Agent
    from catalogue.services import catalogue_ensure, dataset_upsert

    for descriptor in validation_catalogue():
        dataset_upsert(descriptor=descriptor, source=source)
    catalogue = catalogue_ensure()
    catalogue.publisher = Agent.objects.create(slug="atlas", name="Atlas operator", email="atlas@atlas.example.eu")
    catalogue.save()
    return catalogue


@pytest.mark.django_db
def test_the_exported_database_catalogue_has_zero_violations(published_catalogue) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    report = export_catalogue(out, fmt="ttl")
    assert report.datasets == 7 and report.by_profile == {"eucaim": 4, "dcat-ap": 3}
    result = validate_graph(load_graph(out.getvalue(), "ttl"))
    assert result.violations == [], "\n".join(r.render() for r in result.violations)
    assert sum(result.health_datasets.values()) == 4


@pytest.mark.django_db
def test_validate_dcat_exits_non_zero_on_violations_and_names_focus_and_path(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.ttl"
    good.write_text(_export([full_descriptor("ok")])[0], encoding="utf-8")
    stdout = io.StringIO()
    call_command("validate_dcat", str(good), stdout=stdout)
    assert "0 violations" in stdout.getvalue()

    bad = tmp_path / "bad.ttl"
    bad.write_text(_export([full_descriptor("bad", hdab=None)], degrade_incomplete=False)[0], encoding="utf-8")
    stdout = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("validate_dcat", str(bad), stdout=stdout)
    assert raised.value.returncode == 1
    assert "<https://atlas.example.eu/datasets/bad> healthdcatap:hdab" in stdout.getvalue()


@pytest.mark.django_db
def test_validate_dcat_without_a_file_validates_a_fresh_export(published_catalogue) -> None:  # type: ignore[no-untyped-def]
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("validate_dcat", stdout=stdout, stderr=stderr)
    assert "0 violations" in stdout.getvalue()
    assert "Exported 7 datasets" in stderr.getvalue()

    published_catalogue.title = {}  # dct:title is mandatory on the catalogue
    published_catalogue.save()
    with pytest.raises(CommandError):
        call_command("validate_dcat", stdout=(out := io.StringIO()), stderr=io.StringIO())
    assert "<http://127.0.0.1:8000/catalogue> dct:title" in out.getvalue()
