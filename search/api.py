"""GET /api/v1/datasets/ (search with facets) and /api/v1/datasets/autocomplete/. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from catalogue.errors import NotFound
from search.params import MAX_PAGE_SIZE, RANGE_PARAMS, ParameterError, clean_values, parse_search_params
from search.query import FACETS, SORTS
from search.selectors import FACET_SCHEMES
from search.services import SearchPage, dataset_autocomplete, dataset_search

COUNT_SCHEMA = {
    "oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["<10"]}],
    "nullable": True,
    "description": 'As published (docs/privacy.md §0.1): an integer, or "<10" below the threshold.',
}


class ResultConceptSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


@extend_schema_field(COUNT_SCHEMA)
class _CountField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


class DatasetHitSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="This dataset in the API.")
    iri = serializers.CharField(help_text="The dataset's IRI: its page in the portal.")
    subjects = _CountField()
    studies = _CountField()
    series = serializers.IntegerField(allow_null=True)
    bytes = serializers.IntegerField(allow_null=True)
    modalities = ResultConceptSerializer(many=True)
    cancer_types = ResultConceptSerializer(many=True)
    body_parts = ResultConceptSerializer(many=True)
    access_rights = ResultConceptSerializer(allow_null=True)
    publisher = serializers.CharField(allow_null=True)


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Number of datasets (metadata, not people).")
    parent = serializers.CharField(allow_null=True, required=False, help_text="cancer_type only: the parent value.")
    depth = serializers.IntegerField(required=False, help_text="cancer_type only: depth in the tree (0 = root).")


class DatasetSearchSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = DatasetHitSerializer(many=True)
    facets = serializers.DictField(child=FacetValueSerializer(many=True), help_text=f"Keys: {', '.join(FACETS)}.")


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["cancer_type", "modality", "body_part", "dataset"])
    value = serializers.CharField(help_text="A code (concepts) or an identifier (datasets).")
    label = serializers.CharField()
    count = serializers.IntegerField()


class AutocompleteSerializer(serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)


def _search_parameters() -> list[OpenApiParameter]:
    params = [
        OpenApiParameter("q", str, description="Free text: titles, descriptions, keywords, publisher, and the labels, "
                         "synonyms and codes (ICD-10, ICD-O-3, SNOMED CT, NCIt) of cancer types, modalities, body parts. "
                         "One typo is tolerated in words of five letters or more."),
    ]
    for facet in FACETS:
        scheme = FACET_SCHEMES.get(facet)
        what = f"codes of the `{scheme}` vocabulary (/api/v1/vocabularies/{scheme}/concepts/)" if scheme else "values"
        if facet == "has_segmentations":
            what = "`true` or `false`"
        elif facet == "publisher":
            what = "publisher slugs (the values of the publisher facet)"
        elif facet == "manufacturer":
            what = "manufacturer names (the values of the manufacturer facet)"
        hint = " A parent includes its subtypes." if facet == "cancer_type" else ""
        params.append(OpenApiParameter(facet, str, many=True, explode=True,
                                       description=f"Filter: {what}. Repeat for any-of.{hint}"))
    params.append(OpenApiParameter("modality_match", str, enum=["any", "all"], description="`all`: every modality given."))
    for name, (low, high) in RANGE_PARAMS.items():
        for param, side in ((low, "at least"), (high, "at most")):
            params.append(OpenApiParameter(param, int, description=f"{name}: {side} (inclusive, published values)."))
    params += [
        OpenApiParameter("sort", str, enum=list(SORTS), description="Default relevance ('-' = descending)."),
        OpenApiParameter("page", int, description="Page number, from 1."),
        OpenApiParameter("page_size", int, description=f"Results per page (default 20, at most {MAX_PAGE_SIZE})."),
    ]
    return params


def _facets_json(page: SearchPage) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, values in page.result.facets.items():
        tree = name == "cancer_type"
        out[name] = [
            {"value": v.value, "label": v.label, "count": v.count, **({"parent": v.parent, "depth": v.depth} if tree else {})}
            for v in values
        ]
    return out


class DatasetSearchView(APIView):
    """Search public datasets: free text, facet filters, ranges, sort; facet counts over the result."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=_search_parameters(), responses=DatasetSearchSerializer, operation_id="datasets_search")
    def get(self, request: Request) -> Response:
        query = parse_search_params(dict(request.query_params.lists()), extra_allowed=("format",))
        page = dataset_search(query=query)
        if query.page > page.num_pages:
            raise NotFound(f"page {query.page} is past the last page ({page.num_pages})", code="invalid_page")
        url = request.build_absolute_uri()
        next_url = replace_query_param(url, "page", query.page + 1) if page.has_next else None
        previous_url = None
        if page.has_previous:
            previous_url = (
                remove_query_param(url, "page") if query.page == 2 else replace_query_param(url, "page", query.page - 1)
            )
        results = [
            {**row, "url": request.build_absolute_uri(f"/api/v1/datasets/{row['identifier']}/")} for row in page.rows
        ]
        return Response({
            "count": page.result.total, "next": next_url, "previous": previous_url, "results": results,
            "facets": _facets_json(page),
        })


class DatasetAutocompleteView(APIView):
    """Concepts of indexed datasets (by dataset count), then dataset titles, with a word starting with `q`."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="The beginning of a word (1 to 100 characters)."),
            OpenApiParameter("limit", int, description="At most this many suggestions (1 to 25, default 10)."),
        ],
        responses=AutocompleteSerializer,
        operation_id="datasets_autocomplete",
    )
    def get(self, request: Request) -> Response:
        values = clean_values(dict(request.query_params.lists()), allowed=("q", "limit", "format"))
        for name in ("q", "limit"):
            if len(values.get(name, [])) > 1:
                raise ParameterError(name, "given more than once")
        prefix = values.get("q", [""])[0]
        if not prefix or len(prefix) > 100:
            raise ParameterError("q", "give 1 to 100 characters")
        limit = 10
        if "limit" in values:
            raw = values["limit"][0]
            if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 25:
                raise ParameterError("limit", f"{raw!r} is not a whole number from 1 to 25")
            limit = int(raw)
        suggestions = dataset_autocomplete(prefix=prefix, limit=limit)
        return Response({"suggestions": [
            {"kind": s.kind, "value": s.value, "label": s.label, "count": s.count} for s in suggestions
        ]})

