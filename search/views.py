"""The portal's search page (/search/): results, facet counts as links, paging. Plain HTML, no JavaScript."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from search.params import ParameterError, parse_search_params
from search.query import SearchQuery
from search.services import dataset_search

FACET_TITLES = {
    "cancer_type": "Cancer type", "modality": "Modality", "body_part": "Body part", "manufacturer": "Manufacturer",
    "sex": "Sex", "publisher": "Publisher", "country": "Country", "access_rights": "Access rights",
    "licence": "Licence", "tier": "EUCAIM tier", "species": "Species", "has_segmentations": "Has segmentations",
}
SORT_TITLES = {
    "relevance": "Relevance", "title": "Title", "-subjects": "Most subjects", "subjects": "Fewest subjects",
    "-studies": "Most studies", "-modified": "Recently modified",
}


def _link(pairs: list[tuple[str, str]]) -> str:
    return "?" + urlencode(pairs) if pairs else "?"


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    """Parse strictly (a bad parameter is a 400 naming it, never a listing of everything), search, render."""
    pairs = [(k, v) for k, vs in request.GET.lists() for v in vs]
    try:
        query = parse_search_params(dict(request.GET.lists()))
    except ParameterError as exc:
        return render(request, "search/search.html", {"error": exc.message, "query": SearchQuery()}, status=400)
    page = dataset_search(query=query)
    base = [(k, v) for k, v in pairs if k != "page"]
    facets: list[dict[str, Any]] = []
    for name, values in page.result.facets.items():
        selected = set(query.filters.get(name, ()))
        items = []
        for v in values:
            if v.value in selected:
                href = _link([(k, x) for k, x in base if not (k == name and x.casefold() == v.value.casefold())])
            else:
                href = _link([*base, (name, v.value)])
            items.append({"value": v.value, "label": v.label, "count": v.count, "depth": v.depth,
                          "indent": "\u00a0\u00a0" * v.depth, "selected": v.value in selected, "href": href})
        if items:
            facets.append({"name": name, "title": FACET_TITLES.get(name, name), "values": items})
    context = {
        "query": query,
        "q": query.text,
        "page": page,
        "rows": page.rows,
        "facets": facets,
        "sorts": [{"value": s, "title": t, "selected": s == query.sort} for s, t in SORT_TITLES.items()],
        "hidden": [(k, v) for k, v in base if k not in ("q", "sort")],
        "next_href": _link([*base, ("page", str(query.page + 1))]) if page.has_next else None,
        "previous_href": _link([*base, ("page", str(query.page - 1))]) if page.has_previous else None,
        "clear_href": _link([(k, v) for k, v in base if k == "q"]),
    }
    return render(request, "search/search.html", context)
