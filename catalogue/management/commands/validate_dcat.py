"""`manage.py validate_dcat [FILE]`: validate a DCAT export against the official shapes; non-zero on violations.

FILE is read through the one RDF load path (`catalogue.dcat.load`): the same checks and limits as a harvested feed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalogue.dcat.load import FORMATS, RdfParseError, format_for_path, load_graph, read_document
from catalogue.dcat.profiles import PROFILES
from catalogue.dcat.serializer import export_catalogue
from catalogue.dcat.validation import validate_graph
from catalogue.errors import command_error, command_error_from


class Command(BaseCommand):
    help = (
        "Validate a DCAT file (default: a fresh export of the catalogue) against DCAT-AP 3.0.1 and, per access "
        "level, the HealthDCAT-AP Release 8 shapes. Prints every violation with its focus node and path and "
        "the recommended-property warnings by shape; exits non-zero when there is a violation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="RDF file to validate (default: export the catalogue now)")
        parser.add_argument("--format", choices=sorted(FORMATS), help="syntax of FILE (default: from its name)")
        parser.add_argument("--profile", choices=[p for p in PROFILES if p != "schema.org"], default="eucaim",
                            help="profile of the fresh export (default eucaim)")
        parser.add_argument("--warnings", action="store_true", help="list every warning, not only their counts")
        parser.add_argument("--shapes-dir", help="folder of the official shapes (default ATLAS_SHAPES_DIR)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"]:
            path = Path(options["file"])
            try:
                fmt = options["format"] or format_for_path(path)
                data: bytes | str = read_document(path)
            except OSError as exc:
                raise command_error("unreadable", f"cannot read {path}: {exc.strerror}") from exc
            except ValueError as exc:
                raise command_error("unknown_format", str(exc)) from exc
            except RdfParseError as exc:
                raise command_error_from(exc) from exc
        else:
            buffer = io.StringIO()
            report = export_catalogue(buffer, fmt="nt", profile=PROFILES[options["profile"]])
            self.stderr.write(report.render())
            data, fmt = buffer.getvalue(), "nt"
        try:
            graph = load_graph(data, fmt)
        except RdfParseError as exc:
            raise command_error_from(exc) from exc
        directory = Path(options["shapes_dir"]) if options["shapes_dir"] else None
        result = validate_graph(graph, directory=directory)
        self.stdout.write(result.render(list_warnings=options["warnings"]))
        if result.violations:
            raise command_error("shacl_violations", f"{len(result.violations)} SHACL violations")
