from django.urls import path

from search.cohorts.api import CohortCountView

app_name = "cohorts"

urlpatterns = [
    path("count", CohortCountView.as_view(), name="count"),
]
