"""Sources in the Django admin go through the services: publishing reaches the search index, defaults and
priority re-merge the datasets, identity fields stay, nothing is deleted behind the services' back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalogue import services
from catalogue.errors import Conflict, ValidationError
from catalogue.models import Dataset, Source
from catalogue.services import dataset_upsert
from search.query import SearchQuery
from search.services import dataset_search
from tests.factories import AgentRef, LangText, make_descriptor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_superuser("root", "root@atlas.example", "a-long-admin-password-0")
    client.force_login(user)
    return client


@pytest.fixture
def hidden(db) -> Source:  # type: ignore[no-untyped-def]
    return services.source_create(slug="hidden-node", name="Hidden node", kind="dicom_folder", priority=20)


def found(text: str) -> list[str]:
    """Identifiers the search service finds for a free-text query (what a researcher would see)."""
    return dataset_search(query=SearchQuery(text=text, page_size=100)).result.identifiers


def change_form(source: Source, **changes: Any) -> dict[str, Any]:
    """The POST body of the source's admin change form as it is now, with `changes` applied."""
    source.refresh_from_db()
    data: dict[str, Any] = {
        "name": source.name, "priority": source.priority, "contact_email": source.contact_email,
        "defaults": json.dumps(source.defaults or {}), "curators": [u.pk for u in source.curators.all()], "_save": "Save",
    }
    if source.published:
        data["published"] = "on"
    for key, value in changes.items():
        if key == "published":
            data.pop("published", None)
            if value:
                data["published"] = "on"
        else:
            data[key] = value
    return data


def test_publishing_a_source_in_the_admin_puts_its_datasets_in_search(admin_client, vocab, hidden):
    dataset = dataset_upsert(descriptor=make_descriptor("adm-1", title=(LangText("en", "Glioblastoma MR archive"),)),
                             source=hidden).dataset
    assert dataset.identifier not in found("Glioblastoma")

    response = admin_client.post(f"/admin/catalogue/source/{hidden.pk}/change/", change_form(hidden, published=True))
    assert response.status_code == 302, response.content.decode()[:2000]

    hidden.refresh_from_db()
    assert hidden.published
    assert found("Glioblastoma") == [dataset.identifier]

    response = admin_client.post(f"/admin/catalogue/source/{hidden.pk}/change/", change_form(hidden, published=False))
    assert response.status_code == 302
    assert found("Glioblastoma") == []


def test_the_publish_action_of_the_source_list_puts_datasets_in_search(admin_client, vocab, hidden):
    dataset = dataset_upsert(descriptor=make_descriptor("adm-2", title=(LangText("en", "Prostate MR archive"),)),
                             source=hidden).dataset
    response = admin_client.post("/admin/catalogue/source/", {"action": "publish", "_selected_action": [hidden.pk]})
    assert response.status_code == 302
    assert found("Prostate") == [dataset.identifier]


def test_defaults_set_in_the_admin_re_merge_the_datasets_and_reach_search(admin_client, vocab, source):
    dataset = dataset_upsert(descriptor=make_descriptor("adm-3", full=False), source=source).dataset
    assert dataset.publisher is None
    defaults = {"publisher": {"name": "Rijksarchief Oncologie"}}
    response = admin_client.post(f"/admin/catalogue/source/{source.pk}/change/",
                                 change_form(source, defaults=json.dumps(defaults)))
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.publisher is not None and dataset.publisher.name == "Rijksarchief Oncologie"
    assert found("Rijksarchief") == [dataset.identifier]


def test_bad_defaults_are_shown_on_the_form_and_nothing_is_saved(admin_client, vocab, hidden):
    response = admin_client.post(f"/admin/catalogue/source/{hidden.pk}/change/",
                                 change_form(hidden, published=True, defaults=json.dumps({"title": "not a default"})))
    assert response.status_code == 200
    assert "cannot be a source default" in response.content.decode()
    hidden.refresh_from_db()
    assert hidden.defaults == {} and not hidden.published


def test_a_new_priority_set_in_the_admin_changes_which_source_wins(admin_client, vocab, source, other_source):
    doi = "10.5555/atlas-admin-priority"
    dataset_upsert(descriptor=make_descriptor("p-a", doi=doi, title=(LangText("en", "Title from the node"),)),
                   source=source)
    dataset = dataset_upsert(descriptor=make_descriptor("p-b", doi=doi, title=(LangText("en", "Title from the feed"),)),
                             source=other_source).dataset
    assert Dataset.objects.count() == 1
    dataset.refresh_from_db()
    assert dataset.sort_title == "Title from the node"  # priority 10 beats 50

    response = admin_client.post(f"/admin/catalogue/source/{source.pk}/change/", change_form(source, priority=90))
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.sort_title == "Title from the feed"
    assert found("feed") == [dataset.identifier] and found("node") == []


