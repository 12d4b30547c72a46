"""Portal pages of the catalogue (server-rendered)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from catalogue import disclosure, selectors
from catalogue.errors import NotFound


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The atlas front page: what is in the catalogue; its search form goes to the search page (/search/)."""
    datasets = selectors.dataset_list_public()
    page = Paginator(datasets, 25).get_page(request.GET.get("page"))
    public = selectors.dataset_list_public()
    cancer_types = selectors.concepts_of_public_datasets(scheme="cancer-type")
    context = {
        "page": page,
        "rows": [(d, disclosure.publish_dataset_total(d.n_subjects)) for d in page.object_list],
        "n_datasets": public.count(),
        "cancer_types": cancer_types,
    }
    return render(request, "catalogue/home.html", context)


@require_safe
def dataset_page(request: HttpRequest, identifier: str) -> HttpResponse:
    try:
        dataset = selectors.dataset_get_public(identifier=identifier)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    # Every figure about the dataset's people comes from the one small-dataset rule (docs/privacy.md §0.1).
    figures = selectors.dataset_published_figures(dataset=dataset)
    sex_labels = {c.code: c.label for c in dataset.birth_sex.all()}
    context = {
        "dataset": dataset,
        "figures": figures,
        "n_subjects": figures.subjects,
        "min_age": figures.min_age,
        "max_age": figures.max_age,
        "sexes": [sex_labels.get(code, code) for code in figures.sexes],
        "k": disclosure.get_k(),
    }
    return render(request, "catalogue/dataset.html", context)
