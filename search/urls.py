"""Routes of the search app: the dataset search API (before catalogue's /api/v1/ routes) and the portal page."""

from django.urls import path

from search import api, views

app_name = "search"

urlpatterns = [
    path("api/v1/datasets/", api.DatasetSearchView.as_view(), name="dataset-search"),
    path("api/v1/datasets/autocomplete/", api.DatasetAutocompleteView.as_view(), name="dataset-autocomplete"),
    path("search/", views.search_page, name="search-page"),
]