def test_adding_a_source_in_the_admin_goes_through_the_service(admin_client, vocab, django_user_model):
    curator = django_user_model.objects.create_user("curator-a", password="a-long-curator-password-0", is_staff=True)
    response = admin_client.post("/admin/catalogue/source/add/", {
        "slug": "new-node", "name": "New node", "kind": "dicom_folder", "priority": 30, "published": "on",
        "contact_email": "", "defaults": json.dumps({"version": "2.0"}), "curators": [curator.pk], "_save": "Save",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Source.objects.get(slug="new-node")
    assert source.published and source.priority == 30 and source.defaults == {"version": "2.0"}
    assert list(source.curators.all()) == [curator]


def test_slug_and_kind_cannot_be_changed_and_sources_cannot_be_deleted_in_the_admin(admin_client, hidden):
    response = admin_client.post(f"/admin/catalogue/source/{hidden.pk}/change/",
                                 {**change_form(hidden), "slug": "renamed", "kind": "dcat_rdf"})
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert (hidden.slug, hidden.kind) == ("hidden-node", "dicom_folder")
    assert admin_client.get(f"/admin/catalogue/source/{hidden.pk}/delete/").status_code == 403


def test_vocabularies_agents_and_series_are_view_only_in_the_admin(admin_client, vocab):
    for model in ("conceptscheme", "concept", "agent", "catalogue", "datasetseries"):
        assert admin_client.get(f"/admin/catalogue/{model}/").status_code == 200, model
        assert admin_client.get(f"/admin/catalogue/{model}/add/").status_code == 403, model


def test_a_curator_sees_only_datasets_of_their_active_records_in_the_admin(client, vocab, source, other_source,
                                                                           django_user_model):
    from django.contrib.auth.models import Permission

    curator = django_user_model.objects.create_user("curator-b", password="a-long-curator-password-0", is_staff=True)
    curator.user_permissions.add(Permission.objects.get(codename="view_dataset"))
    source.curators.add(curator)
    mine = dataset_upsert(descriptor=make_descriptor("mine"), source=source).dataset
    theirs = dataset_upsert(descriptor=make_descriptor("theirs"), source=other_source).dataset
    gone = dataset_upsert(descriptor=make_descriptor("gone"), source=source).dataset
    services.dataset_withdraw(source=source, guid="gone")
    client.force_login(curator)
    html = client.get("/admin/catalogue/dataset/").content.decode()
    assert mine.identifier in html
    assert theirs.identifier not in html and gone.identifier not in html


# ---------------------------------------------------------------------------------------------- the services


def test_source_publish_announces_even_when_the_instance_was_already_changed(vocab, hidden):
    """What the admin's form does: it sets `published` on the instance before the service sees it."""
    dataset = dataset_upsert(descriptor=make_descriptor("inst", title=(LangText("en", "Mesothelioma CT"),)),
                             source=hidden).dataset
    hidden.published = True
    services.source_publish(source=hidden, published=True)
    assert found("Mesothelioma") == [dataset.identifier]


def test_source_create_refuses_a_taken_slug_and_bad_fields(db, hidden):
    with pytest.raises(Conflict) as taken:
        services.source_create(slug="hidden-node", name="Again", kind="dicom_folder")
    assert taken.value.code == "source_exists"
    for bad in ({"kind": "ftp_site"}, {"slug": "not a slug"}, {"contact_email": "nobody"}):
        fields = {"slug": "fresh", "name": "Fresh", "kind": "dicom_folder", **bad}
        with pytest.raises(ValidationError) as refused:
            services.source_create(**fields)
        assert refused.value.field == next(iter(bad)), bad
    assert not Source.objects.filter(name="Fresh").exists()


def test_source_create_published_with_defaults_goes_through_both_services(vocab, db):
    source = services.source_create(slug="pub", name="Pub", kind="manual", published=True,
                                    defaults={"publisher": {"name": "Default publisher"}})
    dataset = dataset_upsert(descriptor=make_descriptor("d", full=False, title=(LangText("en", "Melanoma photos"),)),
                             source=source).dataset
    assert dataset.publisher.name == "Default publisher"
    assert found("Melanoma") == [dataset.identifier]


def test_source_update_leaves_the_datasets_alone_when_the_priority_stays(vocab, source, django_assert_max_num_queries):
    dataset_upsert(descriptor=make_descriptor("stay", publisher=AgentRef(name="A")), source=source)
    updated = services.source_update(source=source, name="Hospital node A (renamed)", priority=source.priority)
    assert updated.name == "Hospital node A (renamed)"
    with django_assert_max_num_queries(6):  # no re-merge: lock, nothing to change
        services.source_update(source=source, name="Hospital node A (renamed)")
