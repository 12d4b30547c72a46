"""Upsert outcomes, identity, merging of sources, withdrawal, curator overrides, source defaults, study facts."""

from __future__ import annotations

import re

import pytest

from catalogue import services
from catalogue.errors import NotFound, ValidationError
from catalogue.models import (
    Concept,
    Dataset,
    DatasetProvenance,
    DatasetStatus,
    Source,
    StudyFact,
)
from catalogue.selectors import dataset_list_public
from catalogue.services import UpsertOutcome, dataset_upsert, dataset_withdraw
from tests.factories import ACCESS, AgentRef, LangText, StudyFactRecord, iri, make_descriptor

pytestmark = pytest.mark.django_db


def test_upsert_creates_then_reports_unchanged_then_updated(vocab, source):
    first = dataset_upsert(descriptor=make_descriptor(), source=source)
    assert first.outcome is UpsertOutcome.CREATED
    again = dataset_upsert(descriptor=make_descriptor(), source=source)
    assert again.outcome is UpsertOutcome.UNCHANGED
    assert again.dataset.pk == first.dataset.pk
    changed = dataset_upsert(descriptor=make_descriptor(n_subjects=121), source=source)
    assert changed.outcome is UpsertOutcome.UPDATED
    changed.dataset.refresh_from_db()
    assert changed.dataset.n_subjects == 121
    assert Dataset.objects.count() == 1


def test_identifier_is_url_safe_unique_and_stable_across_reharvests(vocab, source):
    a = dataset_upsert(descriptor=make_descriptor("a"), source=source).dataset
    b = dataset_upsert(descriptor=make_descriptor("b"), source=source).dataset
    assert a.identifier != b.identifier
    assert re.fullmatch(r"[a-z0-9-]+", a.identifier)
    identifier = a.identifier
    dataset_upsert(descriptor=make_descriptor("a", version="2.0"), source=source)
    a.refresh_from_db()
    assert a.identifier == identifier
    assert a.iri.endswith(f"/datasets/{a.identifier}")


def test_minted_identifier_is_deterministic_for_a_rebuilt_catalogue(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("x-1"), source=source).dataset
    identifier = dataset.identifier
    Dataset.objects.all().delete()
    again = dataset_upsert(descriptor=make_descriptor("x-1"), source=source).dataset
    assert again.identifier == identifier


def test_same_doi_from_two_sources_is_one_dataset_with_two_provenance_records(vocab, source, other_source):
    a = dataset_upsert(descriptor=make_descriptor("local-1", doi="10.7937/K9/TCIA.2015.ABC"), source=source)
    b = dataset_upsert(
        descriptor=make_descriptor("https://feed.example/ds/9", doi="https://doi.org/10.7937/k9/tcia.2015.abc"),
        source=other_source,
    )
    assert a.dataset.pk == b.dataset.pk
    assert b.outcome is UpsertOutcome.UPDATED
    assert DatasetProvenance.objects.filter(dataset=a.dataset).count() == 2
    assert Dataset.objects.count() == 1


def test_same_original_iri_from_two_sources_is_one_dataset(vocab, source, other_source):
    iri_ = "https://other-catalogue.example/dataset/lung-1"
    a = dataset_upsert(descriptor=make_descriptor("g1", original_iri=iri_), source=source)
    b = dataset_upsert(descriptor=make_descriptor("g2", original_iri=iri_), source=other_source)
    assert a.dataset.pk == b.dataset.pk


def test_higher_priority_source_wins_each_field_and_gaps_are_filled_from_the_other(vocab, source, other_source):
    doi = "10.1000/shared"
    dataset_upsert(
        descriptor=make_descriptor("feed", doi=doi, title=(LangText("en", "Feed title"),), n_series=999,
                                   version=""),
        source=other_source,
    )
    result = dataset_upsert(
        descriptor=make_descriptor("node", doi=doi, title=(LangText("en", "Node title"),), n_series=None,
                                   version="3"),
        source=source,
    )
    dataset = result.dataset
    dataset.refresh_from_db()
    assert source.priority < other_source.priority
    assert dataset.title == {"en": "Node title"}  # the node (priority 10) wins
    assert dataset.n_series == 999  # the node left it empty: the feed fills it
    assert dataset.version == "3"


