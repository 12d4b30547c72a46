"""Load the controlled vocabularies shipped in catalogue/vocabularies/data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalogue.errors import VocabularyError, command_error_from
from catalogue.services import catalogue_ensure
from catalogue.vocabulary_loader import load_vocabularies


class Command(BaseCommand):
    help = "Create or update every concept scheme and concept from the vocabulary files (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_vocabularies()
        except VocabularyError as exc:
            raise command_error_from(exc) from exc
        catalogue_ensure()
        for slug, n in sorted(report.per_scheme.items()):
            self.stdout.write(f"  {slug:22} {n:5d} concepts")
        self.stdout.write(
            f"{report.schemes} schemes: {report.created} concepts created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
