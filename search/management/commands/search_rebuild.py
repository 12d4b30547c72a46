"""Rebuild the search index from the public catalogue, with a progress bar (count, rate, time left)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from search.backends import get_backend
from search.services import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from the public catalogue, with progress."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, CI).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        backend = get_backend()
        bar: tqdm | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if options["no_progress"]:
                return
            if bar is None:
                bar = tqdm(total=total, unit="dataset", file=self.stderr._out, dynamic_ncols=True, desc="indexing")
            bar.update(done - bar.n)

        n = index_rebuild(progress=progress)
        if bar is not None:
            bar.close()
        elapsed = time.monotonic() - started
        rate = n / elapsed if elapsed > 0 else 0.0
        self.stdout.write(f"search index ({backend.name}): {n} documents in {elapsed:.1f} s ({rate:,.0f}/s)")