def test_withdrawing_one_source_keeps_the_dataset_and_the_last_one_withdraws_it(vocab, source, other_source):
    doi = "10.1000/w"
    dataset_upsert(descriptor=make_descriptor("n", doi=doi, title=(LangText("en", "Node"),)), source=source)
    dataset_upsert(descriptor=make_descriptor("f", doi=doi, title=(LangText("en", "Feed"),)), source=other_source)
    result = dataset_withdraw(source=source, guid="n")
    assert result.outcome is UpsertOutcome.UPDATED
    result.dataset.refresh_from_db()
    assert result.dataset.title == {"en": "Feed"}
    assert result.dataset.status == DatasetStatus.ACTIVE
    last = dataset_withdraw(source=other_source, guid="f")
    assert last.outcome is UpsertOutcome.WITHDRAWN
    last.dataset.refresh_from_db()
    assert last.dataset.status == DatasetStatus.WITHDRAWN
    assert not dataset_list_public().filter(pk=last.dataset.pk).exists()
    assert Dataset.objects.filter(pk=last.dataset.pk).exists()  # soft: never deleted


def test_reharvest_of_a_withdrawn_dataset_reactivates_it(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("r"), source=source).dataset
    dataset_withdraw(source=source, guid="r")
    again = dataset_upsert(descriptor=make_descriptor("r"), source=source)
    assert again.outcome is UpsertOutcome.UPDATED
    again.dataset.refresh_from_db()
    assert again.dataset.pk == dataset.pk and again.dataset.status == DatasetStatus.ACTIVE


def test_withdraw_of_an_unknown_record_is_a_clear_error(vocab, source):
    with pytest.raises(NotFound):
        dataset_withdraw(source=source, guid="nope")


def test_curator_override_survives_reharvests_until_cleared(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("o"), source=source).dataset
    services.dataset_override_set(dataset=dataset, field="access_rights", value=ACCESS + "NON_PUBLIC")
    dataset_upsert(descriptor=make_descriptor("o", n_subjects=500), source=source)
    dataset.refresh_from_db()
    assert dataset.access_rights.code == "NON_PUBLIC"
    assert dataset.n_subjects == 500
    services.dataset_override_clear(dataset=dataset, field="access_rights")
    dataset.refresh_from_db()
    assert dataset.access_rights.code == "RESTRICTED"


def test_override_of_an_unknown_field_or_bad_value_is_refused(vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("o2"), source=source).dataset
    with pytest.raises(ValidationError) as err:
        services.dataset_override_set(dataset=dataset, field="patient_name", value="x")
    assert err.value.code == "unknown_field"
    with pytest.raises(ValidationError):
        services.dataset_override_set(dataset=dataset, field="n_subjects", value=-3)
    with pytest.raises(ValidationError):
        services.dataset_override_set(dataset=dataset, field="study_facts", value=[])
    dataset.refresh_from_db()
    assert dataset.overrides == {}


def test_source_defaults_fill_only_what_the_harvest_left_empty(vocab, source):
    hdab = {"name": "Default HDAB", "contact_page": "https://hdab.example"}
    services.source_defaults_set(
        source=source, defaults={"hdab": hdab, "access_rights": ACCESS + "PUBLIC", "version": "9"}
    )
    dataset = dataset_upsert(descriptor=make_descriptor("d", hdab=None, version="2"), source=source).dataset
    dataset.refresh_from_db()
    assert dataset.hdab.name == "Default HDAB"  # the harvest had none
    assert dataset.access_rights.code == "RESTRICTED"  # the harvest knew it
    assert dataset.version == "2"


def test_source_defaults_refuse_fields_a_harvest_knows(vocab, source):
    with pytest.raises(ValidationError):
        services.source_defaults_set(source=source, defaults={"n_subjects": 10})


def test_completeness_lists_what_a_minimal_dataset_lacks_and_a_full_one_lacks_nothing(vocab, source):
    minimal = dataset_upsert(descriptor=make_descriptor("min", full=False), source=source).dataset
    assert "hdab" in minimal.missing_healthdcatap
    assert "health_categories" in minimal.missing_healthdcatap
    assert "distributions" in minimal.missing_healthdcatap
    assert "title" not in minimal.missing_healthdcatap
    assert {"cancer_types", "modalities", "tier", "n_subjects"} <= set(minimal.missing_eucaim)
    full = dataset_upsert(descriptor=make_descriptor("full"), source=source).dataset
    assert full.missing_healthdcatap == []
    assert full.missing_eucaim == []
    assert full.is_complete_eucaim


def test_completeness_flags_a_distribution_without_an_eucaim_access_condition(vocab, source):
    from tests.factories import EHDS, DistributionDescriptor

    dist = DistributionDescriptor(access_urls=("https://x.example",), applicable_legislation=(EHDS,))
    dataset = dataset_upsert(descriptor=make_descriptor("nd", distributions=(dist,)), source=source).dataset
    assert dataset.missing_healthdcatap == []
    assert dataset.missing_eucaim == ["distributions.rights"]


