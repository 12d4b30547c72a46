"""REST routes of the harvesters app: harvest sources and jobs (curators of the source and admins)."""

from django.urls import path  # noqa: F401

app_name = "harvest-api"

urlpatterns: list = []
