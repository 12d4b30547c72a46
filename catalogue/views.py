"""Portal pages of the catalogue (server-rendered)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from catalogue import disclosure, selectors
from catalogue.errors import NotFound
from catalogue.models import Concept


def home(request: HttpRequest) -> HttpResponse:
    """The atlas front page: what is in the catalogue, and the datasets a title search finds."""
    q = request.GET.get("q", "").strip()[:200]
    datasets = selectors.dataset_list_public()
    if q:
        datasets = datasets.filter(Q(sort_title__icontains=q) | Q(keywords__icontains=q))
    page = Paginator(datasets, 25).get_page(request.GET.get("page"))
    public = selectors.dataset_list_public()
    cancer_types = (
        Concept.objects.filter(scheme__slug="cancer-type", pk__in=public.values("cancer_types"))
        .annotate(n=Count("pk"))
        .order_by("label")
    )
    context = {
        "q": q,
        "page": page,
        "rows": [(d, disclosure.publish_dataset_total(d.n_subjects)) for d in page.object_list],
        "n_datasets": public.count(),
        "cancer_types": cancer_types,
    }
    return render(request, "catalogue/home.html", context)


def dataset_page(request: HttpRequest, identifier: str) -> HttpResponse:
    try:
        dataset = selectors.dataset_get_public(identifier=identifier)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    min_age, max_age = disclosure.publish_age_range(dataset.min_age, dataset.max_age)
    context = {
        "dataset": dataset,
        "n_subjects": disclosure.publish_dataset_total(dataset.n_subjects),
        "min_age": min_age,
        "max_age": max_age,
    }
    return render(request, "catalogue/dataset.html", context)
