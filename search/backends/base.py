"""The interface every search backend implements (embedded default, Elasticsearch in production)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any


class SearchBackend(ABC):
    name = "base"

    @abstractmethod
    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        """Add or replace documents (keyed by identifier); return how many were written."""

    @abstractmethod
    def delete(self, identifiers: Iterable[str]) -> int:
        """Remove documents; return how many were removed."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document (before a rebuild)."""

    @abstractmethod
    def count(self) -> int:
        """Number of indexed documents."""

    @abstractmethod
    def health(self) -> dict[str, Any]:
        """{"ok": bool, ...details} for /healthz."""
