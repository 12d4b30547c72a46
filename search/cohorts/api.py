"""`GET /api/v1/cohorts/count`: how many subjects and studies match, per dataset and in total (§0.4).

Thin: parse the query string strictly (search.cohorts.criteria), call the service, render. Every count in the
response went through catalogue.disclosure.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from search.cohorts.criteria import parse_cohort_query
from search.cohorts.services import cohort_count

_COUNT_SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": 0, "multipleOf": 5},
        {"type": "string", "enum": ["<10", "suppressed"]},
    ],
    "description": 'A count rounded to 5; "<k" below the threshold k; "suppressed" when publishing it would '
                   "disclose a small group (docs/privacy.md §0.2).",
}


@extend_schema_field(_COUNT_SCHEMA)
class PublishedCountSchemaField(serializers.Field):
    """Documents a published count in the schema; the values are already published by the service."""

    def to_representation(self, value: object) -> object:
        return value


class CohortDatasetSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    subjects = PublishedCountSchemaField()
    studies = PublishedCountSchemaField()


class CohortTotalSerializer(serializers.Serializer):
    subjects = PublishedCountSchemaField()
    studies = PublishedCountSchemaField()


class CohortCriteriaSerializer(serializers.Serializer):
    cancer_type = serializers.ListField(child=serializers.CharField())
    modality = serializers.ListField(child=serializers.CharField())
    modality_match = serializers.ChoiceField(choices=["any", "all"])
    body_part = serializers.ListField(child=serializers.CharField())
    sex = serializers.ListField(child=serializers.CharField())
    age_min = serializers.IntegerField(allow_null=True, help_text="Snapped down to a 5-year band's lower edge.")
    age_max = serializers.IntegerField(allow_null=True, help_text="Snapped up to a band's upper edge; null: open (90+).")
    year_min = serializers.IntegerField(allow_null=True)
    year_max = serializers.IntegerField(allow_null=True)
    manufacturer = serializers.ListField(child=serializers.CharField())


class CohortCountSerializer(serializers.Serializer):
    datasets = CohortDatasetSerializer(many=True)
    total = CohortTotalSerializer()
    threshold = serializers.IntegerField(help_text="The small-count threshold k.")
    criteria = CohortCriteriaSerializer(help_text="The question as it was answered (codes canonical, ages snapped).")


def _codes(name: str, help_text: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, many=True, explode=True, required=False, description=help_text)


def _number(name: str, help_text: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, required=False, description=help_text)


class CohortCountView(APIView):
    """Count the subjects and studies that match, per dataset and in total.

    Semantics (docs/privacy.md §0.4): within a dataset, a subject counts when it has at least one study meeting
    every study-level criterion (modality, body part, sex, age band, year, manufacturer); with
    `modality_match=all` its matching studies together must cover every chosen modality. Studies counted are
    the matching studies of counted subjects. Cancer type is a dataset-level criterion and includes subtypes.
    Totals are sums over datasets (a person in two datasets counts twice). Ages snap to 5-year bands: age_min
    down to its band's lower edge, age_max up to its band's upper edge, 90 and over is the open band "90+".
    Counts are published as integers rounded to 5, "<10" below the threshold, or "suppressed" (§0.2); the same
    question always gets the same answer. Datasets with fewer than 10 subjects take no part (§0.1).
    Unknown parameters, malformed values, unknown codes and control characters are a 400 naming the parameter;
    a repeated parameter means any-of.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cohorts_count",
        parameters=[
            _codes("cancer_type", "Cancer type code (cancer-type vocabulary); includes its subtypes."),
            _codes("modality", "DICOM modality code, e.g. CT."),
            OpenApiParameter("modality_match", OpenApiTypes.STR, enum=["any", "all"], required=False,
                             description="any (default): a study with any chosen modality; all: a subject's "
                                         "matching studies cover every chosen modality."),
            _codes("body_part", "Body part code (body-part vocabulary), e.g. CHEST."),
            _codes("sex", "Sex code: M, F, O (or U for unknown)."),
            _number("age_min", "Youngest age in years (0-150), snapped down to its 5-year band."),
            _number("age_max", "Oldest age in years (0-150), snapped up to its 5-year band; 90 or more: no bound."),
            _number("year_min", "First acquisition year."),
            _number("year_max", "Last acquisition year."),
            _codes("manufacturer", "Scanner manufacturer as published on a dataset, case-insensitive."),
        ],
        responses={200: CohortCountSerializer},
    )
    def get(self, request: Request) -> Response:
        criteria = parse_cohort_query({name: request.query_params.getlist(name) for name in request.query_params})
        return Response(cohort_count(criteria=criteria).as_dict())
