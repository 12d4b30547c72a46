"""List datasets whose indexed document differs from the one the catalogue gives now; exit 1 when any."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from search.backends import get_backend
from search.services import index_check


class Command(BaseCommand):
    help = "Compare the search index with the catalogue; exit 1 on any difference."

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        differences = index_check()
        for d in differences:
            detail = f" ({', '.join(d.fields)})" if d.fields else ""
            self.stdout.write(f"{d.problem}\t{d.identifier}{detail}")
        if differences:
            self.stdout.write(f"{len(differences)} dataset(s) differ; run `manage.py search_rebuild`")
            sys.exit(1)
        self.stdout.write(f"search index ({backend.name}) matches the catalogue: {backend.count()} documents")
