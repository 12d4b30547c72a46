"""Rebuild the search index from the public catalogue."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from search.backends import get_backend
from search.services import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from the public catalogue, with progress."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        backend = get_backend()

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\rindexed {done}/{total}", ending="")

        n = index_rebuild(progress=progress)
        self.stderr.write("")
        self.stdout.write(f"search index ({backend.name}): {n} documents in {time.monotonic() - started:.1f} s")
