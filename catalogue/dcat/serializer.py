"""Export the catalogue as DCAT-AP 3 / HealthDCAT-AP / EUCAIM RDF, streamed dataset by dataset.

`DcatExporter` turns descriptors into blocks with a profile's mapping table and hands them to a streaming
writer (`catalogue.dcat.writers`): nothing holds more than one dataset at a time, so the export runs in
constant memory and linear time (bench/dcat_export.py). Per dataset it

1. cleans the descriptor with the ceiling profile (values the shapes would reject are dropped and reported:
   never a bare string where an IRI belongs, never an invalid date);
2. picks the profile: complete for HealthDCAT-AP (`catalogue.completeness.missing_fields` plus the R8 rules
   it does not express) -> the ceiling profile; otherwise plain DCAT-AP 3, listed in the report with what it
   lacks;
3. withholds `numberOfUniqueIndividuals` below k (docs/privacy.md §0.1, `catalogue.disclosure`), and for such
   a small dataset also its study total below k, sex list, age range and acquisition years; all reported.

`export_catalogue` is the one entry point for the command, the validator and the tests: the dcat:Catalog from
`catalogue.models.Catalogue` plus every public dataset from `catalogue.selectors.dataset_descriptors_public`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from catalogue.dcat.namespaces import EHDS_REGULATION, RDF_TYPE
from catalogue.dcat.profiles import (
    PROFILES,
    CatalogueInfo,
    EmitContext,
    EucaimProfile,
    Problem,
    Profile,
    clean_fields,
    concept_code,
    dataset_iri,
    emit_fields,
    profile_for_dataset,
)
from catalogue.dcat.writers import Lit, Props, RdfWriter, writer_for
from catalogue.descriptors import AgentRef, DatasetDescriptor, LangText
from catalogue.disclosure import dataset_total_withheld, get_k, publish_dataset_figures
from config.app_settings import app_settings

if TYPE_CHECKING:
    from catalogue.models import Catalogue

__all__ = [
    "DcatExporter",
    "ExportReport",
    "catalogue_info",
    "export_catalogue",
    "export_descriptors",
    "public_dataset_count",
    "vocabulary_labels",
]


@dataclass(frozen=True)
class IncompleteDataset:
    iri: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class ExportWarning:
    iri: str
    field: str
    code: str
    message: str


@dataclass
class ExportReport:
    """What an export wrote: datasets by profile, who was downgraded and why, what was withheld or dropped."""

    format: str
    profile: str
    datasets: int = 0
    by_profile: Counter[str] = field(default_factory=Counter)
    incomplete: list[IncompleteDataset] = field(default_factory=list)
    withheld: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[ExportWarning] = field(default_factory=list)
    triples: int = 0
    replaced_characters: int = 0
    catalogue_problems: list[str] = field(default_factory=list)

    def render(self, *, limit: int = 20) -> str:
        """A short human summary for the command line (first `limit` entries of each list)."""
        lines = [f"Exported {self.datasets} datasets, {self.triples} triples ({self.format}, ceiling profile "
                 f"{self.profile})."]
        for name, count in sorted(self.by_profile.items()):
            lines.append(f"  {PROFILES[name].LABEL}: {count}")
        if self.incomplete:
            lines.append(f"Exported as plain DCAT-AP 3 because incomplete for HealthDCAT-AP: {len(self.incomplete)}")
            lines += [f"  {d.iri}: lacks {', '.join(d.missing)}" for d in self.incomplete[:limit]]
        if self.withheld:
            lines.append(f"Withheld values (docs/privacy.md §0.1, subject total below k): {len(self.withheld)}")
            lines += [f"  {iri}: {name}" for iri, name in self.withheld[:limit]]
        if self.warnings:
            lines.append(f"Values left out (they cannot be written validly) or filled in (the shapes require them): "
                         f"{len(self.warnings)}")
            lines += [f"  {w.iri} {w.field}: {w.code}: {w.message}" for w in self.warnings[:limit]]
        if self.replaced_characters:
            lines.append(f"Characters XML cannot carry, replaced by U+FFFD: {self.replaced_characters}")
        lines += [f"Catalogue: {p}" for p in self.catalogue_problems]
        return "\n".join(lines)


_SMALL_DATASET_FIELDS: tuple[tuple[str, Any], ...] = (
    ("birth_sex", ()), ("min_age", None), ("max_age", None), ("acquisition_year_min", None),
    ("acquisition_year_max", None),
)


def withhold_small_dataset(descriptor: DatasetDescriptor, *, k: int) -> tuple[DatasetDescriptor, list[str]]:
    """Leave out what would describe the few people of a dataset below k subjects (docs/privacy.md §0.1).

    The decision is `catalogue.disclosure.publish_dataset_figures`, the one rule every reader of counts uses:
    its study total follows the subject rule (numberOfRecords is omitted below k) and its sex list, age range
    and acquisition years are not exported. Runs after the profile choice, like the subject total's own
    withholding (`SubjectCount`), so a withheld value never changes which profile a dataset claims. Returns
    the descriptor to write and the names of the fields withheld, for the export report.
    """
    figures = publish_dataset_figures(n_subjects=descriptor.n_subjects, n_studies=descriptor.n_studies, k=k)
    if not figures.small:
        return descriptor, []
    changes: dict[str, Any] = {}
    if descriptor.n_studies is not None and figures.studies != descriptor.n_studies:
        changes["n_studies"] = None
    for name, empty in _SMALL_DATASET_FIELDS:
        if getattr(descriptor, name) not in (None, ()):
            changes[name] = empty
    return (dataclasses.replace(descriptor, **changes) if changes else descriptor), list(changes)


class DcatExporter:
    """Writes a catalogue and its datasets with one writer, choosing each dataset's profile (see module doc).

    `degrade_incomplete=False` writes every dataset with the ceiling profile whatever it lacks (useful to see
    everything the atlas knows; such output does not claim conformance).
    """

    def __init__(
        self,
        writer: RdfWriter,
        *,
        profile: Profile = EucaimProfile,
        base_url: str,
        k: int,
        degrade_incomplete: bool = True,
        series_legislation: tuple[str, ...] = (EHDS_REGULATION,),
        concept_labels: Callable[[str], tuple[LangText, ...]] | None = None,
    ) -> None:
        self.writer = writer
        self.profile = profile
        self.k = k
        self.degrade = degrade_incomplete
        self.ctx = EmitContext(
            profile=profile,
            base_url=base_url,
            withhold=lambda n: dataset_total_withheld(n, k=k),
            series_legislation=series_legislation,
            concept_labels=concept_labels,
        )
        self.report = ExportReport(format=writer.extension, profile=profile.NAME)
        self.catalogue_iri: str | None = None
        self._started = False

    def start(self) -> None:
        if not self._started:
            self.writer.start()
            self._started = True

    def catalogue(self, info: CatalogueInfo) -> None:
        """Write the catalogue node (each dataset written afterwards is linked from it)."""
        self.start()
        ctx = self.ctx
        ctx.begin(info.iri)
        problems: list[Problem] = []
        changes = clean_fields(self.profile.CATALOGUE_FIELDS, info, ctx, problems, "")
        if changes:
            info = CatalogueInfo(**{**info.__dict__, **changes})
        self.report.catalogue_problems += [f"{p.field}: {p.code}: {p.message}" for p in problems]
        if info.publisher is None:
            self.report.catalogue_problems.append(
                "no publisher: DCAT-AP 3 requires dct:publisher on the catalogue (set one in the admin)"
            )
        props = emit_fields(self.profile.CATALOGUE_FIELDS, info, ctx, [(RDF_TYPE, self.profile.CATALOGUE_CLASS)])
        self.writer.block(info.iri, props)
        self.writer.blocks(ctx.blocks)
        self.catalogue_iri = info.iri

    def dataset(self, descriptor: DatasetDescriptor, *, iri: str | None = None) -> Profile:
        """Write one dataset (with its distributions and first-seen shared nodes); return its profile."""
        self.start()
        ctx = self.ctx
        subject = iri or dataset_iri(descriptor.guid, ctx.base_url)
        ctx.begin(subject)
        clean, problems = self.profile.clean(descriptor, ctx)
        profile, missing = profile_for_dataset(self.profile, clean, degrade=self.degrade)
        clean, filled = profile.fill_mandatory(clean, subject)
        problems += filled
        clean, withheld = withhold_small_dataset(clean, k=self.k)
        ctx.withheld += withheld
        props: Props = [(RDF_TYPE, profile.DATASET_CLASS)]
        if profile.IDENTIFIER:
            props.append((profile.IDENTIFIER, Lit(subject)))
        emit_fields(profile.FIELDS, clean, ctx, props)
        if self.catalogue_iri:
            self.writer.block(self.catalogue_iri, [(self.profile.CATALOGUE_DATASET, subject)])
        self.writer.block(subject, props)
        self.writer.blocks(ctx.blocks)

        report = self.report
        report.datasets += 1
        report.by_profile[profile.NAME] += 1
        if missing:
            report.incomplete.append(IncompleteDataset(subject, tuple(missing)))
        report.withheld += [(subject, name) for name in ctx.withheld]
        report.warnings += [ExportWarning(subject, p.field, p.code, p.message) for p in problems]
        return profile

    def finish(self) -> ExportReport:
        self.start()
        self.writer.end()
        self.report.triples = self.writer.triples
        self.report.replaced_characters = self.writer.replaced_characters
        return self.report


def export_descriptors(
    descriptors: Iterable[DatasetDescriptor | tuple[str, DatasetDescriptor]],
    out: TextIO,
    *,
    fmt: str = "ttl",
    profile: Profile = EucaimProfile,
    base_url: str,
    k: int,
    catalogue: CatalogueInfo | None = None,
    degrade_incomplete: bool = True,
    concept_labels: Callable[[str], tuple[LangText, ...]] | None = None,
) -> ExportReport:
    """Export descriptors (optionally as (iri, descriptor) pairs) with no database: tests and the benchmark."""
    exporter = DcatExporter(
        writer_for(fmt, out), profile=profile, base_url=base_url, k=k, degrade_incomplete=degrade_incomplete,
        series_legislation=catalogue.applicable_legislation if catalogue else (EHDS_REGULATION,),
        concept_labels=concept_labels,
    )
    exporter.start()
    if catalogue is not None:
        exporter.catalogue(catalogue)
    for item in descriptors:
        if isinstance(item, tuple):
            exporter.dataset(item[1], iri=item[0])
        else:
            exporter.dataset(item)
    return exporter.finish()


# ================================================================================================ database


def _lang_texts(mapping: dict[str, str]) -> tuple[LangText, ...]:
    return tuple(LangText(lang, text) for lang, text in sorted((mapping or {}).items()) if text)


def catalogue_info(catalogue: Catalogue) -> CatalogueInfo:
    """The export view of the atlas's `Catalogue` row."""
    publisher = None
    if catalogue.publisher is not None:
        agent = catalogue.publisher
        publisher = AgentRef(
            name=agent.name,
            iri=agent.iri,
            type=agent.type.iri if agent.type else "",
            email=agent.email,
            contact_page=agent.contact_page,
            telephone=agent.telephone,
            homepage=agent.homepage,
        )
    return CatalogueInfo(
        iri=f"{app_settings.ATLAS_BASE_URL}catalogue",
        title=_lang_texts(catalogue.title),
        description=_lang_texts(catalogue.description),
        publisher=publisher,
        homepage=catalogue.homepage or app_settings.ATLAS_BASE_URL,
        license=catalogue.license.iri if catalogue.license else "",
        applicable_legislation=tuple(catalogue.applicable_legislation or ()),
        issued=catalogue.issued.isoformat(timespec="seconds") if catalogue.issued else "",
        modified=catalogue.modified.isoformat(timespec="seconds") if catalogue.modified else "",
    )


