from django.urls import path

from catalogue.api import views
from catalogue.api.auth import obtain_auth_token

app_name = "api"

urlpatterns = [
    path("datasets/<slug:identifier>/", views.DatasetDetailView.as_view(), name="dataset-detail"),
    path("datasets/<slug:identifier>/overrides/", views.DatasetOverridesView.as_view(), name="dataset-overrides"),
    path(
        "datasets/<slug:identifier>/overrides/<str:field>/",
        views.DatasetOverrideView.as_view(),
        name="dataset-override",
    ),
    path("vocabularies/", views.SchemeListView.as_view(), name="scheme-list"),
    path("vocabularies/<slug:slug>/concepts/", views.ConceptListView.as_view(), name="concept-list"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("auth/token/", obtain_auth_token, name="auth-token"),
]
