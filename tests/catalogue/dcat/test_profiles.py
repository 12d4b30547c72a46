"""The mapping tables: one table per profile drives both directions, so the tables themselves are checked."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from catalogue.completeness import EUCAIM_MANDATORY, HEALTHDCATAP_MANDATORY, missing_fields
from catalogue.dcat.profiles import (
    PROFILES,
    DcatAp3Profile,
    EucaimProfile,
    HealthDcatApProfile,
    SchemaOrgDatasetProfile,
    completeness_view,
    profile_for_dataset,
)
from catalogue.dcat.writers import RdfXmlWriter, is_iri
from tests.catalogue.dcat.builders import descriptors, full_descriptor, minimal_descriptor

TABLES = ("FIELDS", "DISTRIBUTION_FIELDS", "AGENT_FIELDS", "CONTACT_FIELDS", "CATALOGUE_FIELDS")


def test_each_profile_extends_the_one_it_builds_on() -> None:
    assert issubclass(EucaimProfile, HealthDcatApProfile) and issubclass(HealthDcatApProfile, DcatAp3Profile)
    assert DcatAp3Profile.field_names() < HealthDcatApProfile.field_names() < EucaimProfile.field_names()


def test_every_mandatory_field_of_the_completeness_rules_is_mapped() -> None:
    assert set(HEALTHDCATAP_MANDATORY) <= HealthDcatApProfile.field_names()
    assert set(EUCAIM_MANDATORY) <= EucaimProfile.field_names()


@pytest.mark.parametrize("name", sorted(PROFILES))
@pytest.mark.parametrize("table", TABLES)
def test_one_predicate_is_written_by_one_field_only(name: str, table: str) -> None:
    fields = getattr(PROFILES[name], table)
    exported = Counter(f.predicate for f in fields if f.export)
    assert [p for p, n in exported.items() if n > 1] == []
    aliases = {a for f in fields for a in f.aliases}
    assert not aliases & set(exported), "a harvest alias must not be another field's property"


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_property_of_every_table_is_an_iri_rdf_xml_can_write(name: str) -> None:
    for table in TABLES:
        for field in getattr(PROFILES[name], table):
            for predicate in field.predicates:
                assert is_iri(predicate)
                RdfXmlWriter._element(predicate)


def test_a_complete_dataset_gets_the_ceiling_profile_and_an_incomplete_one_plain_dcat_ap() -> None:
    assert profile_for_dataset(EucaimProfile, full_descriptor("a")) == (EucaimProfile, [])
    assert profile_for_dataset(HealthDcatApProfile, full_descriptor("a")) == (HealthDcatApProfile, [])
    profile, missing = profile_for_dataset(EucaimProfile, minimal_descriptor("b"))
    assert profile is DcatAp3Profile and "hdab" in missing and "health_categories" in missing
    assert profile_for_dataset(DcatAp3Profile, full_descriptor("a")) == (DcatAp3Profile, [])
    assert profile_for_dataset(SchemaOrgDatasetProfile, minimal_descriptor("b")) == (SchemaOrgDatasetProfile, [])


@pytest.mark.parametrize(("changes", "lack"), [
    ({"access_rights": "https://x.example/open"}, "access_rights (PUBLIC, RESTRICTED or NON_PUBLIC)"),
    ({"has_structured_data": True}, "variables (hasStructuredData true requires healthdcatap:hasVariables)"),
    ({"custodian": None, "creators": (), "series": None}, None),
])
def test_rules_of_the_r8_shapes_beyond_the_completeness_list_downgrade_a_dataset(changes, lack) -> None:  # type: ignore[no-untyped-def]
    profile, missing = profile_for_dataset(EucaimProfile, full_descriptor("a", **changes))
    if lack is None:
        assert profile is EucaimProfile and missing == []
    else:
        assert profile is DcatAp3Profile and missing == [lack]


def test_a_custodian_or_contact_without_a_way_to_reach_them_downgrades_a_dataset() -> None:
    from catalogue.descriptors import AgentRef, ContactPoint

    _, missing = profile_for_dataset(EucaimProfile, full_descriptor("a", custodian=AgentRef(name="No contact")))
    assert missing == ["custodian.contact_point"]
    _, missing = profile_for_dataset(EucaimProfile, full_descriptor("a", contact_points=(ContactPoint(name="Only"),)))
    assert missing == ["contact_points.email_or_url"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(item=descriptors())
def test_the_cheap_completeness_view_answers_like_the_full_descriptor_dict(item) -> None:  # type: ignore[no-untyped-def]
    assert missing_fields(completeness_view(item)) == missing_fields(item.to_dict(include_private=False))
