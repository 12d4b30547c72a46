"""DICOM PS3.15 Table E.1-1 as the de-identification gate uses it (docs/deid-gate.md).

The table ships as `data/ps3.15-annex-e.csv` (`config.paths.DEID_TABLE`; edition, source and licence status in
`data/NOTICE.md`): one row per attribute with its Basic Profile action (X, Z, D, U and their combinations)
and the marks (K keep, C clean) of the ten option columns. The gate reads it through `load_deid_table()`
once per process; a malformed row stops the load with the file, line and field, never a half-read table.

Also here, and checked against the table's option columns by tests/harvesters/dicom/test_deid_table.py: which
attributes each declared option (PS3.16 CID 7050 codes) lets a file keep in this atlas, and which marks of the
table the gate does not honour on purpose (`NOT_HONOURED`), narrowing the standard where it would keep free
text about a patient, site addresses or dates outside the date options.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from config.paths import DEID_TABLE

DATA_DIR = Path(__file__).resolve().parent / "data"

BASIC_PROFILE_ACTIONS = frozenset({"X", "Z", "D", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"})
OPTION_MARKS = frozenset({"", "K", "C"})
# CSV column -> the option's PS3.16 CID 7050 code, in the standard's column order.
OPTION_COLUMNS: dict[str, str] = {
    "retain_safe_private": "113111",
    "retain_uids": "113110",
    "retain_device_identity": "113109",
    "retain_institution_identity": "113112",
    "retain_patient_characteristics": "113108",
    "retain_long_full_dates": "113106",
    "retain_long_modified_dates": "113107",
    "clean_descriptors": "113105",
    "clean_structured_content": "113104",
    "clean_graphics": "113103",
}
COLUMNS = ("tag", "keyword", "name", "basic_profile", *OPTION_COLUMNS)
PRIVATE_TAG = "(gggg,eeee)"  # the table's "Private Attributes" row: every element of an odd group
_TAG = re.compile(r"\((?P<g>[0-9A-F]{4}|[0-9A-F]{2}xx),(?P<e>[0-9A-F]{4}|xxxx)\)")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9]{1,79}")
_MAX_BYTES = 1 << 20


class DeidTableError(ValueError):
    """The shipped table cannot be read: names the file, the line and what is wrong."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}, line {line}: {message}")
        self.source, self.line = source, line


@dataclass(frozen=True, slots=True, order=True)
class DeidRow:
    """One attribute of Table E.1-1: `pattern` is 8 hex digits where "x" matches any nibble.

    `options` holds the option columns that mark the attribute, as (CID 7050 code, "K" or "C") pairs.
    """

    pattern: str
    keyword: str
    name: str
    action: str  # "X", "Z", "D", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"
    options: tuple[tuple[str, str], ...] = ()

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

    def mark(self, code: str) -> str:
        """"K", "C" or "" for the option with this CID 7050 code."""
        return dict(self.options).get(code, "")


@dataclass(frozen=True, slots=True)
class DeidTable:
    """The attributes with a tag (exact or group-masked) and the separate "Private Attributes" row."""

    rows: tuple[DeidRow, ...]
    private: DeidRow

    def marked(self, code: str) -> frozenset[str]:
        """Keywords of the attributes the option with this CID 7050 code marks K or C."""
        return frozenset(r.keyword for r in self.rows if r.mark(code))


def _row(record: dict[str, str], source: str, line: int) -> DeidRow:
    tag, keyword, name, action = (record[c] for c in ("tag", "keyword", "name", "basic_profile"))
    if action not in BASIC_PROFILE_ACTIONS:
        raise DeidTableError(source, line, f"basic_profile {action!r} is not one of {sorted(BASIC_PROFILE_ACTIONS)}")
    options = []
    for column, code in OPTION_COLUMNS.items():
        mark = record[column]
        if mark not in OPTION_MARKS:
            raise DeidTableError(source, line, f"{column} {mark!r} is not K, C or empty")
        if mark:
            options.append((code, mark))
    if not name.strip() or name != name.strip():
        raise DeidTableError(source, line, "name is empty or has surrounding spaces")
    if tag == PRIVATE_TAG:
        if keyword:
            raise DeidTableError(source, line, "the Private Attributes row has no keyword")
        return DeidRow("ggggeeee", "", name, action, tuple(options))
    match = _TAG.fullmatch(tag)
    if match is None:
        raise DeidTableError(source, line, f"tag {tag!r} is not (GGGG,EEEE), (GGxx,EEEE), (GGxx,xxxx) or {PRIVATE_TAG}")
    if not _KEYWORD.fullmatch(keyword):
        raise DeidTableError(source, line, f"keyword {keyword!r} is not a DICOM keyword")
    return DeidRow((match.group("g") + match.group("e")).lower(), keyword, name, action, tuple(options))