def test_unknown_vocabulary_iri_is_kept_as_an_external_concept(vocab, source):
    odd = "https://vocab.example/cancer/rare-tumour-77"
    dataset = dataset_upsert(
        descriptor=make_descriptor("u", cancer_types=(iri("cancer-type", "NSCLC"), odd)), source=source
    ).dataset
    codes = {c.iri for c in dataset.cancer_types.all()}
    assert odd in codes
    assert Concept.objects.get(iri=odd).is_external


def test_unpublished_source_datasets_are_not_public(vocab, db):
    hidden = Source.objects.create(slug="new", name="New node", kind="dicom_folder", published=False)
    dataset = dataset_upsert(descriptor=make_descriptor("h"), source=hidden).dataset
    assert not dataset_list_public().filter(pk=dataset.pk).exists()
    services.source_publish(source=hidden, published=True)
    assert dataset_list_public().filter(pk=dataset.pk).exists()


def test_study_facts_store_salted_subject_hashes_never_the_key(vocab, source, other_source):
    facts = (
        StudyFactRecord(subject_key="SUBJ-0001", sex="F", age_band=55, year=2019, modalities=("CT",)),
        StudyFactRecord(subject_key="SUBJ-0001", sex="F", age_band=55, year=2020, modalities=("PT",)),
    )
    a = dataset_upsert(descriptor=make_descriptor("sf1", study_facts=facts), source=source).dataset
    b = dataset_upsert(descriptor=make_descriptor("sf2", study_facts=facts), source=other_source).dataset
    rows_a = list(StudyFact.objects.filter(dataset=a))
    rows_b = list(StudyFact.objects.filter(dataset=b))
    assert len(rows_a) == 2 and len(rows_b) == 2
    assert all("SUBJ" not in r.subject_hash for r in rows_a)
    assert rows_a[0].subject_hash == rows_a[1].subject_hash  # same subject within a dataset
    assert rows_a[0].subject_hash != rows_b[0].subject_hash  # not linkable across datasets
    assert {r.modalities for r in rows_a} == {"|CT|", "|PT|"}


def test_reharvest_replaces_study_facts_and_withdrawal_removes_them(vocab, source):
    one = (StudyFactRecord(subject_key="k1"),)
    two = (StudyFactRecord(subject_key="k1"), StudyFactRecord(subject_key="k2"))
    dataset = dataset_upsert(descriptor=make_descriptor("sf", study_facts=one), source=source).dataset
    dataset_upsert(descriptor=make_descriptor("sf", study_facts=two), source=source)
    assert StudyFact.objects.filter(dataset=dataset).count() == 2
    dataset_withdraw(source=source, guid="sf")
    assert StudyFact.objects.filter(dataset=dataset).count() == 0


def test_agents_are_reused_by_name_and_keep_their_contact_point(vocab, source):
    pub = AgentRef(name="Hospital A", email="data@hospital-a.example")
    a = dataset_upsert(descriptor=make_descriptor("ag1", publisher=pub), source=source).dataset
    b = dataset_upsert(descriptor=make_descriptor("ag2", publisher=pub), source=source).dataset
    assert a.publisher_id == b.publisher_id
    assert a.publisher.email == "data@hospital-a.example"


def test_failed_upsert_leaves_the_catalogue_as_it_was(vocab, source, monkeypatch):
    dataset = dataset_upsert(descriptor=make_descriptor("atomic"), source=source).dataset
    before = (dataset.content_hash, dataset.n_subjects)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_replace_study_facts", boom)
    with pytest.raises(RuntimeError):
        dataset_upsert(descriptor=make_descriptor("atomic", n_subjects=999), source=source)
    dataset.refresh_from_db()
    assert (dataset.content_hash, dataset.n_subjects) == before
    record = DatasetProvenance.objects.get(source=source, guid="atomic")
    assert record.descriptor["n_subjects"] == 120


def test_long_harvested_values_are_stored_whole(vocab, source):
    from catalogue.descriptors import Checksum
    from tests.factories import EHDS, DistributionDescriptor

    long_iri = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256" + "x" * 300
    dist = DistributionDescriptor(
        access_urls=("https://x.example/" + "p" * 900,), applicable_legislation=(EHDS,),
        media_type="application/dicom; profile=" + "y" * 200, checksum=Checksum(long_iri, "ab" * 300),
    )
    agent = AgentRef(name="Hospital with a long contact", telephone="+34 " + "9" * 120,
                     homepage="https://h.example/" + "h" * 700, iri="https://agents.example/" + "a" * 700)
    dataset = dataset_upsert(
        descriptor=make_descriptor("long", distributions=(dist,), publisher=agent, version="v" * 300,
                                   landing_page="https://l.example/" + "l" * 800, modified="2024-01-01T00:00:00+00:00"),
        source=source,
    ).dataset
    dataset.refresh_from_db()
    assert dataset.distributions.get().checksum_algorithm == long_iri
    assert dataset.publisher.telephone.endswith("9" * 120)
    assert len(dataset.version) == 300


