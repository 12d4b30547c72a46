"""PS3.15 Table E.1-1 attribute actions (X, Z, D, U and their combinations) as data the gate can match fast.

Why a shipped JSON and not the markdown: the gate runs in worker processes on data-holder nodes and must not
depend on the design folder; the table is generated once from `DEID-TAGS.md` with
`python -m harvesters.dicom_folder.deid_tables /path/to/DEID-TAGS.md` and a test checks that the shipped file
still equals a fresh parse of the markdown, so the two cannot drift.

Also here: which attributes each declared de-identification option (PS3.15 Table CID 7050 codes) lets a file
keep. PS3.15 E.3 describes the options; the keyword sets below are the subset of Table E.1-1's option columns
this atlas honours, narrowed on purpose where the standard would keep patient-level free text (see GATE notes in
SIDECAR.md).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_TABLE = DATA_DIR / "deid_tags.json"

_SECTION = re.compile(r"^\*\*(?P<action>[XZDU/\\*]+)(?::[^*]*)?\*\*\s*$", re.M)
_ENTRY = re.compile(
    r"^\((?P<g>[0-9A-Fa-fx]{4}),(?P<e>[0-9A-Fa-fx]{4})\)"
    r"(?:\s*[\u2013-]\s*\((?P<g2>[0-9A-Fa-f]{4}),(?P<e2>[0-9A-Fa-f]{4})\))?"
    r"\s+(?P<name>.+?)\s*$"
)
# Names of the attributes whose tag has "xx" group wildcards (no pydicom keyword exists for the pattern).
_MASKED_KEYWORDS = {"50xxxxxx": "CurveData", "60xx4000": "OverlayComments", "60xx3000": "OverlayData"}


@dataclass(frozen=True, slots=True, order=True)
class DeidRow:
    """One attribute of Table E.1-1: `pattern` is 8 hex digits where "x" matches any nibble."""

    pattern: str
    keyword: str
    name: str
    action: str  # "X", "Z", "D", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"

    @property
    def mask_value(self) -> tuple[int, int]:
        """(mask, value) so that a tag matches when `tag & mask == value`."""
        mask = int("".join("0" if c == "x" else "F" for c in self.pattern), 16)
        value = int(self.pattern.replace("x", "0"), 16)
        return mask, value

    @property
    def is_exact(self) -> bool:
        return "x" not in self.pattern

    @property
    def tag(self) -> int:
        return int(self.pattern, 16)

    @property
    def tag_text(self) -> str:
        return f"({self.pattern[:4].upper()},{self.pattern[4:].upper()})".replace("X", "x")


def _keyword(pattern: str, name: str) -> str:
    from pydicom.datadict import keyword_for_tag

    if pattern in _MASKED_KEYWORDS:
        return _MASKED_KEYWORDS[pattern]
    keyword = keyword_for_tag(int(pattern, 16))
    if keyword:
        return keyword
    # Not in pydicom's dictionary (newer than its DICOM edition): derive a stable CamelCase name.
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", name) if w)


def parse_deid_markdown(text: str) -> list[DeidRow]:
    """Every attribute row of DEID-TAGS.md, ranges such as the GPS block expanded to the tags pydicom knows."""
    from pydicom.datadict import dictionary_has_tag

    rows: list[DeidRow] = []
    matches = list(_SECTION.finditer(text))
    if not matches:
        raise ValueError("no **ACTION** sections found: not the DEID-TAGS.md format")
    for i, match in enumerate(matches):
        action = match.group("action").replace("\\", "")
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = " ".join(text[match.end():end].split())
        if not body:
            raise ValueError(f"section {action} is empty")
        for raw in body.rstrip(".").split("; "):
            entry = _ENTRY.match(raw.strip())
            if entry is None:
                raise ValueError(f"section {action}: cannot parse entry {raw[:60]!r}")
            g, e, name = entry.group("g").lower(), entry.group("e").lower(), entry.group("name")
            if entry.group("g2"):
                start, stop = int(g + e, 16), int(entry.group("g2") + entry.group("e2"), 16)
                expanded = [t for t in range(start, stop + 1) if dictionary_has_tag(t)]
                if not expanded:
                    raise ValueError(f"range {raw[:40]!r} expands to no known tag")
                for tag in expanded:
                    pattern = f"{tag:08x}"
                    rows.append(DeidRow(pattern, _keyword(pattern, name), _keyword(pattern, name), action))
                continue
            pattern = g + e
            rows.append(DeidRow(pattern, _keyword(pattern, name), name, action))
    return rows


def write_shipped_rows(rows: list[DeidRow], path: Path = SHIPPED_TABLE) -> None:
    payload = {
        "source": "DEID-TAGS.md (PS3.15 Table E.1-1, DICOM 2024b via KitwareMedical/dicom-anonymizer 3cd5853)",
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def shipped_rows() -> tuple[DeidRow, ...]:
    """The table the gate uses (generated from DEID-TAGS.md; see module docstring)."""
    data = json.loads(SHIPPED_TABLE.read_text(encoding="utf-8"))
    return tuple(DeidRow(**row) for row in data["rows"])


# ------------------------------------------------------------------------------------------------ options

DCM_OPTIONS: dict[str, str] = {
    "113100": "Basic Application Confidentiality Profile",
    "113101": "Clean Pixel Data Option",
    "113102": "Clean Recognizable Visual Features Option",
    "113103": "Clean Graphics Option",
    "113104": "Clean Structured Content Option",
    "113105": "Clean Descriptors Option",
    "113106": "Retain Longitudinal Temporal Information Full Dates Option",
    "113107": "Retain Longitudinal Temporal Information Modified Dates Option",
    "113108": "Retain Patient Characteristics Option",
    "113109": "Retain Device Identity Option",
    "113110": "Retain UIDs Option",
    "113111": "Retain Safe Private Option",
    "113112": "Retain Institution Identity Option",
}

# 113108: physical characteristics PS3.15 keeps ("K"). The "C" free-text ones (Allergies, MedicalAlerts,
# AdditionalPatientHistory, SpecialNeeds, PatientState) are deliberately NOT kept: free text about a patient.
RETAIN_PATIENT_CHARACTERISTICS = frozenset({
    "PatientAge", "PatientSex", "PatientSize", "PatientWeight", "EthnicGroup", "SmokingStatus",
    "PregnancyStatus", "PatientSexNeutered",
})

# 113109: device identity (Table E.1-1 "Rtn. Dev. Id. Opt." column, the attributes present in DEID-TAGS.md).
RETAIN_DEVICE_IDENTITY = frozenset({
    "CassetteID", "DetectorID", "DeviceSerialNumber", "DeviceUID", "GantryID", "GeneratorID",
    "PerformedStationAETitle", "PerformedStationGeographicLocationCodeSequence", "PerformedStationName",
    "PerformedStationNameCodeSequence", "PlateID", "ScheduledStationAETitle",
    "ScheduledStationGeographicLocationCodeSequence", "ScheduledStationName", "ScheduledStationNameCodeSequence",
    "SourceSerialNumber", "StationName", "UniqueDeviceIdentifier", "UDISequence", "XRayDetectorID",
    "XRayDetectorLabel", "XRaySourceID", "DeviceLabel", "DeviceAlternateIdentifier",
    "ManufacturerDeviceIdentifier", "DeviceDescription", "LongDeviceDescription", "LensSerialNumber",
    "LensMake", "LensModel", "LensSpecification", "TreatmentMachineName", "TransducerIdentificationSequence",
    "ModifyingDeviceID",
})

# 113112: institution identity.
RETAIN_INSTITUTION_IDENTITY = frozenset({
    "InstitutionName", "InstitutionAddress", "InstitutionCodeSequence", "InstitutionalDepartmentName",
    "InstitutionalDepartmentTypeCodeSequence",
})

# 113105: descriptions of the procedure/series the standard keeps after cleaning ("C"). They stay subject to
# the R12 free-text detectors. Patient-level comments (PatientComments, VisitComments, IdentifyingComments,
# ImageComments ...) are NOT in this set: the atlas never needs them and they are where names hide.
CLEAN_DESCRIPTORS = frozenset({
    "StudyDescription", "SeriesDescription", "ProtocolName", "PerformedProcedureStepDescription",
    "ScheduledProcedureStepDescription", "RequestedProcedureDescription", "AcquisitionDeviceProcessingDescription",
    "DerivationDescription", "ContrastBolusAgent", "ClinicalTrialSeriesDescription",
    "ClinicalTrialTimePointDescription", "ClinicalTrialProtocolName", "AcquisitionProtocolDescription",
    "RequestedSeriesDescription", "AdmittingDiagnosesDescription", "DischargeDiagnosisDescription",
})

# 113104: structured content kept after cleaning; every nested element is still checked one by one.
CLEAN_STRUCTURED_CONTENT = frozenset({"ContentSequence", "AcquisitionContextSequence"})

# Dates never kept, whatever option is declared (R14: a birth date is never stored; derive age bands instead).
NEVER_KEPT_DATES = frozenset({"PatientBirthDate", "PatientBirthTime", "LastMenstrualDate"})

OPTION_RETAINS: dict[str, frozenset[str]] = {
    "113104": CLEAN_STRUCTURED_CONTENT,
    "113105": CLEAN_DESCRIPTORS,
    "113108": RETAIN_PATIENT_CHARACTERISTICS,
    "113109": RETAIN_DEVICE_IDENTITY,
    "113112": RETAIN_INSTITUTION_IDENTITY,
}
DATE_OPTIONS = frozenset({"113106", "113107"})


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m harvesters.dicom_folder.deid_tables /path/to/DEID-TAGS.md")
    parsed = parse_deid_markdown(Path(sys.argv[1]).read_text(encoding="utf-8"))
    write_shipped_rows(parsed)
    print(f"wrote {len(parsed)} rows to {SHIPPED_TABLE}")
