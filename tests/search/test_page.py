"""The portal's /search/ page: the search service, facet links, paging, strict parameters; the home form."""

from __future__ import annotations

import pytest

from catalogue.services import dataset_upsert
from tests.factories import LangText, iri, make_descriptor

pytestmark = pytest.mark.django_db


def test_search_page_lists_matches_with_facet_links(client, vocab, source):
    dataset_upsert(descriptor=make_descriptor("a"), source=source)
    dataset_upsert(descriptor=make_descriptor("b", title=(LangText("en", "Brain MR"),), description=(),
                                              keywords=(), cancer_types=(iri("cancer-type", "glioma"),),
                                              modalities=(iri("modality", "MR"),)), source=source)
    html = client.get("/search/?q=NSCLC").content.decode()
    assert "1 dataset found" in html and "Lung CT cohort a" in html and "Brain MR" not in html
    assert 'href="?q=NSCLC&amp;modality=CT"' in html
    html = client.get("/search/?modality=MR").content.decode()
    assert "Brain MR" in html and "Lung CT cohort a" not in html and 'aria-current="true"' in html


def test_search_page_refuses_bad_parameters_instead_of_listing_everything(client, vocab, source):
    dataset_upsert(descriptor=make_descriptor("a"), source=source)
    for query in ("q=%00", "modality=NOPE", "page_size=abc", "bogus=1"):
        response = client.get(f"/search/?{query}")
        assert response.status_code == 400, query
        assert "Lung CT cohort a" not in response.content.decode()


def test_search_page_pages(client, vocab, source):
    for i in range(3):
        dataset_upsert(descriptor=make_descriptor(f"p{i}"), source=source)
    html = client.get("/search/?page_size=2").content.decode()
    assert "Page 1 of 2" in html and 'href="?page_size=2&amp;page=2"' in html


def test_home_search_form_points_at_the_search_page(client, db):
    assert 'action="/search/"' in client.get("/").content.decode()


def test_the_search_page_answers_only_get_and_head(client) -> None:  # type: ignore[no-untyped-def]
    response = client.generic("TRACE", "/search/")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
