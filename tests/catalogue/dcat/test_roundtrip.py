"""Export -> parse gives back the same descriptors, in every format, modulo the documented normalisations.

Normalisations (each one is applied to the expected value below, nothing else is tolerated):

* identity: `guid` and `original_iri` become the subject IRI (the guid when it is an IRI, else minted under
  ATLAS_BASE_URL as `Dataset.iri` does);
* fields no profile has a predicate for come back empty: n_series, n_instances, n_bytes, species, study_facts;
* a dataset incomplete for HealthDCAT-AP is exported as plain DCAT-AP 3: the HealthDCAT-AP and EUCAIM fields
  come back empty;
* a subject total below k is withheld (docs/privacy.md §0.1) and comes back as None;
* minimum and maximum ages are published as 5-year band edges, top-coded at 90 (docs/privacy.md §2, "No exact
  min/max age");
* RDF values are sets: tuples inside nested values (distribution URLs and texts, series titles) come back
  sorted and without duplicates (top-level tuples already are, by the descriptor contract);
* what DCAT-AP 3.0.1 requires and the descriptor lacks is filled (`DcatAp3Profile.fill_mandatory`): the title by
  the guid, the description by the title, a distribution's access URL by its download URL, else the landing
  page, else the dataset IRI.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from catalogue.completeness import missing_fields
from catalogue.dcat.parser import parse_rdf
from catalogue.dcat.profiles import (
    DcatAp3Profile,
    EucaimProfile,
    SchemaOrgDatasetProfile,
    dataset_iri,
)
from catalogue.dcat.serializer import export_descriptors
from catalogue.descriptors import DatasetDescriptor, LangText, SeriesRef
from catalogue.disclosure import publish_dataset_figures
from tests.catalogue.dcat.builders import BASE_URL, NOT_EXPORTED, K, defaults, descriptors, full_descriptor

FORMATS = ("ttl", "rdf", "jsonld", "nt")
PARSE_FORMAT = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}


def _export(items: list[DatasetDescriptor], fmt: str, **kwargs: object) -> tuple[str, object]:
    out = io.StringIO()
    report = export_descriptors(items, out, fmt=fmt, base_url=BASE_URL, k=K, **kwargs)  # type: ignore[arg-type]
    return out.getvalue(), report


def _kept(table: tuple[Any, ...]) -> set[str]:
    return {name for f in table if f.export for name in f.names}


def _project(obj: Any, kept: set[str], *, always: tuple[str, ...] = ()) -> Any:
    """A nested value with the attributes its table does not write reset to their defaults."""
    reset = {f.name: f.default for f in dataclasses.fields(obj) if f.name not in kept and f.name not in always}
    return dataclasses.replace(obj, **reset) if reset else obj


def expected(
    descriptor: DatasetDescriptor, profile: type[Any], ceiling: type[Any] = EucaimProfile
) -> DatasetDescriptor:
    """The descriptor as it must come back when exported with `profile` (agents are written with the ceiling's
    agent table whatever the dataset's profile, see catalogue.dcat.profiles.EmitContext)."""
    kept = profile.field_names()
    subject = dataset_iri(descriptor.guid, BASE_URL)
    blank = defaults()
    changes = {name: value for name, value in blank.items() if name not in kept and name not in ("original_iri",)}
    changes.update(guid=subject, original_iri=subject)
    if "n_subjects" in kept and descriptor.n_subjects is not None and descriptor.n_subjects < K:
        changes["n_subjects"] = None
    if "min_age" in kept and descriptor.min_age is not None:
        changes["min_age"] = min(descriptor.min_age // 5 * 5, 90)
    if "max_age" in kept and descriptor.max_age is not None:
        changes["max_age"] = 90 if descriptor.max_age >= 90 else descriptor.max_age // 5 * 5 + 4
    if publish_dataset_figures(n_subjects=descriptor.n_subjects, n_studies=descriptor.n_studies, k=K).small:
        # docs/privacy.md §0.1: a small dataset's study total below k, sex list, ages and years are withheld
        small = {"birth_sex": (), "min_age": None, "max_age": None, "acquisition_year_min": None,
                 "acquisition_year_max": None}
        if descriptor.n_studies is not None and descriptor.n_studies < K:
            small["n_studies"] = None
        changes.update({name: value for name, value in small.items() if name in kept})
    if descriptor.series is not None and "series" in kept:
        changes["series"] = SeriesRef(descriptor.series.key, canonical(descriptor.series.title))
    if "distributions" in kept:
        changes["distributions"] = tuple(
            _project(_canonical_tuples(d), _kept(profile.DISTRIBUTION_FIELDS))
            for d in descriptor.distributions
        )
    if issubclass(profile, DcatAp3Profile):
        title = descriptor.title or (LangText("", descriptor.guid),)
        changes["title"] = title
        if not descriptor.description:
            changes["description"] = title
        changes["distributions"] = tuple(
            d if d.access_urls else dataclasses.replace(
                d, access_urls=d.download_urls or (descriptor.landing_page or subject,)
            )
            for d in changes["distributions"]
        )
    agent_names = _kept(ceiling.AGENT_FIELDS)
    for name in ("publisher", "custodian", "hdab"):
        if name in kept and getattr(descriptor, name) is not None:
            changes[name] = _project(getattr(descriptor, name), agent_names, always=("iri",))
    if "creators" in kept:
        changes["creators"] = tuple(_project(a, agent_names, always=("iri",)) for a in descriptor.creators)
    return descriptor.replace(**changes)


def canonical(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(sorted(set(values)))


def _canonical_tuples(obj: Any) -> Any:
    names = [f.name for f in dataclasses.fields(obj) if isinstance(getattr(obj, f.name), tuple)]
    changes: dict[str, Any] = {name: canonical(getattr(obj, name)) for name in names}
    return dataclasses.replace(obj, **changes)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_export_then_parse_gives_the_same_descriptors(fmt: str, data: st.DataObject) -> None:
    items = data.draw(
        st.lists(descriptors(), min_size=1, max_size=3, unique_by=lambda d: dataset_iri(d.guid, BASE_URL))
    )
    text, report = _export(items, fmt)
    result = parse_rdf(text.encode("utf-8"), PARSE_FORMAT[fmt], atlas_base_url=BASE_URL)
    parsed = {d.guid: d for d in result.descriptors}
    downgraded = {i.iri for i in report.incomplete}  # type: ignore[attr-defined]
    assert len(parsed) == len(items)
    for item in items:
        subject = dataset_iri(item.guid, BASE_URL)
        incomplete_for_hdcat = bool(missing_fields(item.to_dict(include_private=False))[0])
        if incomplete_for_hdcat:
            assert subject in downgraded, "an incomplete dataset must be exported as plain DCAT-AP 3"
        profile = DcatAp3Profile if subject in downgraded else EucaimProfile
        event(f"exported as {profile.NAME}")
        want = expected(item, profile)
        got = parsed[subject]
        assert got.to_dict() == want.to_dict()
        assert got.warnings == (), got.warnings


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(item=descriptors())
def test_every_field_round_trips_when_the_ceiling_profile_is_forced(fmt: str, item: DatasetDescriptor) -> None:
    text, _ = _export([item], fmt, degrade_incomplete=False)
    (got,) = parse_rdf(text.encode("utf-8"), PARSE_FORMAT[fmt], atlas_base_url=BASE_URL).descriptors
    assert got.to_dict() == expected(item, EucaimProfile).to_dict()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(item=descriptors())
def test_schema_org_profile_round_trips_its_fields(item: DatasetDescriptor) -> None:
    text, _ = _export([item], "jsonld", profile=SchemaOrgDatasetProfile)
    (got,) = parse_rdf(text.encode("utf-8"), "json-ld", profile=SchemaOrgDatasetProfile,
                       atlas_base_url=BASE_URL).descriptors
    assert got.to_dict() == expected(item, SchemaOrgDatasetProfile, SchemaOrgDatasetProfile).to_dict()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(item=descriptors())
def test_a_second_round_trip_changes_nothing(item: DatasetDescriptor) -> None:
    text, _ = _export([item], "ttl")
    (once,) = parse_rdf(text.encode(), "turtle", atlas_base_url=BASE_URL).descriptors
    text2, _ = _export([once], "ttl")
    (twice,) = parse_rdf(text2.encode(), "turtle", atlas_base_url=BASE_URL).descriptors
    assert twice.to_dict() == once.to_dict()


def test_the_full_descriptor_sets_every_field_so_the_round_trip_covers_them_all() -> None:
    full = full_descriptor("cover")
    empty = [name for name, default in defaults().items() if getattr(full, name) == default and name != "warnings"]
    assert empty == []
    exported = EucaimProfile.field_names()
    assert set(defaults()) - exported - {"original_iri", "warnings"} == NOT_EXPORTED


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_full_descriptor_round_trips_in_every_format(fmt: str) -> None:
    item = full_descriptor("every-field")
    text, report = _export([item], fmt)
    assert report.by_profile == {"eucaim": 1}  # type: ignore[attr-defined]
    (got,) = parse_rdf(text.encode("utf-8"), PARSE_FORMAT[fmt], atlas_base_url=BASE_URL).descriptors
    assert got.to_dict() == expected(item, EucaimProfile).to_dict()


def test_a_subject_total_below_k_is_withheld_and_reported() -> None:
    item = full_descriptor("small", n_subjects=K - 1)
    text, report = _export([item], "ttl")
    assert "numberOfUniqueIndividuals" not in text
    assert report.withheld == [  # type: ignore[attr-defined]
        (BASE_URL + "datasets/small", name)
        for name in ("birth_sex", "min_age", "max_age", "acquisition_year_min", "acquisition_year_max", "n_subjects")
    ]
    (got,) = parse_rdf(text.encode(), "turtle", atlas_base_url=BASE_URL).descriptors
    assert got.n_subjects is None and got.n_studies == item.n_studies  # at least k studies: still exact
    assert got.birth_sex == () and got.min_age is None and got.max_age is None and got.acquisition_year_min is None


def test_a_small_dataset_withholds_a_study_total_below_k() -> None:
    item = full_descriptor("tiny", n_subjects=2, n_studies=3)
    text, report = _export([item], "ttl")
    assert "numberOfRecords" not in text and "hasBirthSex" not in text and "minTypicalAge" not in text
    assert (BASE_URL + "datasets/tiny", "n_studies") in report.withheld  # type: ignore[attr-defined]


def test_a_subject_total_of_k_is_published() -> None:
    text, report = _export([full_descriptor("at-k", n_subjects=K)], "ttl")
    assert f'healthdcatap:numberOfUniqueIndividuals "{K}"^^xsd:nonNegativeInteger' in text
    assert report.withheld == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("ages", "published"), [((23, 67), (20, 69)), ((0, 4), (0, 4)), ((89, 97), (85, 90)),
                                                 ((90, 90), (90, 90))])
def test_ages_are_published_as_band_edges_never_exactly(ages: tuple[int, int], published: tuple[int, int]) -> None:
    text, _ = _export([full_descriptor("ages", min_age=ages[0], max_age=ages[1])], "ttl")
    (got,) = parse_rdf(text.encode(), "turtle", atlas_base_url=BASE_URL).descriptors
    assert (got.min_age, got.max_age) == published


def test_languages_tags_and_untagged_literals_come_back_as_they_were() -> None:
    item = full_descriptor("langs", title=(LangText("", "plain"), LangText("en-GB", "tagged"), LangText("nl", "NL")))
    text, _ = _export([item], "rdf")
    (got,) = parse_rdf(text.encode(), "xml", atlas_base_url=BASE_URL).descriptors
    assert got.title == item.title


def test_a_shared_series_or_agent_is_described_once_and_the_first_description_wins() -> None:
    from catalogue.descriptors import AgentRef

    first = full_descriptor("one", series=SeriesRef("shared", (LangText("en", "First title"),)),
                            hdab=AgentRef(name="HDAB", iri="https://hdab.example/", email="a@hdab.example"))
    second = full_descriptor("two", series=SeriesRef("shared", (LangText("en", "Second title"),)),
                             hdab=AgentRef(name="HDAB renamed", iri="https://hdab.example/", email="b@hdab.example"))
    text, _ = _export([first, second], "ttl")
    assert text.count("a dcat:DatasetSeries") == 1 and text.count("<https://hdab.example/>\n") == 1
    one, two = parse_rdf(text.encode(), "turtle", atlas_base_url=BASE_URL).descriptors
    assert one.series == two.series == SeriesRef("shared", (LangText("en", "First title"),))
    assert one.hdab == two.hdab and one.hdab.email == "a@hdab.example"  # type: ignore[union-attr]
