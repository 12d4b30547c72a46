"""Routes of the read-only SPARQL endpoint over the public catalogue graph."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
