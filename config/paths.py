"""Every path to data the project ships, in one place (the repository stands alone: nothing outside it is read).

The one exception is the optional reference corpus (`ATLAS_REFERENCE_DIR`): real third-party feeds under
copyleft licences that the project does not redistribute. Only the interoperability tests read it.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Official SHACL shapes, JSON-LD context and examples (CC BY 4.0, see the NOTICE.md in each folder).
SHAPES_DIR = REPO_ROOT / "catalogue" / "dcat" / "shapes"
DCAT_AP_EXAMPLES_DIR = SHAPES_DIR / "dcat-ap-3" / "examples-3.0.1"
HEALTHDCAT_AP_EXAMPLES_DIR = SHAPES_DIR / "healthdcat-ap" / "release-8-examples-transcribed"
# The controlled vocabularies (schemes.csv and one CSV per scheme) loaded by `manage.py load_vocabularies`.
VOCABULARIES_DIR = REPO_ROOT / "catalogue" / "vocabularies" / "data"
# The DICOM PS3.15 Annex E table the de-identification gate follows (docs/deid-gate.md).
DEID_TABLE = REPO_ROOT / "harvesters" / "dicom_folder" / "data" / "ps3.15-annex-e.csv"
# Real DICOM samples for the demo node and the gate's tests (TCIA CC BY 3.0, highdicom MIT; see NOTICE.md).
DICOM_SAMPLES_DIR = REPO_ROOT / "harvesters" / "dicom_folder" / "samples"
TCIA_SAMPLES_DIR = DICOM_SAMPLES_DIR / "tcia"
HIGHDICOM_SEG = DICOM_SAMPLES_DIR / "highdicom" / "seg_image_ct_binary.dcm"
# Demo inputs written by the project (descriptor sheet, partner-node DCAT feed).
DEMO_DIR = REPO_ROOT / "harvesters" / "demo"
# Data files of the test suite (feeds written by the project, golden files).
TEST_DATA_DIR = REPO_ROOT / "tests" / "data"

# pydicom's own bundled test files used as refused samples (read from the installed package, never downloaded).
PYDICOM_REFUSED_SAMPLES = ("CT_small.dcm", "MR_small.dcm", "17106", "17136", "17166", "17196")

_DEFAULT_REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


def pydicom_sample(name: str) -> Path:
    """A test file bundled inside the installed pydicom wheel (never downloaded; a missing file is an error)."""
    from pydicom.data import get_testdata_file

    found = get_testdata_file(name, download=False)
    if not found:
        raise FileNotFoundError(f"pydicom does not bundle the test file {name!r}")
    return Path(str(found))


def reference_dir() -> Path | None:
    """The optional third-party reference corpus: `ATLAS_REFERENCE_DIR`, else ../shared/reference if present.

    Set `ATLAS_REFERENCE_DIR` to an empty string to ignore a corpus that happens to be beside the checkout.
    """
    configured = os.environ.get("ATLAS_REFERENCE_DIR")
    if configured is not None:
        return Path(configured).resolve() if configured.strip() else None
    return _DEFAULT_REFERENCE_DIR.resolve() if _DEFAULT_REFERENCE_DIR.is_dir() else None
