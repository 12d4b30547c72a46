"""Roles: anonymous (public metadata), curator (their sources), admin (everything)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


def is_admin(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


def is_curator(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.curated_sources.exists()))


class ReadOnlyOrCurator(BasePermission):
    """Anyone reads; writes need a curator (object checks narrow it to their sources) or an admin."""

    message = "Curator or admin rights are needed to change the catalogue."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or is_curator(request.user)


class IsCurator(BasePermission):
    message = "Only curators and admins may see this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_curator(request.user)


def curates_dataset(user: Any, dataset: Any) -> bool:
    """A curator may edit a dataset that one of their sources describes."""
    if is_admin(user):
        return True
    from catalogue.selectors import dataset_list_for_curator

    return bool(user.is_authenticated and dataset_list_for_curator(user=user).filter(pk=dataset.pk).exists())
