"""`manage.py generate_demo_dicom OUTPUT_DIR`: write the synthetic DICOM demo node (harvesters/dicom_folder/demo.py).

Deterministic for a seed and idempotent: a second run with the same arguments writes nothing. The options a
`dicom_folder` source needs to harvest the folder are printed at the end (SIDECAR.md, "The demo source").
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalogue.errors import command_error
from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS, generate


class Command(BaseCommand):
    help = "Generate synthetic de-identified DICOM datasets (plus TCIA and refused samples) for the demo node."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output_dir", type=Path)
        parser.add_argument("--datasets", type=int, default=4, help="synthetic datasets (default 4)")
        parser.add_argument("--subjects", type=int, default=25, help="subjects per dataset (default 25)")
        parser.add_argument("--instances", type=int, default=10, help="images per series (default 10)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-samples", action="store_true", help="do not copy the TCIA and refused samples")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("datasets", "subjects", "instances"):
            if not 1 <= options[name] <= 10_000:
                raise command_error("invalid_argument", f"--{name} must be between 1 and 10000")
        started = time.monotonic()
        report = generate(
            options["output_dir"], datasets=options["datasets"], subjects=options["subjects"],
            instances=options["instances"], seed=options["seed"], samples=not options["no_samples"],
        )
        self.stdout.write(
            f"{report.files} files in {len(report.datasets)} datasets ({', '.join(report.datasets)}): "
            f"{report.written} written, {report.unchanged} unchanged, {time.monotonic() - started:.1f}s"
        )
        self.stdout.write("Harvest with a dicom_folder source using these options:")
        self.stdout.write(json.dumps(DEMO_SOURCE_OPTIONS, indent=2))