def parse_deid_table(text: str, *, source: str = "ps3.15-annex-e.csv") -> DeidTable:
    """Parse the CSV text strictly: exact header, every field checked, no duplicate tag or keyword."""
    if "\x00" in text:
        raise DeidTableError(source, 1, "NUL byte in the file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or tuple(header) != COLUMNS:
            raise DeidTableError(source, 1, f"header must be {','.join(COLUMNS)}")
        rows: list[DeidRow] = []
        private: DeidRow | None = None
        seen_patterns: set[str] = set()
        seen_keywords: set[str] = set()
        for fields in reader:
            line = reader.line_num
            if len(fields) != len(COLUMNS):
                raise DeidTableError(source, line, f"{len(fields)} fields, expected {len(COLUMNS)}")
            row = _row(dict(zip(COLUMNS, fields, strict=True)), source, line)
            if row.pattern == "ggggeeee":
                if private is not None:
                    raise DeidTableError(source, line, "a second Private Attributes row")
                private = row
                continue
            if row.pattern in seen_patterns or row.keyword in seen_keywords:
                raise DeidTableError(source, line, f"{row.tag_text} {row.keyword} is listed twice")
            seen_patterns.add(row.pattern)
            seen_keywords.add(row.keyword)
            rows.append(row)
    except csv.Error as exc:
        raise DeidTableError(source, reader.line_num, f"not valid CSV ({exc})") from exc
    if private is None:
        raise DeidTableError(source, reader.line_num, f"no Private Attributes row ({PRIVATE_TAG})")
    if not rows:
        raise DeidTableError(source, reader.line_num, "no attribute rows")
    return DeidTable(tuple(rows), private)


def load_deid_table(path: Path = DEID_TABLE) -> DeidTable:
    """Read and check the shipped table (`config.paths.DEID_TABLE` unless told otherwise)."""
    data = path.read_bytes()
    if len(data) > _MAX_BYTES:
        raise DeidTableError(path.name, 1, f"larger than {_MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeidTableError(path.name, line, "not UTF-8") from exc
    return parse_deid_table(text, source=path.name)


@lru_cache(maxsize=1)
def shipped_table() -> DeidTable:
    """The table the gate follows, read once per process."""
    return load_deid_table()


def shipped_rows() -> tuple[DeidRow, ...]:
    """The attribute rows the gate matches elements against (the Private Attributes row is R11's)."""
    return shipped_table().rows


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

# What each option lets a file keep in this atlas: the table's K and C marks of that option, minus
# NOT_HONOURED below. A kept text value still passes the R12 detectors (except device and institution
# identity, which are names of machines and sites, not of people) and is never copied into the catalogue.

# 113108: physical characteristics the table keeps (K).
RETAIN_PATIENT_CHARACTERISTICS = frozenset({
    "PatientAge", "PatientSex", "PatientSize", "PatientWeight", "EthnicGroup", "SmokingStatus",
    "PregnancyStatus", "PatientSexNeutered",
})

# 113109: device identity (K, and the stations' own AE titles, which the table marks C).
RETAIN_DEVICE_IDENTITY = frozenset({
    "CassetteID", "DetectorID", "DeviceSerialNumber", "DeviceUID", "GantryID", "GeneratorID",
    "PerformedStationAETitle", "ScheduledStationAETitle", "PerformedStationGeographicLocationCodeSequence",
    "PerformedStationName", "PerformedStationNameCodeSequence",
    "PlateID", "ScheduledStationGeographicLocationCodeSequence", "ScheduledStationName",
    "ScheduledStationNameCodeSequence", "SourceSerialNumber", "StationName", "UniqueDeviceIdentifier",
    "UDISequence", "XRayDetectorID", "XRayDetectorLabel", "XRaySourceID", "DeviceLabel",
    "ManufacturerDeviceIdentifier", "DeviceDescription", "LensSerialNumber", "LensMake", "LensModel",
    "LensSpecification", "TreatmentMachineName", "TransducerIdentificationSequence", "ModifyingDeviceID",
})

# 113112: institution identity (K).
RETAIN_INSTITUTION_IDENTITY = frozenset({
    "InstitutionName", "InstitutionAddress", "InstitutionCodeSequence", "InstitutionalDepartmentName",
    "InstitutionalDepartmentTypeCodeSequence",
})

# 113105: descriptions of the procedure and series the table keeps after cleaning (C).
CLEAN_DESCRIPTORS = frozenset({
    "StudyDescription", "SeriesDescription", "ProtocolName", "PerformedProcedureStepDescription",
    "ScheduledProcedureStepDescription", "RequestedProcedureDescription", "AcquisitionDeviceProcessingDescription",
    "DerivationDescription", "ContrastBolusAgent", "ClinicalTrialSeriesDescription",
    "ClinicalTrialTimePointDescription", "AcquisitionProtocolDescription", "RequestedSeriesDescription",
    "AdmittingDiagnosesDescription", "DischargeDiagnosisDescription",
})

# 113104: structured content kept after cleaning (C); every nested element is still checked one by one.
CLEAN_STRUCTURED_CONTENT = frozenset({"ContentSequence", "AcquisitionContextSequence"})

# Date and time attributes no option keeps. The table's date columns (113106 K, 113107 C) do not mark
# PatientBirthDate, PatientBirthTime or GPSTimeStamp; LastMenstrualDate is marked, but R14 keeps no date that
# dates a person's body. Every other DA/DT/TM element may stay under 113106 or 113107 (only its year is stored).
NEVER_KEPT_DATES = frozenset({"PatientBirthDate", "PatientBirthTime", "LastMenstrualDate", "GPSTimeStamp"})

OPTION_RETAINS: dict[str, frozenset[str]] = {
    "113104": CLEAN_STRUCTURED_CONTENT,
    "113105": CLEAN_DESCRIPTORS,
    "113108": RETAIN_PATIENT_CHARACTERISTICS,
    "113109": RETAIN_DEVICE_IDENTITY,
    "113112": RETAIN_INSTITUTION_IDENTITY,
}
DATE_OPTIONS = frozenset({"113106", "113107"})

# Marks of the table the gate does not honour: a file declaring the option is still refused when one of these
# holds a value that is not empty, a dummy, a pseudonym or a data holder's documented allowance (docs/deid-gate.md).
NOT_HONOURED: dict[str, frozenset[str]] = {
    # Free text about the patient's health and needs (C): where names and dates hide; the atlas never reads them.
    # SelectorASValue (K) is an age inside a template selector, not the patient's age.
    "113108": frozenset({"Allergies", "PatientState", "PreMedication", "SpecialNeeds", "SelectorASValue"}),
    # Calibration and manufacturing dates (only the date options keep dates), addresses of other hospital
    # systems (AE titles, network IDs: C), locations and systems named by the site, and a UID (R15 decides).
    "113109": frozenset({
        "BeamHoldTransitionDateTime", "CalibrationDate", "CalibrationDateTime", "CalibrationTime",
        "DateOfInstallation", "DateOfLastCalibration", "DateOfLastDetectorCalibration", "DateOfManufacture",
        "DateTimeOfLastCalibration", "TimeOfLastCalibration", "TimeOfLastDetectorCalibration",
        "DestinationAE", "NetworkID", "Originator", "ReceivingAE", "RequestingAE", "RetrieveAETitle",
        "ScheduledStudyLocationAETitle", "SelectorAEValue", "StationAETitle",
        "ModifyingSystem", "ScheduledProcedureStepLocation", "ScheduledStudyLocation", "SourceManufacturer",
        "ManufacturerDeviceClassUID",
    }),
    # Clinical-trial sites and committees are not the institution identity R16 checks; Z/D rows accept a dummy.
    "113112": frozenset({
        "ClinicalTrialCoordinatingCenterName", "ClinicalTrialProtocolEthicsCommitteeName", "ClinicalTrialSiteID",
        "ClinicalTrialSiteName", "SourceOfPreviousValues",
    }),
    # Every other description the table lets a cleaner keep: comments, reasons, diagnoses, impressions, notes
    # and labels (RT plans, ROIs, structure sets) are patient-level free text the atlas never needs.
    "113105": frozenset({
        "AcquisitionComments", "AcquisitionFieldOfViewLabel", "AdditionalPatientHistory",
        "AdmittingDiagnosesCodeSequence", "Allergies", "AnnotationGroupDescription", "AnnotationGroupLabel",
        "BeamDescription", "BolusDescription", "CommentsOnRadiationDose", "CommentsOnThePerformedProcedureStep",
        "CompensatorDescription", "ConceptualVolumeCombinationDescription", "ConceptualVolumeDescription",
        "ContainerDescription", "ContributionDescription", "DecompositionDescription", "DeviceSettingDescription",
        "DisplacementReferenceLabel", "DoseReferenceDescription", "EntityDescription", "EntityLabel", "EntityLongLabel",
        "EntityName", "EquipmentFrameOfReferenceDescription", "FilterLookupTableDescription", "FixationDeviceDescription",
        "FractionGroupDescription", "FractionationNotes", "FrameComments", "IdentifyingComments", "ImageComments",
        "ImagingServiceRequestComments", "Impressions", "InterlockDescription", "InterlockOriginDescription",
        "InterpretationDiagnosisDescription", "InterpretationText", "LabelText", "LongDeviceDescription", "MakerNote",
        "MedicalAlerts", "MultienergyAcquisitionDescription", "Occupation", "PatientComments",
        "PatientSetupPhotoDescription", "PatientState", "PatientTreatmentPreparationMethodDescription",
        "PatientTreatmentPreparationProcedureParameterDescription", "PositionAcquisitionTemplateDescription",
        "PositionAcquisitionTemplateName", "PrescriptionDescription", "PrescriptionNotes", "PrescriptionNotesSequence",
        "PriorTreatmentDoseDescription", "PyramidDescription", "PyramidLabel", "ROIDescription",
        "ROIGenerationDescription", "ROIName", "ROIObservationDescription", "ROIObservationLabel",
        "RTPhysicianIntentNarrative", "RTPlanDescription", "RTPlanLabel", "RTPlanName", "RTPrescriptionLabel",
        "RTToleranceSetLabel", "RTTreatmentApproachLabel", "RadiationDoseIdentificationLabel",
        "RadiationDoseInVivoMeasurementLabel", "RadiationGenerationModeDescription", "RadiationGenerationModeLabel",
        "ReasonForOmissionDescription", "ReasonForRequestedProcedureCodeSequence", "ReasonForStudy",
        "ReasonForSuperseding", "ReasonForTheAttributeModification", "ReasonForTheImagingServiceRequest",
        "ReasonForTheRequestedProcedure", "ReasonForVisit", "ReasonForVisitCodeSequence", "RequestAttributesSequence",
        "RequestedContrastAgent", "RequestedProcedureComments", "RespiratoryMotionCompensationTechniqueDescription",
        "ResultsComments", "SelectorLOValue", "SelectorLTValue", "SelectorSHValue", "SelectorSTValue", "SelectorUTValue",
        "ServiceEpisodeDescription", "SetupTechniqueDescription", "ShieldingDeviceDescription",
        "SpecimenDetailedDescription", "SpecimenShortDescription", "StructureSetDescription", "StructureSetLabel",
        "StructureSetName", "StudyComments", "TreatmentPositionGroupLabel", "TreatmentSite", "TreatmentSites",
        "TreatmentTechniqueNotes", "TreatmentToleranceViolationDescription", "UserContentLabel", "UserContentLongLabel",
        "VisitComments", "WaveformFilterDescription",
    }),
    # Specimen preparation is pathology workflow content, not imaging metadata the atlas reads.
    "113104": frozenset({"SpecimenPreparationSequence"}),
    # Overlays and curves are R6 objects (refused unless the data holder agreed to strip them); graphic
    # annotations are refused like any D attribute that holds more than references.
    "113103": frozenset({"CurveData", "GraphicAnnotationSequence", "OverlayComments", "OverlayData"}),
    # Dates: LastMenstrualDate (R14) and three time stamps that are not DA/DT/TM values (an SH offset, a CS
    # certificate time and an OB frame clock), which the gate treats as ordinary attributes.
    "113106": frozenset({"LastMenstrualDate", "TimezoneOffsetFromUTC", "CertifiedTimestamp", "FrameOriginTimestamp"}),
}
NOT_HONOURED["113107"] = NOT_HONOURED["113106"]

__all__ = [
    "BASIC_PROFILE_ACTIONS", "CLEAN_DESCRIPTORS", "CLEAN_STRUCTURED_CONTENT", "COLUMNS", "DATA_DIR", "DATE_OPTIONS",
    "DCM_OPTIONS", "NEVER_KEPT_DATES", "NOT_HONOURED", "OPTION_COLUMNS", "OPTION_RETAINS",
    "RETAIN_DEVICE_IDENTITY", "RETAIN_INSTITUTION_IDENTITY", "RETAIN_PATIENT_CHARACTERISTICS", "DeidRow",
    "DeidTable", "DeidTableError", "load_deid_table", "parse_deid_table", "shipped_rows", "shipped_table",
]
