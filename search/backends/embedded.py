"""Embedded search backend: documents live in the catalogue's own database, so they cannot drift from it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, transaction

from search.backends.base import SearchBackend
from search.models import SearchDocument


class EmbeddedBackend(SearchBackend):
    name = "embedded"
    writes_in_transaction = True

    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        n = 0
        with transaction.atomic():
            for doc in documents:
                SearchDocument.objects.update_or_create(
                    identifier=doc["identifier"],
                    defaults={"title": doc.get("title", "")[:500], "text": doc.get("text", ""), "body": doc},
                )
                n += 1
        return n

    def delete(self, identifiers: Iterable[str]) -> int:
        deleted, _ = SearchDocument.objects.filter(identifier__in=list(identifiers)).delete()
        return deleted

    def clear(self) -> None:
        SearchDocument.objects.all().delete()

    def count(self) -> int:
        return SearchDocument.objects.count()

    def health(self) -> dict[str, Any]:
        try:
            return {"ok": True, "backend": self.name, "documents": self.count()}
        except DatabaseError as exc:
            return {"ok": False, "backend": self.name, "error": exc.__class__.__name__}