def vocabulary_labels() -> Callable[[str], tuple[LangText, ...]]:
    """Labels of the loaded vocabularies by concept IRI (one query), for the skos:prefLabel of exported concepts."""
    from catalogue.models import Concept

    table: dict[str, tuple[LangText, ...]] = {}
    for iri, label, labels, external in Concept.objects.values_list("iri", "label", "labels", "is_external"):
        if label == iri:
            label = concept_code(iri)  # an external concept whose label is its IRI: its code reads better
        texts = [LangText("" if external else "en", label)] if label else []
        texts += [LangText(lang, text) for lang, text in sorted((labels or {}).items()) if lang != "en" and text]
        table[iri] = tuple(texts)
    return lambda iri: table.get(iri, ())


def public_dataset_count() -> int:
    """How many datasets `export_catalogue` will write (for progress bars)."""
    from catalogue.selectors import dataset_list_public

    return dataset_list_public().count()


def export_catalogue(
    out: TextIO,
    *,
    fmt: str = "ttl",
    profile: Profile = EucaimProfile,
    progress: Callable[[Iterator[Any]], Iterator[Any]] | None = None,
) -> ExportReport:
    """Stream the whole public catalogue: the dcat:Catalog, then every public dataset (see module doc)."""
    from catalogue.selectors import dataset_descriptors_public
    from catalogue.services import catalogue_ensure

    info = catalogue_info(catalogue_ensure())
    exporter = DcatExporter(
        writer_for(fmt, out),
        profile=profile,
        base_url=app_settings.ATLAS_BASE_URL,
        k=get_k(),
        series_legislation=info.applicable_legislation or (EHDS_REGULATION,),
        concept_labels=vocabulary_labels(),
    )
    exporter.catalogue(info)
    pairs: Iterator[Any] = iter(dataset_descriptors_public())
    if progress is not None:
        pairs = progress(pairs)
    for dataset, descriptor in pairs:
        exporter.dataset(descriptor, iri=dataset.iri)
    return exporter.finish()

