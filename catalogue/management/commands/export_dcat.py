"""`manage.py export_dcat`: stream the public catalogue as DCAT-AP 3 / HealthDCAT-AP / EUCAIM RDF."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from catalogue.dcat.profiles import PROFILES, SchemaOrgDatasetProfile
from catalogue.dcat.serializer import ExportReport, export_catalogue, public_dataset_count
from catalogue.dcat.writers import FORMATS


def dcat_profiles() -> list[str]:
    """The registered profiles that write DCAT (read when the command runs: the registry is in settings)."""
    return [name for name, cls in PROFILES.items() if cls is not SchemaOrgDatasetProfile]


class _Raw:
    """Write to the command's stdout without Django appending a newline to every chunk."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    def write(self, text: str) -> int:
        self.command.stdout.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = (
        "Export the catalogue (the dcat:Catalog and every public dataset) as RDF, streamed. Datasets complete for "
        "HealthDCAT-AP get the properties of --profile; incomplete ones are plain DCAT-AP 3 and are listed, with "
        "what they lack, in the report printed to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=sorted(FORMATS), default="ttl", help="RDF syntax (default ttl)")
        parser.add_argument(
            "--profile", choices=dcat_profiles(), default="eucaim",
            help="the richest profile to export with (default eucaim; dcat-ap exports every dataset as DCAT-AP 3)",
        )
        parser.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
        parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt: str = options["format"]
        profile = PROFILES[options["profile"]]
        total = public_dataset_count()
        disable = options["no_progress"]
        # The stream under Django's stderr wrapper: the wrapper would append a newline to (and colour) every
        # progress update.
        progress_file = getattr(self.stderr, "_out", sys.stderr)

        def progress(pairs: Iterator[Any]) -> Iterator[Any]:
            return iter(tqdm(pairs, total=total, unit="dataset", file=progress_file, disable=disable, desc="export"))

        output: str = options["output"]
        if output == "-":
            report = export_catalogue(_Raw(self), fmt=fmt, profile=profile, progress=progress)  # type: ignore[arg-type]
        else:
            report = self._export_to_file(Path(output), fmt, profile, progress)
        self.stderr.write(report.render())

    @staticmethod
    def _export_to_file(path: Path, fmt: str, profile: Any, progress: Any) -> ExportReport:
        """Write next to the target and rename at the end, so a failed export never leaves half a file."""
        directory = path.resolve().parent
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as out:
                stream: TextIO = out
                report = export_catalogue(stream, fmt=fmt, profile=profile, progress=progress)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        return report
