"""`dicom_folder` harvester: a node-local folder of de-identified DICOM datasets -> dataset descriptors.

Layout (SIDECAR.md): the source location holds one sub-folder per dataset; each has a `dataset.json` sidecar
written by the data steward and any tree of DICOM files. Every file goes through the de-identification gate
(`gate.py`, in worker processes with limits: `pool.py`); only accepted files count, only gate `Facts` are kept,
and a dataset's descriptor is built from the sidecar plus aggregates of its accepted files.

Units and counters (SIDECAR.md "Harvest figures"): the unit is the file. identified = candidate files found,
entered = identified minus files reused unchanged from the manifest, integrated = files accepted by the gate,
refused = by primary reason code, errored = malformed files, timeouts, crashes. Study figures (identified vs
integrated) are per dataset in `context.state["figures"]` and, when some studies were lost, a descriptor warning.

Re-harvesting reads no unchanged file: `context.state["manifest"]` maps a hash of each file's relative path to
(size, mtime_ns, gate result). The manifest is only reused under the same gate version and policy.

Never logged, never in a message: a path, a file name or a DICOM value. Refused and errored paths go to
`context.refused_paths` (the node-local report) and nowhere else.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from catalogue.descriptors import (
    AgentRef,
    ContactPoint,
    DatasetDescriptor,
    DistributionDescriptor,
    FieldWarning,
    LangText,
    StudyFactRecord,
)
from catalogue.disclosure import TOP_AGE_BAND
from config.app_settings import app_settings
from harvesters.base import (
    HarvestContext,
    Harvester,
    HarvestError,
    StagedItem,
    StageErrorInfo,
    path_hash,
    subject_key_hash,
)
from harvesters.dicom_folder import gate as gate_module
from harvesters.dicom_folder.detectors import detect_in_name
from harvesters.dicom_folder.gate import ACCEPTED, ERROR, GatePolicy, GateResult, PolicyError
from harvesters.dicom_folder.pool import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, GatePool, gate_in_process
from harvesters.dicom_folder.sidecar import Sidecar, SidecarAgent, SidecarError, read_sidecar
from harvesters.dicom_folder.walker import Candidate, WalkProblem, WalkStats, is_inside, walk_dataset

logger = logging.getLogger(__name__)

DCM_IRI = "http://dicom.nema.org/resources/ontology/DCM/"
SNOMED_IRI = "http://snomed.info/id/"
MANIFEST_VERSION = 3  # 2: keyed path hashes; 3: keyed subject keys (a plain hash of a name could be tried back)
_SAFE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}")


def _rel_key(rel: str) -> str:
    """What the manifest keeps of a file's path (R18: never the path itself, and never an unkeyed hash of it)."""
    return path_hash("file:" + rel)[:32]


def _with_keyed_subject(result: GateResult) -> GateResult:
    """Key the gate's subject key before it is kept anywhere (the gate's worker processes have no secret)."""
    if result.facts is None:
        return result
    facts = dataclasses.replace(result.facts, subject_key=subject_key_hash(result.facts.subject_key))
    return dataclasses.replace(result, facts=facts)


def _body_part_value(body_part: str) -> str:
    """What to resolve for a gate body part: a DICOM defined term as is, a SNOMED code as its IRI."""
    scheme, _, code = body_part.partition(":")
    return SNOMED_IRI + code if scheme == "SCT" and code else body_part


def _folder_guid(name: str) -> str:
    """A guid for a dataset folder we cannot describe (bad name, bad sidecar): a keyed hash, never the name.

    Keyed like R18's refused paths: such a folder is often named after a person, and a plain hash of a
    guessable name ("DOE_JOHN") could be reversed by trying names.
    """
    return "dicom-folder-" + path_hash("folder:" + name)[:16]


@dataclass
class _Options:
    workers: int
    max_files: int
    max_depth: int
    timeout_s: float
    memory_mb: int
    policy: GatePolicy


@dataclass
class _DatasetRun:
    """One dataset folder during a gather: its sidecar (or the problem with it) and its files' results."""

    name: str
    path: str
    sidecar: Sidecar | None = None
    error: StageErrorInfo | None = None
    results: dict[str, tuple[Candidate, GateResult]] = field(default_factory=dict)


