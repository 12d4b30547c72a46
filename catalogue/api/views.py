"""REST API of the catalogue (/api/v1/). Thin: parse input, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors, services
from catalogue.api.permissions import IsCurator, curates_dataset
from catalogue.api.serializers import (
    ConceptSchemeSerializer,
    ConceptSerializer,
    DatasetDetailSerializer,
    OverrideSerializer,
    OverridesSerializer,
    SourceSerializer,
)
from catalogue.errors import NotFound as AtlasNotFound
from catalogue.models import Concept, ConceptScheme, Dataset, Source


class DatasetDetailView(generics.RetrieveAPIView):
    serializer_class = DatasetDetailSerializer
    permission_classes = [AllowAny]
    lookup_field = "identifier"

    def get_object(self) -> Dataset:
        return selectors.dataset_get_public(identifier=self.kwargs["identifier"])


def _curated_dataset(request: Request, identifier: str) -> Dataset:
    try:
        dataset = selectors.dataset_get(identifier=identifier)
    except AtlasNotFound as exc:
        raise NotFound("No such dataset.") from exc
    if not curates_dataset(request.user, dataset):
        raise PermissionDenied("You do not curate a source of this dataset.")
    return dataset


class DatasetOverridesView(APIView):
    permission_classes = [IsCurator]

    @extend_schema(responses=OverridesSerializer)
    def get(self, request: Request, identifier: str) -> Response:
        dataset = _curated_dataset(request, identifier)
        return Response({"identifier": dataset.identifier, "overrides": dataset.overrides})


class DatasetOverrideView(APIView):
    """Set or clear one curator override. It survives re-harvests until cleared."""

    permission_classes = [IsCurator]

    @extend_schema(request=OverrideSerializer, responses=OverridesSerializer)
    def put(self, request: Request, identifier: str, field: str) -> Response:
        dataset = _curated_dataset(request, identifier)
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dataset = services.dataset_override_set(dataset=dataset, field=field, value=body.validated_data["value"])
        return Response({"identifier": dataset.identifier, "overrides": dataset.overrides})

    @extend_schema(responses={204: None})
    def delete(self, request: Request, identifier: str, field: str) -> Response:
        dataset = _curated_dataset(request, identifier)
        services.dataset_override_clear(dataset=dataset, field=field)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchemeListView(generics.ListAPIView):
    serializer_class = ConceptSchemeSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[ConceptScheme]:
        return selectors.concept_scheme_list()


class ConceptListView(generics.ListAPIView):
    serializer_class = ConceptSerializer
    queryset = Concept.objects.none()
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Match on code, label or synonym")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Concept]:
        if getattr(self, "swagger_fake_view", False):
            return Concept.objects.none()
        try:
            return selectors.concept_list(scheme=self.kwargs["slug"], q=self.request.query_params.get("q", ""))
        except AtlasNotFound as exc:
            raise NotFound("No such vocabulary.") from exc


class SourceListView(generics.ListAPIView):
    """Sources the caller curates (all of them for admins)."""

    serializer_class = SourceSerializer
    permission_classes = [IsCurator]
    queryset = Source.objects.none()

    def get_queryset(self) -> QuerySet[Source]:
        if getattr(self, "swagger_fake_view", False):
            return Source.objects.none()
        return selectors.source_list_for_user(user=self.request.user)