def test_the_catalogue_record_gets_its_mandatory_publisher_once(db, settings):
    settings.ATLAS_PUBLISHER_NAME = "Atlas Operator"
    first = services.catalogue_ensure()
    again = services.catalogue_ensure()
    assert first.pk == again.pk
    assert again.publisher.name == "Atlas Operator"
    assert again.publisher.contact_page == settings.ATLAS_BASE_URL
    assert again.applicable_legislation == ["http://data.europa.eu/eli/reg/2025/327/oj"]


def test_distribution_and_series_lists_are_order_independent():
    from catalogue.descriptors import SeriesRef
    from tests.factories import DistributionDescriptor

    a = DistributionDescriptor(access_urls=("https://b", "https://a"), rights=("r2", "r1", "r1"))
    b = DistributionDescriptor(access_urls=("https://a", "https://b"), rights=("r1", "r2"))
    assert a == b
    en, fr = LangText("en", "y"), LangText("fr", "x")
    assert SeriesRef("k", (fr, en)) == SeriesRef("k", (en, fr))


def test_links_that_are_not_http_are_dropped_before_anyone_renders_them(vocab, source, client):
    from tests.factories import EHDS, DistributionDescriptor

    dist = DistributionDescriptor(access_urls=("javascript:alert(1)", "https://ok.example/a"),
                                  applicable_legislation=(EHDS,))
    dataset = dataset_upsert(
        descriptor=make_descriptor("xss", distributions=(dist,), landing_page="javascript:alert(2)"), source=source
    ).dataset
    dataset.refresh_from_db()
    assert dataset.distributions.get().access_urls == ["https://ok.example/a"]
    assert dataset.landing_page == ""
    assert "javascript:" not in client.get(f"/datasets/{dataset.identifier}").content.decode()
    assert "javascript:" not in str(dataset.merged)


def test_one_source_cannot_rewrite_the_publisher_another_source_shows(vocab, source, other_source):
    a = dataset_upsert(descriptor=make_descriptor("a1", publisher=AgentRef(name="Hospital A", email="a@a.example")),
                       source=source).dataset
    b = dataset_upsert(descriptor=make_descriptor("b1", publisher=AgentRef(name="hospital a", email="evil@x.example")),
                       source=other_source).dataset
    services.dataset_override_set(dataset=b, field="publisher", value={"name": "Hospital A", "email": "evil@x.example"})
    a.refresh_from_db()
    assert a.publisher.email == "a@a.example" and a.publisher.name == "Hospital A"


def test_a_dataset_reharvested_after_withdrawal_returns_to_the_index(vocab, source):
    from search.models import SearchDocument

    dataset = dataset_upsert(descriptor=make_descriptor("back"), source=source).dataset
    dataset_withdraw(source=source, guid="back")
    assert not SearchDocument.objects.filter(identifier=dataset.identifier).exists()
    dataset_upsert(descriptor=make_descriptor("back"), source=source)
    assert SearchDocument.objects.filter(identifier=dataset.identifier).exists()


def test_an_iri_of_another_vocabulary_does_not_land_in_the_wrong_field(vocab, source):
    licence = iri("licence", "CC_BY_4_0")
    dataset = dataset_upsert(descriptor=make_descriptor("wrong", access_rights=licence), source=source).dataset
    dataset.refresh_from_db()
    assert dataset.access_rights is None


def test_a_source_licence_default_applies_to_distributions_without_one(vocab, source):
    cc0 = iri("licence", "CC0")
    services.source_defaults_set(source=source, defaults={"license": iri("licence", "CC_BY_4_0")})
    from tests.factories import EHDS, DistributionDescriptor

    dists = (DistributionDescriptor(access_urls=("https://a.example",), applicable_legislation=(EHDS,)),
             DistributionDescriptor(access_urls=("https://b.example",), applicable_legislation=(EHDS,), license=cc0))
    dataset = dataset_upsert(descriptor=make_descriptor("lic", distributions=dists), source=source).dataset
    licences = {tuple(d.access_urls): d.license.code for d in dataset.distributions.all()}
    assert licences == {("https://a.example",): "CC_BY_4_0", ("https://b.example",): "CC0"}
    with pytest.raises(ValidationError):
        services.source_defaults_set(source=source, defaults={"license": 5})
