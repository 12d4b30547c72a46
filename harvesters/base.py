"""The harvester contract: a harvester turns one source into staged descriptors; the framework applies them.

ckanext-harvest's gather / fetch / import, done right: a harvester's `gather()` yields `StagedItem`s (it
gathers and fetches, and never writes models); `harvesters.services.harvest_job_run` stages them and applies
them in one transaction per source (`catalogue.services.dataset_upsert` / `dataset_withdraw`), so a job that
fails or is killed leaves the published catalogue exactly as it was.
"""

from __future__ import annotations

import functools
import hashlib
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from catalogue.descriptors import DatasetDescriptor
from catalogue.errors import AtlasError
from config.app_settings import app_settings


class HarvestError(AtlasError):
    """A problem that stops a whole job (unreadable source, refused location, parse error of a feed).

    An `AtlasError`, so its code (listed in `catalogue.error_codes`) is the same in the job's `error_code`, in the
    API's error body and in a command's message.
    """

    code = "harvest_failed"


@dataclass(frozen=True)
class StageErrorInfo:
    """One item's error at one stage. `message` never carries a personal value (a code and a tag name at most)."""

    stage: str  # "gather", "fetch", "gate", "parse", "import"
    code: str
    message: str
    guid: str = ""


@dataclass(frozen=True)
class StagedItem:
    """One harvested item: a descriptor to apply, or the errors that kept it out."""

    guid: str
    descriptor: DatasetDescriptor | None
    errors: tuple[StageErrorInfo, ...] = ()


@dataclass
class HarvestCounters:
    """Figures a harvester reports about its own units (files, studies, rows, feed records).

    identified: units found in the source; integrated: units whose content made it into a descriptor;
    refused: units refused by a privacy rule, by reason code; errored: units that failed to process
    (malformed, timeouts); entered: units that entered processing (identified minus skipped-unchanged).
    """

    unit: str = "datasets"
    identified: int = 0
    integrated: int = 0
    entered: int = 0
    errored: int = 0
    skipped_unchanged: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    figures: dict[str, int] = field(default_factory=dict)  # other units (e.g. studies of a DICOM harvest)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "identified": self.identified,
            "integrated": self.integrated,
            "entered": self.entered,
            "errored": self.errored,
            "skipped_unchanged": self.skipped_unchanged,
            "refused": dict(sorted(self.refused.items())),
            "figures": dict(sorted(self.figures.items())),
        }


@dataclass
class HarvestContext:
    """What a harvester may use: its source's settings, the counters, progress, and a node-local report folder."""

    source_slug: str
    kind: str
    location: str
    options: dict[str, Any]
    counters: HarvestCounters
    report_dir: Path
    state: dict[str, Any] = field(default_factory=dict)  # persisted between runs (e.g. a file manifest)
    progress: Callable[[int, int | None], None] | None = None
    refused_paths: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) - written to report_dir only
    incomplete_reasons: list[str] = field(default_factory=list)

    def error(self, reason: str, path: str | None = None) -> None:
        """Count a unit that failed to process; its path goes to the node-local report file only."""
        self.counters.errored += 1
        if path is not None:
            self.refused_paths.append((path, f"error:{reason}"))

    def mark_incomplete(self, reason: str) -> None:
        """Say the gather could not identify every item: the job then withdraws nothing this run."""
        if reason not in self.incomplete_reasons:
            self.incomplete_reasons.append(reason)

    def refuse(self, reason: str, path: str | None = None) -> None:
        """Count a refusal; the path goes to the node-local report file, never to the database."""
        self.counters.refused[reason] += 1
        if path is not None:
            self.refused_paths.append((path, reason))


def within_roots(path: str) -> Path:
    """The real path of a location, refused unless it lies inside ATLAS_HARVEST_FILE_ROOTS (symlinks resolved).

    Settings are the only way to widen where harvesters read: no source, curator or API call can.
    """
    import os

    real = Path(os.path.realpath(path))
    if any(real.is_relative_to(root) for root in app_settings.ATLAS_HARVEST_FILE_ROOTS):
        return real
    raise HarvestError(
        f"{path!r} is outside the folders harvesters may read (ATLAS_HARVEST_FILE_ROOTS)", code="location_not_allowed"
    )


def path_hash(path: str) -> str:
    """What the catalogue database may keep of a refused file's path (docs/privacy.md R18).

    Keyed (an HMAC under a key derived from the secret key for this purpose only, `salted_hmac`): a plain hash
    of a guessable path such as "DOE_JOHN/1.dcm" could be reversed by trying names. Only stage-error rows of
    the job that refused the file keep it; nothing matches it across jobs, so a new key changes no outcome.
    """
    from django.utils.crypto import salted_hmac

    return salted_hmac(PATH_HASH_PURPOSE, path.encode("utf-8", "surrogateescape"), algorithm="sha256").hexdigest()


PATH_HASH_PURPOSE = "atlas.harvesters.path_hash"
SUBJECT_KEY_PURPOSE = "atlas.harvesters.subject_key"


@functools.lru_cache(maxsize=4)
def _subkey(purpose: str, secret: str) -> bytes:
    from django.utils.crypto import salted_hmac

    return salted_hmac(purpose, b"subkey", secret=secret, algorithm="sha256").digest()


def subject_key_hash(pseudonym: str) -> str:
    """The opaque subject key a harvester hands to the catalogue (docs/privacy.md §0): keyed, never a plain hash.

    A plain SHA-256 of a pseudonym or record number can be tried back from a list of candidates; this key also
    lives in the staging table and the DICOM manifest while a source is harvested, so it is keyed from the first
    moment it is stored. The catalogue keys it once more per dataset (`catalogue.services.subject_hash`).
    """
    import hmac

    from django.conf import settings

    key = _subkey(SUBJECT_KEY_PURPOSE, settings.SECRET_KEY)
    return hmac.new(key, pseudonym.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


class Harvester(ABC):
    """Base of the harvester kinds (dicom_folder, dcat_rdf, idc_index, descriptor_sheet)."""

    kind: ClassVar[str]
    # Options a source of this kind accepts: name -> description (unknown options are refused).
    OPTIONS: ClassVar[dict[str, str]] = {}

    def __init__(self, context: HarvestContext) -> None:
        unknown = set(context.options) - set(self.OPTIONS)
        if unknown:
            raise HarvestError(
                f"unknown option(s) for {self.kind}: {', '.join(sorted(unknown))}", code="unknown_option"
            )
        self.context = context

    @abstractmethod
    def gather(self) -> Iterator[StagedItem]:
        """Yield every item of the source. Raise HarvestError when the source as a whole cannot be read.

        The job withdraws datasets that vanished only when this generator finished without raising.
        """
