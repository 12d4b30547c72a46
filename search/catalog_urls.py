"""Routes of the DCAT catalogue endpoint (/catalog and /catalog.<format>): search results rendered as DCAT."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
