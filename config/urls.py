from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from catalogue import views as catalogue_views
from config.health import healthz

urlpatterns = [
    path("", catalogue_views.home, name="home"),
    path("", include("catalogue.urls")),  # dataset pages and their RDF, sitemap, robots.txt
    path("", include("search.catalog_urls")),  # /catalog and /catalog.<format> (DCAT with Hydra paging)
    path("", include("catalogue.dcat.urls")),  # /sparql
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("search.urls")),  # before catalogue's: owns /api/v1/datasets/ (search) and /search/
    path("api/v1/cohorts/", include("search.cohorts.urls")),
    path("api/v1/", include("harvesters.api.urls")),  # harvest sources and jobs
    path("api/v1/", include("catalogue.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

# Error pages: the API's JSON error body under /api/, templates/4xx.html and 500.html elsewhere (config/error_views.py).
handler400 = "config.error_views.bad_request"
handler403 = "config.error_views.permission_denied"
handler404 = "config.error_views.page_not_found"
handler500 = "config.error_views.server_error"