class DicomFolderHarvester(Harvester):
    """Harvest de-identified DICOM datasets from a folder inside ATLAS_HARVEST_FILE_ROOTS."""

    kind: ClassVar[str] = "dicom_folder"
    OPTIONS: ClassVar[dict[str, str]] = {
        "deid_uid_roots": "UID roots accepted for instance UIDs (R15), e.g. [\"2.25.\"]; default [\"2.25.\"]",
        "deny_uid_roots": "UID roots always refused (site and vendor roots); default: known vendor roots",
        "pseudonym_pattern": "Regular expression (full match) of PatientID/PN pseudonyms (R9, R10)",
        "provider_pseudonym_pattern": "Full-match regex of provider pseudonyms in Institution/Station (R16)",
        "private_tag_allowlist": "Name of a shipped list (e.g. \"tcia\") or a list of (gggg,\"Creator\",ee) (R11)",
        "accepted_deid_options": "PS3.15 option codes honoured when declared (default: all but 113110)",
        "attested_deid_options": "Option codes the data holder attests for every file (e.g. 113101)",
        "allowed_values": "Attribute keyword -> full-match regex of values documented as safe (R8 exceptions)",
        "dummy_values": "Extra Z/D and PN placeholder values (e.g. \"Removed by CTP\")",
        "strip_agreed": "R6 objects the data holder agreed to have ignored (e.g. [\"IconImageSequence\"])",
        "max_file_bytes": "Per-file size cap in bytes (default 1 GiB)",
        "workers": "Gate worker processes (default: all cores; 0 = in-process, for tests only)",
        "max_files": "Most candidate files per run; more stops the job (default 1,000,000)",
        "max_depth": "Deepest folder level below a dataset folder (default 8)",
        "timeout_s": "Wall-time bound per file in seconds (default 10)",
        "memory_mb": "Address-space cap of a gate worker in MB (RLIMIT_AS, default 512)",
    }

    def __init__(self, context: HarvestContext) -> None:
        super().__init__(context)
        self.options = self._parse_options(context.options)
        self._concepts: dict[tuple[str, str], str | None] = {}

    # ------------------------------------------------------------------------------------------- options

    @staticmethod
    def _int_option(options: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
        value = options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise HarvestError(f"option {name} must be an integer from {low} to {high}", code="invalid_option")
        return value

    def _parse_options(self, options: dict[str, Any]) -> _Options:
        try:
            policy = GatePolicy.from_options(options)
        except PolicyError as exc:
            raise HarvestError(f"option {exc}", code="invalid_option") from exc
        timeout = options.get("timeout_s", DEFAULT_TIMEOUT_S)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0.1 <= timeout <= 600:
            raise HarvestError("option timeout_s must be a number from 0.1 to 600", code="invalid_option")
        return _Options(
            workers=self._int_option(options, "workers", os.cpu_count() or 1, 0, 256),
            max_files=self._int_option(options, "max_files", 1_000_000, 1, 100_000_000),
            max_depth=self._int_option(options, "max_depth", 8, 0, 64),
            timeout_s=float(timeout),
            memory_mb=self._int_option(options, "memory_mb", DEFAULT_MEMORY_MB, 128, 65536),
            policy=policy,
        )

    # ---------------------------------------------------------------------------------------- location

    def _location(self) -> str:
        roots = [os.path.realpath(str(r)) for r in app_settings.ATLAS_HARVEST_FILE_ROOTS]
        location = os.path.realpath(self.context.location) if self.context.location else ""
        if not location or not any(is_inside(location, root) for root in roots):
            raise HarvestError(
                "the location is not inside one of ATLAS_HARVEST_FILE_ROOTS", code="location_not_allowed"
            )
        if not os.path.isdir(location):
            raise HarvestError("the location is not a readable folder", code="location_missing")
        return location

    # ------------------------------------------------------------------------------------------- gather

    def gather(self) -> Iterator[StagedItem]:
        ctx = self.context
        opts = self.options
        counters = ctx.counters
        counters.unit = "files"
        location = self._location()
        fingerprint = opts.policy.fingerprint()
        old_state = ctx.state if isinstance(ctx.state, dict) else {}
        reusable: dict[str, list[Any]] = {}
        if old_state.get("manifest_version") == MANIFEST_VERSION and old_state.get("policy") == fingerprint:
            reusable = old_state.get("manifest") or {}
        started = time.monotonic()

        datasets, early_items = self._datasets(location)
        yield from early_items
        stats = WalkStats()
        jobs: list[tuple[tuple[int, str], str]] = []
        candidates: dict[tuple[int, str], Candidate] = {}
        manifest: dict[str, list[Any]] = {}
        n_found = 0
        for index, run in enumerate(datasets):
            if run.error is not None:
                continue
            for found in walk_dataset(location, run.path, max_depth=opts.max_depth, stats=stats):
                if isinstance(found, WalkProblem):
                    ctx.refuse(found.code, found.rel)
                    continue
                n_found += 1
                if n_found > opts.max_files:
                    raise HarvestError(
                        f"more than max_files={opts.max_files} candidate files: raise the limit or split the source",
                        code="max_files_exceeded",
                    )
                counters.identified += 1
                key = _rel_key(found.rel)
                cached = reusable.get(key)
                if cached is not None and cached[0] == found.size and cached[1] == found.mtime_ns:
                    result = GateResult.from_json(cached[2])
                    counters.skipped_unchanged += 1
                    self._count(found, result)
                    run.results[key] = (found, result)
                    manifest[key] = cached
                    continue
                candidates[(index, key)] = found
                jobs.append(((index, key), found.path))
        counters.entered = counters.identified - counters.skipped_unchanged

        total, done = len(jobs), 0
        for (index, key), result in self._gate(jobs):
            result = _with_keyed_subject(result)
            found = candidates[(index, key)]
            datasets[index].results[key] = (found, result)
            manifest[key] = [found.size, found.mtime_ns, result.to_json()]
            self._count(found, result)
            done += 1
            if ctx.progress is not None and (done % 200 == 0 or done == total):
                ctx.progress(done, total)

        figures: dict[str, dict[str, int]] = {}
        for run in datasets:
            if run.error is not None:
                continue
            item, run_figures = self._build(run)
            figures[item.guid] = run_figures
            yield item
        for key in ("studies_identified", "studies_integrated"):
            ctx.counters.figures[key] = sum(f.get(key, 0) for f in figures.values())
        ctx.state.clear()
        ctx.state.update({
            "manifest_version": MANIFEST_VERSION,
            "gate_version": gate_module.GATE_VERSION,
            "policy": fingerprint,
            "manifest": manifest,
            "figures": figures,
            "ignored_entries": stats.ignored,
        })
        logger.info(
            "dicom_folder gather: %d files identified, %d gated, %d reused, %d integrated, %d refused, "
            "%d errored in %.1fs",
            counters.identified, total, counters.skipped_unchanged, counters.integrated,
            sum(counters.refused.values()), counters.errored, time.monotonic() - started,
        )

    def _datasets(self, location: str) -> tuple[list[_DatasetRun], list[StagedItem]]:
        """The dataset folders (sorted), with their sidecars; items for folders that cannot be described."""
        runs: list[_DatasetRun] = []
        items: list[StagedItem] = []
        seen_guids: dict[str, str] = {}
        try:
            with os.scandir(location) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            # The OSError would quote the path: the job's error message must not.
            raise HarvestError("the location cannot be listed", code="location_unreadable") from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if not is_inside(target, location):
                    self.context.refuse("symlink_escapes_root", entry.name)
                    continue
            if not entry.is_dir():
                continue  # files beside the dataset folders are not part of any dataset
            guid = _folder_guid(entry.name)
            if detect_in_name(entry.name) is not None:
                self.context.refuse("folder_name_identifying", entry.name)
                items.append(StagedItem(guid=guid, descriptor=None, errors=(StageErrorInfo(
                    stage="gate", code="folder_name_identifying",
                    message="the dataset folder's name looks like a person or record identifier (R12)", guid=guid,
                ),)))
                continue
            run = _DatasetRun(name=entry.name, path=os.path.realpath(entry.path))
            try:
                run.sidecar = read_sidecar(Path(run.path))
            except SidecarError as exc:
                run.error = StageErrorInfo(stage="parse", code="sidecar_invalid", message=str(exc), guid=guid)
                items.append(StagedItem(guid=guid, descriptor=None, errors=(run.error,)))
                # Without its sidecar the folder's identifier is unknown: withdrawing by difference could
                # withdraw the dataset this folder still holds.
                self.context.mark_incomplete("a dataset folder has an invalid dataset.json")
            if run.sidecar is not None:
                other = seen_guids.get(run.sidecar.identifier)
                if other is not None:
                    run.error = StageErrorInfo(
                        stage="parse", code="duplicate_identifier",
                        message="two dataset folders declare the same identifier", guid=guid,
                    )
                    items.append(StagedItem(guid=guid, descriptor=None, errors=(run.error,)))
                else:
                    seen_guids[run.sidecar.identifier] = run.name
            runs.append(run)
        return runs, items

    def _gate(self, jobs: list[tuple[tuple[int, str], str]]) -> Iterator[tuple[tuple[int, str], GateResult]]:
        opts = self.options
        if not jobs:
            return
        if opts.workers == 0:
            yield from gate_in_process(jobs, opts.policy)
            return
        workers = min(opts.workers, max(1, len(jobs) // 16 or 1))
        with GatePool(opts.policy, workers=workers, timeout_s=opts.timeout_s, memory_mb=opts.memory_mb) as pool:
            yield from pool.map(jobs)

    def _count(self, found: Candidate, result: GateResult) -> None:
        counters = self.context.counters
        if result.status == ACCEPTED:
            counters.integrated += 1
        elif result.status == ERROR:
            counters.errored += 1
            self.context.refused_paths.append((found.rel, f"error:{result.primary_reason}"))
        else:
            self.context.refuse(result.primary_reason, found.rel)

    # ------------------------------------------------------------------------------------------ building

    def _resolve(self, scheme: str, value: str, warnings: list[FieldWarning], field_name: str) -> str | None:
        """A vocabulary IRI for a code or IRI; unknown IRIs are kept, unknown codes warn (with the code only)."""
        from catalogue.selectors import concept_resolve

        cache_key = (scheme, value)
        if cache_key not in self._concepts:
            concept = concept_resolve(scheme=scheme, value=value)
            self._concepts[cache_key] = concept.iri if concept is not None else None
        iri = self._concepts[cache_key]
        if iri is not None:
            return iri
        if "://" in value or value.startswith("urn:"):
            return value
        shown = value if _SAFE_CODE.fullmatch(value) else "(code)"
        if scheme == "modality":
            warnings.append(FieldWarning(field_name, "unresolved_code",
                                         f"modality {shown} is not in the vocabulary; kept as its DICOM IRI"))
            return DCM_IRI + value
        warnings.append(FieldWarning(field_name, "unknown_code", f"{scheme}: {shown} is not in the vocabulary"))
        return None

    def _resolve_all(self, scheme: str, values: tuple[str, ...], warnings: list[FieldWarning],
                     field_name: str) -> tuple[str, ...]:
        out = (self._resolve(scheme, v, warnings, field_name) for v in values)
        return tuple(sorted({v for v in out if v}))

    @staticmethod
    def _agent(agent: SidecarAgent | None) -> AgentRef | None:
        if agent is None:
            return None
        return AgentRef(name=agent.name, iri=agent.iri, type=agent.type, email=agent.email,
                        contact_page=agent.contact_page, telephone=agent.telephone, homepage=agent.homepage)

    def _build(self, run: _DatasetRun) -> tuple[StagedItem, dict[str, int]]:
        """Aggregate one dataset's accepted files into a descriptor with study facts."""
        sidecar = run.sidecar
        assert sidecar is not None  # runs with a sidecar error were skipped by the caller
        guid = sidecar.identifier
        accepted = [r.facts for _c, r in run.results.values() if r.status == ACCEPTED and r.facts is not None]
        years = [f.year for f in accepted if f.year is not None]
        studies_seen = {r.study_key for _c, r in run.results.values() if r.study_key}
        notes: Counter[str] = Counter()
        refusals: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        for _c, result in run.results.values():
            notes.update(result.notes)
            if result.status == ERROR:
                errors[result.primary_reason] += 1
            elif result.status != ACCEPTED:
                refusals[result.primary_reason] += 1
        figures = {
            "files_identified": len(run.results),
            "files_integrated": len(accepted),
            "files_refused": sum(refusals.values()),
            "files_errored": sum(errors.values()),
            "studies_identified": len(studies_seen),
            "studies_integrated": len({f.study_uid for f in accepted}),
            "acquisition_year_min": min(years) if years else 0,
            "acquisition_year_max": max(years) if years else 0,
        }
        if not accepted:
            error = StageErrorInfo(
                stage="gate", code="no_accepted_files",
                message=(f"no file of this dataset passed the de-identification gate "
                         f"({figures['files_refused']} refused, {figures['files_errored']} errored)"),
                guid=guid,
            )
            return StagedItem(guid=guid, descriptor=None, errors=(error,)), figures

        warnings: list[FieldWarning] = []
        by_study: dict[str, list[gate_module.Facts]] = defaultdict(list)
        for facts in accepted:
            by_study[facts.study_uid].append(facts)
        subjects: dict[str, str] = {}
        for facts in accepted:
            if facts.sex != "U" or facts.subject_key not in subjects:
                subjects[facts.subject_key] = facts.sex
        study_facts = []
        for study_uid in sorted(by_study):
            files = by_study[study_uid]
            subject_key = Counter(f.subject_key for f in files).most_common(1)[0][0]
            if len({f.subject_key for f in files}) > 1:
                warnings.append(FieldWarning("study_facts", "study_has_several_subjects",
                                             "a study's files carry different pseudonyms; the most common is used"))
            ages = [f.age_band for f in files if f.age_band is not None]
            study_years = [f.year for f in files if f.year is not None]
            sops = {f.sop_uid for f in files}
            study_facts.append(StudyFactRecord(
                subject_key=subject_key,
                sex=subjects.get(subject_key, "U"),
                age_band=min(ages) if ages else None,
                year=min(study_years) if study_years else None,
                modalities=tuple(sorted({f.modality for f in files})),
                body_parts=tuple(sorted({f.body_part for f in files if f.body_part})),
                manufacturers=tuple(sorted({f.manufacturer for f in files if f.manufacturer})),
                n_series=len({f.series_uid for f in files}),
                n_instances=len(sops),
                n_bytes=sum(f.n_bytes for f in files),
            ))
        bands = [f.age_band for f in accepted if f.age_band is not None]
        modalities = sorted({f.modality for f in accepted})
        body_parts = sorted({f.body_part for f in accepted if f.body_part})
        sexes = sorted({s for s in subjects.values() if s in {"F", "M", "O"}})
        n_bytes = sum(f.n_bytes for f in accepted)
        n_instances = len({f.sop_uid for f in accepted})
        segmentations = len({f.sop_uid for f in accepted if f.is_segmentation})

        if figures["studies_integrated"] < figures["studies_identified"]:
            warnings.append(FieldWarning(
                "n_studies", "studies_not_integrated",
                f"{figures['studies_identified'] - figures['studies_integrated']} of "
                f"{figures['studies_identified']} studies identified have no accepted file",
            ))
        if refusals or errors:
            summary = "; ".join(f"{code} x{n}" for code, n in sorted((refusals + errors).items()))
            warnings.append(FieldWarning("files", "files_not_integrated", summary[:2000]))
        for note, count in sorted(notes.items()):
            kind, _, detail = note.partition(":")
            code = {"allowance": "gate_allowance_applied", "stripped": "gate_object_ignored",
                    "attested": "gate_option_attested", "face_recognisable": "face_recognisable"}.get(kind, "gate_note")
            what = detail or "series with head/neck CT or MR (no previews or thumbnails)"
            warnings.append(FieldWarning("privacy", code, f"{what} in {count} files"))

        distributions: tuple[DistributionDescriptor, ...] = ()
        if sidecar.access_url:
            distributions = (DistributionDescriptor(
                access_urls=(sidecar.access_url,),
                license=(self._resolve("licence", sidecar.licence, warnings, "licence") or "")
                if sidecar.licence else "",
                rights=self._resolve_all("access-condition", sidecar.access_conditions, warnings, "rights"),
                applicable_legislation=sidecar.applicable_legislation,
                media_type="application/dicom",
                byte_size=n_bytes,
            ),)
        elif sidecar.licence:
            warnings.append(FieldWarning("licence", "no_distribution", "a licence needs an access_url to attach to"))

        def single(scheme: str, value: str, field_name: str) -> str:
            return (self._resolve(scheme, value, warnings, field_name) or "") if value else ""

        descriptor = DatasetDescriptor(
            guid=guid,
            title=tuple(LangText(lang, text) for lang, text in sidecar.title.items()),
            description=tuple(LangText(lang, text) for lang, text in sidecar.description.items()),
            doi=sidecar.doi,
            keywords=sidecar.keywords,
            themes=self._resolve_all("data-theme", sidecar.themes, warnings, "themes"),
            health_categories=self._resolve_all("health-category", sidecar.health_categories, warnings,
                                                "health_categories"),
            health_themes=self._resolve_all("health-theme", sidecar.health_themes, warnings, "health_themes"),
            dataset_types=self._resolve_all("dataset-type", sidecar.dataset_types, warnings, "dataset_types"),
            access_rights=single("access-right", sidecar.access_rights, "access_rights"),
            applicable_legislation=sidecar.applicable_legislation,
            contact_points=(ContactPoint(name=sidecar.contact.name, email=sidecar.contact.email,
                                         url=sidecar.contact.url),),
            publisher=self._agent(sidecar.publisher),
            custodian=self._agent(sidecar.custodian),
            hdab=self._agent(sidecar.hdab),
            provenance=tuple(LangText(lang, text) for lang, text in sidecar.provenance.items()),
            n_subjects=len(subjects),
            n_studies=len(by_study),
            n_series=len({f.series_uid for f in accepted}),
            n_instances=n_instances,
            n_bytes=n_bytes,
            n_segmentations=segmentations,
            acquisition_year_min=min(years) if years else None,
            acquisition_year_max=max(years) if years else None,
            min_age=min(bands) if bands else None,
            max_age=(max(bands) if max(bands) >= TOP_AGE_BAND else max(bands) + 4) if bands else None,
            population_coverage=tuple(LangText(lang, t) for lang, t in sidecar.population_coverage.items()),
            birth_sex=self._resolve_all("sex", tuple(sexes), warnings, "birth_sex"),
            cancer_types=self._resolve_all("cancer-type", sidecar.cancer_types, warnings, "cancer_types"),
            modalities=self._resolve_all("modality", tuple(modalities), warnings, "modalities"),
            manufacturers=tuple(sorted({f.manufacturer for f in accepted if f.manufacturer})),
            body_parts=self._resolve_all("body-part", tuple(_body_part_value(b) for b in body_parts), warnings,
                                         "body_parts"),
            collection_methods=self._resolve_all("collection-method", sidecar.collection_methods, warnings,
                                                 "collection_methods"),
            tier=single("tier", sidecar.tier, "tier"),
            segmentation_labels=sidecar.segmentation_labels,
            segmentation_methods=self._resolve_all("segmentation-method", sidecar.segmentation_methods, warnings,
                                                   "segmentation_methods"),
            spatial=self._resolve_all("country", sidecar.spatial, warnings, "spatial"),
            conforms_to=self._resolve_all("standard", sidecar.conforms_to, warnings, "conforms_to"),
            has_structured_data=sidecar.has_structured_data,
            languages=self._resolve_all("language", sidecar.languages, warnings, "languages"),
            species=self._resolve_all("species", sidecar.species, warnings, "species"),
            version=sidecar.version,
            version_notes=sidecar.version_notes,
            issued=sidecar.issued,
            landing_page=sidecar.landing_page,
            distributions=distributions,
            study_facts=tuple(study_facts),
            warnings=tuple(warnings),
        )
        return StagedItem(guid=guid, descriptor=descriptor), figures
