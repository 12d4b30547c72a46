"""Fixtures of the DICOM harvester tests: the real sample files (shipped, or from the pydicom package), policies,
a small generated demo folder, and a harvest context whose location is allowed by ATLAS_HARVEST_FILE_ROOTS."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import paths
from harvesters.base import HarvestContext, HarvestCounters
from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS, TCIA_GATE_OPTIONS, generate
from harvesters.dicom_folder.gate import GatePolicy

TCIA = paths.TCIA_SAMPLES_DIR
HIGHDICOM_SEG = paths.HIGHDICOM_SEG
pydicom_sample = paths.pydicom_sample

# Small enough to gate in a second, big enough for several subjects, studies, series and a SEG.
SMALL_DEMO = {"datasets": 4, "subjects": 3, "instances": 2, "seed": 7}


@pytest.fixture(scope="session")
def tcia_policy() -> GatePolicy:
    return GatePolicy.from_options(TCIA_GATE_OPTIONS)


@pytest.fixture(scope="session")
def demo_policy() -> GatePolicy:
    return GatePolicy.from_options(DEMO_SOURCE_OPTIONS)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated demo folder (synthetic datasets + TCIA and refused samples), built once per session."""
    root = tmp_path_factory.mktemp("demo-template")
    generate(root, **SMALL_DEMO)
    return root


@pytest.fixture
def harvest_root(tmp_path: Path, settings: Any) -> Path:
    """A folder inside ATLAS_HARVEST_FILE_ROOTS (and only it)."""
    root = tmp_path / "roots"
    root.mkdir()
    settings.ATLAS_HARVEST_FILE_ROOTS = [os.path.realpath(root)]
    return root


@pytest.fixture
def demo_folder(demo_template: Path, harvest_root: Path) -> Path:
    """A private copy of the demo folder inside the allowed roots (tests may change it)."""
    target = harvest_root / "node"
    shutil.copytree(demo_template, target, symlinks=True)
    return target


@pytest.fixture
def make_context(tmp_path: Path) -> Callable[..., HarvestContext]:
    def make(location: Path | str, options: dict[str, Any] | None = None,
             state: dict[str, Any] | None = None) -> HarvestContext:
        report_dir = tmp_path / "report"
        report_dir.mkdir(exist_ok=True)
        return HarvestContext(
            source_slug="node-a", kind="dicom_folder", location=str(location),
            options=dict(DEMO_SOURCE_OPTIONS | {"workers": 0}) if options is None else options,
            counters=HarvestCounters(), report_dir=report_dir, state=state if state is not None else {},
        )

    return make
