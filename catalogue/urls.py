"""Public routes of the catalogue: dataset pages and their RDF, resolvable IRIs, sitemap and robots.txt."""

from django.urls import path

from catalogue import views

urlpatterns = [
    path("datasets/<slug:identifier>", views.dataset_page, name="dataset-page"),
]
