"""Register and manage harvest sources: `harvest_source add NAME --kind K --location L [--option K=V ...]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalogue.errors import AtlasError, command_error, command_error_from
from catalogue.services import source_publish
from harvesters.selectors import harvest_source_find, harvest_source_get, harvest_source_list
from harvesters.services import HARVESTER_KINDS, harvest_source_add, harvest_source_schedule


def _option(raw: str) -> tuple[str, Any]:
    key, sep, value = raw.partition("=")
    if not sep or not key:
        raise command_error("invalid_argument", f"--option {raw!r}: expected KEY=VALUE")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key.strip(), parsed


class Command(BaseCommand):
    help = "Add, list, publish or schedule harvest sources."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a source (unpublished unless --published)")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=list(HARVESTER_KINDS))
        add.add_argument("--location", required=True, help="folder, URL or file the harvester reads")
        add.add_argument("--option", action="append", default=[], help="KEY=VALUE (VALUE may be JSON)")
        add.add_argument("--default", action="append", default=[], help="FIELD=VALUE curator default (JSON value)")
        add.add_argument("--priority", type=int, default=100, help="lower wins when sources describe one dataset")
        add.add_argument("--contact-email", default="")
        add.add_argument("--published", action="store_true", help="make its datasets public at once")
        add.add_argument("--if-missing", action="store_true", help="do nothing when the source exists (idempotent)")
        sub.add_parser("list", help="list sources")
        pub = sub.add_parser("publish", help="publish a source: its datasets become public")
        pub.add_argument("name")
        unpub = sub.add_parser("unpublish", help="unpublish a source")
        unpub.add_argument("name")
        sched = sub.add_parser("schedule", help="harvest on a crontab schedule (django-celery-beat)")
        sched.add_argument("name")
        sched.add_argument("--cron", required=True,
                           help='crontab "minute hour day month weekday" (UTC), e.g. "0 3 * * *"; "" removes the schedule')

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except AtlasError as exc:
            raise command_error_from(exc) from exc

    def _add(self, options: dict[str, Any]) -> None:
        existing = harvest_source_find(name=options["name"]) if options["if_missing"] else None
        if existing is not None:
            self.stdout.write(f"source {existing.source.slug} exists; left as it is")
            return
        hs = harvest_source_add(
            name=options["name"], kind=options["kind"], location=options["location"],
            options=dict(_option(o) for o in options["option"]), published=options["published"],
            priority=options["priority"], contact_email=options["contact_email"],
            defaults=dict(_option(d) for d in options["default"]) or None,
        )
        state = "published" if hs.source.published else "unpublished (publish it to make its datasets public)"
        self.stdout.write(f"added source {hs.source.slug} ({hs.source.kind}), {state}")

    def _list(self, options: dict[str, Any]) -> None:
        for hs in harvest_source_list():
            last = hs.jobs.first()
            self.stdout.write(
                f"{hs.source.slug:30} {hs.source.kind:17} {'published' if hs.source.published else 'unpublished':12}"
                f" {last.status if last else 'never run':10} {hs.location}"
            )

    def _publish(self, options: dict[str, Any]) -> None:
        source_publish(source=harvest_source_get(name=options["name"]).source, published=True)
        self.stdout.write("published")

    def _unpublish(self, options: dict[str, Any]) -> None:
        source_publish(source=harvest_source_get(name=options["name"]).source, published=False)
        self.stdout.write("unpublished")

    def _schedule(self, options: dict[str, Any]) -> None:
        hs = harvest_source_schedule(source=harvest_source_get(name=options["name"]), cron=options["cron"])
        if hs.schedule is None:
            self.stdout.write(f"unscheduled {hs.source.slug}")
        else:
            self.stdout.write(f"scheduled {hs.source.slug}: {options['cron']} (UTC)")
