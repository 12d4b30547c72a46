"""The descriptor contract: deterministic content hash, JSON round trip, strictness."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.descriptors import (
    AgentRef,
    DatasetDescriptor,
    DistributionDescriptor,
    LangText,
    StudyFactRecord,
    descriptor_field_names,
)

iris = st.builds(lambda s: f"https://vocab.example/{s}", st.text("abcdefghij", min_size=1, max_size=6))
texts = st.text(min_size=1, max_size=30)
langs = st.sampled_from(["", "en", "fr", "de", "es"])


@st.composite
def descriptors(draw):  # type: ignore[no-untyped-def]
    return DatasetDescriptor(
        guid=draw(st.text("abcdefghij0123456789-", min_size=1, max_size=12)),
        title=tuple(draw(st.lists(st.builds(LangText, langs, texts), min_size=1, max_size=3))),
        keywords=tuple(draw(st.lists(texts, max_size=5))),
        modalities=tuple(draw(st.lists(iris, max_size=4))),
        n_subjects=draw(st.none() | st.integers(0, 10**6)),
        publisher=draw(st.none() | st.builds(AgentRef, texts)),
        distributions=tuple(
            draw(st.lists(
                st.builds(DistributionDescriptor, access_urls=st.tuples(iris), byte_size=st.none() | st.integers(0, 10**9)),
                max_size=3,
            ))
        ),
        study_facts=tuple(
            draw(st.lists(st.builds(StudyFactRecord, texts, age_band=st.none() | st.sampled_from([0, 5, 90])), max_size=4))
        ),
    )


@given(descriptors(), st.randoms())
def test_content_hash_ignores_the_order_of_set_like_values(descriptor, rnd):
    shuffled = {}
    for name in ("title", "keywords", "modalities", "distributions", "study_facts"):
        values = list(getattr(descriptor, name))
        rnd.shuffle(values)
        shuffled[name] = tuple(values)
    assert descriptor.replace(**shuffled).content_hash() == descriptor.content_hash()


@given(descriptors())
def test_round_trip_through_plain_json_is_exact(descriptor):
    again = DatasetDescriptor.from_dict(descriptor.to_dict())
    assert again == descriptor
    assert again.content_hash() == descriptor.content_hash()


def test_hash_changes_when_a_value_changes():
    a = DatasetDescriptor(guid="g", title=(LangText("en", "A"),), n_subjects=10)
    assert a.content_hash() != a.replace(n_subjects=11).content_hash()


def test_unknown_fields_are_refused_not_ignored():
    with pytest.raises(ValueError, match="patient_name"):
        DatasetDescriptor.from_dict({"guid": "g", "title": [], "patient_name": "Doe^John"})


def test_negative_or_boolean_counts_are_refused():
    with pytest.raises(ValueError):
        DatasetDescriptor(guid="g", title=(), n_subjects=-1)
    with pytest.raises(TypeError, match="n_studies"):
        DatasetDescriptor(guid="g", title=(), n_studies=True)


def test_lists_must_be_tuples_so_descriptors_stay_hashable():
    with pytest.raises(TypeError):
        DatasetDescriptor(guid="g", title=[LangText("en", "x")])  # type: ignore[arg-type]


def test_private_fields_are_not_curatable():
    names = descriptor_field_names()
    assert "study_facts" not in names and "guid" not in names and "title" in names


def test_identical_study_facts_are_all_kept():
    fact = StudyFactRecord(subject_key="s", sex="F", year=2020, modalities=("CT",))
    d = DatasetDescriptor(guid="g", title=(), study_facts=(fact, fact, fact))
    assert len(d.study_facts) == 3
    assert DatasetDescriptor.from_dict(d.to_dict()).study_facts == d.study_facts


@pytest.mark.parametrize("changes,named", [
    ({"publisher": {"name": 5}}, "publisher"), ({"acquisition_year_min": "abc"}, "acquisition_year_min"),
    ({"title": [{"lang": "en", "text": 3}]}, "title"), ({"keywords": ["ok", 7]}, "keywords"),
    ({"distributions": [{"access_urls": "https://not-a-list"}]}, "access_urls"),
])
def test_values_of_the_wrong_type_are_refused_naming_the_field(changes, named):
    with pytest.raises(TypeError) as err:
        DatasetDescriptor.from_dict({"guid": "g", "title": [{"lang": "en", "text": "T"}], **changes})
    assert named in str(err.value)
