"""Run a harvest job now: `python manage.py harvest NAME [--json] [--force]`.

The command is a harvest process: before anything else it installs the egress audit hook
(`harvesters.fetch.install_worker_audit_hook`), so in this process only `fetch()` and the configured services
(database, broker, cache, search, mail) can be connected to, and no library can fetch with urllib.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from catalogue.errors import AtlasError, command_error, command_error_from
from harvesters.fetch import install_worker_audit_hook
from harvesters.models import JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_get


class Command(BaseCommand):
    help = "Harvest one source now, with progress, and print the job report. Exit 1 when the job failed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--json", action="store_true", help="print only the report as JSON")
        parser.add_argument("--force", action="store_true", help="allow withdrawing more than max(10, 20%%)")

    def handle(self, *args: Any, **options: Any) -> None:
        install_worker_audit_hook()
        try:
            source = harvest_source_get(name=options["name"])
            job = harvest_job_create(source=source, force=options["force"])
        except AtlasError as exc:
            raise command_error_from(exc) from exc
        bars: dict[str, tqdm] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            """One bar per phase (gather, apply): items, rate and, once the total is known, time left."""
            if options["json"]:
                return
            bar = bars.get(phase)
            if bar is None:
                for other in bars.values():
                    other.close()
                bar = bars[phase] = tqdm(
                    desc=f"{phase} {source.source.slug}", unit="item", total=total, file=sys.stderr,
                    dynamic_ncols=True, mininterval=0.5,
                )
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        job = harvest_job_run(job_id=job.pk, progress_callback=progress)
        for bar in bars.values():
            bar.close()
        body = {
            "source": source.source.slug, "job": job.pk, "status": job.status, "error_code": job.error_code,
            "error_message": job.error_message, "report": job.report,
        }
        if options["json"]:
            self.stdout.write(json.dumps(body, indent=2, sort_keys=True))
        else:
            self._print(body)
        if job.status != JobStatus.COMPLETED:
            raise command_error(job.error_code, f"harvest of {source.source.slug} failed: {job.error_message}")

    def _print(self, body: dict[str, Any]) -> None:
        r = body["report"]
        w = self.stdout.write
        w(f"job {body['job']} of {body['source']}: {body['status']}")
        if r:
            w(f"  {r['unit']}: identified {r['identified']}, integrated {r['integrated']}, entered {r['entered']}, "
              f"errored {r['errored']}, skipped unchanged {r['skipped_unchanged']}")
            for unit, n in r.get("figures", {}).items():
                w(f"  {unit}: {n}")
            for reason, n in r["refused"].items():
                w(f"  refused {n:6d}  {reason}")
            d = r["datasets"]
            w(f"  datasets: created {d['created']}, updated {d['updated']}, unchanged {d['unchanged']}, "
              f"withdrawn {d['withdrawn']}, errored {d['errored']}")
            if r["integrated_over_identified"] is not None:
                w(f"  integrated / identified: {r['integrated_over_identified']:.1%}")
            if r["processed_without_error_over_entered"] is not None:
                w(f"  processed without error / entered: {r['processed_without_error_over_entered']:.1%}")
            if r.get("withdrawals_skipped"):
                w(f"  nothing withdrawn: {'; '.join(r['withdrawals_skipped'])}")
            if r["refused_paths_file"]:
                w(f"  refused paths (node-local): {r['refused_paths_file']}")
            w(f"  {r['seconds']} s")
