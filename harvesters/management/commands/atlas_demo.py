"""Build the demo catalogue of `make run` from real sources, idempotently.

Registers (once) and harvests (once: a source with a completed job is left alone, so a second `make run`
changes no row) the Imaging Data Commons index, a synthetic de-identified DICOM folder with the real TCIA
samples, the HealthDCAT-AP feed of a fictional partner archive, and a descriptor sheet. The feed and the sheet
ship in harvesters/demo (config.paths.DEMO_DIR) and are copied into var/demo, so the demo reads one folder only
(`ATLAS_HARVEST_FILE_ROOTS=var/demo`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from catalogue.errors import command_error
from catalogue.selectors import concept_resolve
from config.app_settings import app_settings
from config.paths import DEMO_DIR
from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS
from harvesters.models import JobStatus
from harvesters.selectors import harvest_source_find, harvest_source_has_completed_job
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

DEMO_SHEET = DEMO_DIR / "descriptor-sheet.csv"
PARTNER_FEED = DEMO_DIR / "partner-feed.ttl"
# Curator defaults of the demo node sources: what a harvest cannot know (HealthDCAT-AP mandatory fields).
NODE_DEFAULTS: dict[str, Any] = {
    "themes": ["http://publications.europa.eu/resource/authority/data-theme/HEAL"],
    "health_categories": ["https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/RQSH"],
    "health_themes": ["https://hdeu-dcat.data.health.europa.eu/resource/authority/health-theme/CANCER_DISEASE"],
    "applicable_legislation": ["http://data.europa.eu/eli/reg/2025/327/oj"],
    "hdab": {"name": "Demo Health Data Access Body", "contact_page": "https://hdab.example.eu/contact"},
    "provenance": [{"lang": "en", "text": "De-identified at the data holder's node before harvesting."}],
    "has_structured_data": False,
}
# Curator default of the partner feed: the EUCAIM interoperability tier is assessed by the atlas, not stated by
# the partner (the code of a concept of the tier vocabulary, whose IRI is under ATLAS_BASE_URL).
PARTNER_TIER = "1"


def _copy_into(folder: Path, shipped: Path) -> Path:
    """Copy a shipped demo input into the demo folder (only when it differs, so a re-run touches nothing)."""
    target = folder / shipped.name
    if not target.exists() or target.read_bytes() != shipped.read_bytes():
        shutil.copyfile(shipped, target)
    return target


class Command(BaseCommand):
    help = "Register and harvest the demo sources of `make run` (each harvested once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skip", action="append", default=[], help="idc, dicom, dcat or sheet")

    def handle(self, *args: Any, **options: Any) -> None:
        demo_dir = app_settings.VAR_DIR / "demo"
        demo_dir.mkdir(parents=True, exist_ok=True)
        roots = app_settings.ATLAS_HARVEST_FILE_ROOTS
        plan: list[tuple[str, dict[str, Any]]] = []
        if "idc" not in options["skip"]:
            plan.append(("idc", {"name": "Imaging Data Commons", "kind": "idc_index", "location": "package",
                                 "priority": 50}))
        if "sheet" not in options["skip"]:
            sheet = _copy_into(demo_dir, DEMO_SHEET)
            plan.append(("sheet", {"name": "Demo descriptor sheet", "kind": "descriptor_sheet",
                                   "location": str(sheet), "priority": 20, "defaults": NODE_DEFAULTS}))
        if "dicom" not in options["skip"]:
            folder = demo_dir / "dicom"
            call_command("generate_demo_dicom", str(folder), stdout=self.stdout)
            plan.append(("dicom", {"name": "Demo hospital node", "kind": "dicom_folder", "location": str(folder),
                                   "priority": 10, "options": DEMO_SOURCE_OPTIONS, "defaults": NODE_DEFAULTS}))
        if "dcat" not in options["skip"]:
            feed = _copy_into(demo_dir, PARTNER_FEED)
            tier = concept_resolve(scheme="tier", value=PARTNER_TIER)
            if tier is None:
                raise command_error("vocabularies_not_loaded",
                                    "the tier vocabulary is not loaded: run `manage.py load_vocabularies` first")
            plan.append(("dcat", {"name": "Partner archive DCAT feed", "kind": "dcat_rdf", "location": str(feed),
                                  "priority": 60, "defaults": {"tier": tier.iri}}))
        for _, spec in plan:
            location = spec["location"]
            if location != "package" and not any(Path(location).resolve().is_relative_to(r) for r in roots):
                self.stdout.write(f"skipped {spec['name']}: {location} is outside ATLAS_HARVEST_FILE_ROOTS")
                continue
            self._harvest_once(spec)

    def _harvest_once(self, spec: dict[str, Any]) -> None:
        hs = harvest_source_find(name=spec["name"])
        if hs is None:
            hs = harvest_source_add(published=True, **spec)
        if harvest_source_has_completed_job(source=hs):
            self.stdout.write(f"{hs.source.slug}: harvested before; left as it is")
            return
        job = harvest_job_run(job_id=harvest_job_create(source=hs).pk)
        if job.status != JobStatus.COMPLETED:
            raise command_error(job.error_code, f"demo harvest of {hs.source.slug} failed: {job.error_message}")
        r = job.report
        refused = sum(r.get("refused", {}).values())
        self.stdout.write(
            f"{hs.source.slug}: {r['identified']} {r['unit']} identified, {r['integrated']} integrated, "
            f"{refused} refused {dict(r.get('refused', {}))}, datasets {r['datasets']}"
        )
