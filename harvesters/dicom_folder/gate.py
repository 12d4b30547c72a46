"""The de-identification gate of docs/privacy.md §1: decide, for one DICOM file, what the catalogue may keep.

`check_file(path, policy)` is a pure function (no Django; the only module state is bounded caches whose entries
are keyed by every input they depend on: `_PLANS`, `_MEMOS`, `_fast_items_cached`, `_detect_cached`) so that it
can run in worker processes under resource limits (see `pool.py`) and be tested file by file. It reads the WHOLE header
(`stop_before_pixels=True, defer_size="256 KB"`, no `specific_tags`) and the elements that follow the pixel
data, walks every element at every nesting depth including the file meta, and applies P2 and R1-R17.

What leaves the gate is either a list of refusal codes (a rule and, at most, a tag keyword or tag number: never
a value) or `Facts`: only the fields the atlas may store (UIDs already checked by R15, a hash of the pseudonym,
sex, an age band, a year, controlled terms, the manufacturer after the R12 detectors, a size and two flags).

Reading the rules in code: each check appends `(rule_order, code)`; the file is refused when any was appended.
Rule-specific decisions that the standard leaves to the data holder (dummy values, retained attributes, private
tags, stripping of icons) come from `GatePolicy`, built from the harvest source's options.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pydicom  # noqa: F401 - `gate.pydicom` is the library the gate reads with (tests spy on its dcmread)
from pydicom.charset import convert_encodings, decode_bytes
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.values import convert_SQ

from catalogue.disclosure import age_band, coarse_year, parse_dicom_age
from harvesters.dicom_folder.deid_tables import (
    DATE_OPTIONS,
    NEVER_KEPT_DATES,
    OPTION_RETAINS,
    RETAIN_DEVICE_IDENTITY,
    RETAIN_INSTITUTION_IDENTITY,
    DeidRow,
    shipped_rows,
)
from harvesters.dicom_folder.detectors import detect
from harvesters.dicom_folder.policy import (
    DEFAULT_ACCEPTED_OPTIONS,
    DEFAULT_DENY_UID_ROOTS,
    DEFAULT_DUMMY_VALUES,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_PROVIDER_PSEUDONYM_PATTERN,
    DEFAULT_PSEUDONYM_PATTERN,
    R6_OBJECTS,
    SHIPPED_ALLOWLISTS_DIR,
    GatePolicy,
    PolicyError,
    PrivateAllowList,
    shipped_allowlist_names,
)
from harvesters.dicom_folder.reader import (
    _ITEMS_CACHE_MAX_BYTES,
    DEFER_SIZE,
    _fast_items,
    _fast_items_cached,
    _Malformed,
    _read,
)

GATE_VERSION = "2025.2"
"""Changes whenever a rule changes: manifests made by another version are not reused."""
MAX_NESTING = 32
MAX_ELEMENTS = 200_000
MAX_REASONS = 64

ACCEPTED = "accepted"
REFUSED = "refused"
ERROR = "error"
_DATE_VRS = frozenset({"DA", "DT", "TM"})
_R12_VRS = frozenset({"LO", "LT", "SH", "ST", "UT", "UC"})
_SINGLE_VALUED_TEXT = frozenset({"LT", "ST", "UT", "UR"})
_TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI",
                       "UR", "UT"})
_NUMERIC_REF_VRS = frozenset({"IS", "US", "UL", "SS", "SL", "AT", "FL", "FD", "DS", "UV", "SV"})
# Text attributes whose value is a version or a code, not free text (R12 would misread "1.4.35" as a date).
_R12_EXEMPT = frozenset({
    "ImplementationVersionName", "SoftwareVersions", "DeidentificationMethod", "PatientID", "CodingSchemeVersion",
})
# UI attributes that name a class, syntax, implementation or coding scheme: not instance identifiers (R15).
_UID_EXEMPT = frozenset({
    "TransferSyntaxUID", "ImplementationClassUID", "SOPClassUID", "MediaStorageSOPClassUID",
    "ReferencedSOPClassUID", "ReferencedSOPClassUIDInFile", "CodingSchemeUID", "ContextGroupExtensionCreatorUID",
    "MappingResourceUID", "PrivateInformationCreatorUID", "AffectedSOPClassUID", "RequestedSOPClassUID",
    "ContextUID", "RelatedGeneralSOPClassUID", "OriginalSpecializedSOPClassUID",
    "ReferencedTransferSyntaxUIDInFile", "SOPClassesInStudy",
})
_STANDARD_SCHEMES = frozenset({"DCM", "SCT", "SRT", "SNM3", "LN", "UCUM", "NCIT", "FMA", "RADLEX", "ICD10",
                               "I10", "ICDO3", "MDC", "UMLS", "ACR"})
_CODE_ITEM_KEYWORDS = frozenset({"CodeValue", "CodingSchemeDesignator", "CodingSchemeVersion", "CodeMeaning",
                                 "ContextIdentifier", "MappingResource", "ContextUID", "LongCodeValue",
                                 "URNCodeValue", "ContextGroupExtensionFlag"})
# Enumerated flags that may accompany a reference (e.g. in a SEG's Source Image Sequence items).
_REFERENCE_FLAGS = frozenset({"SpatialLocationsPreserved"})
_R16_ATTRIBUTES = frozenset({"InstitutionName", "InstitutionAddress", "StationName", "DeviceSerialNumber"})
_HIGH_RISK_IMAGE_TYPES = frozenset({"SECONDARY", "DERIVED", "SCREEN", "SAVE", "REPORTDATA", "DEMOGRAPHICDATA"})
_HIGH_RISK_MODALITIES = frozenset({"OT", "US", "SC", "DOC", "SR"})
_HIGH_RISK_SERIES = re.compile(r"dose|report|protocol|screen|save|capture", re.IGNORECASE)
_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"  # and its multi-frame variants .7.1 to .7.4
_ENCAPSULATED_DOC_PREFIX = "1.2.840.10008.5.1.4.1.1.104."
_SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
_SEGMENTATION_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.481.3"})
_SEGMENTATION_MODALITIES = frozenset({"SEG", "RTSTRUCT"})
_HEAD_NECK = frozenset({"HEAD", "BRAIN", "SKULL", "HEADNECK", "NECK", "FACE", "EYE", "ORBIT", "JAW", "TMJ",
                        "NASOPHARYNX", "OROPHARYNX", "LARYNX", "IAC", "SINUS", "CSPINE", "EAR", "MOUTH"})
# (0012,0063) free text may list option codes ("DCM:113100/113105/..."): read them as declared.
_OPTION_CODE = re.compile(r"(?<!\d)1131(?:0\d|1[0-2])(?!\d)")
_MRN_SHAPE = re.compile(r"[\d\s./-]+")
_NATIONAL_IDS = (
    re.compile(r"\d{8}[A-Z]"),  # ES DNI
    re.compile(r"[XYZ]\d{7}[A-Z]"),  # ES NIE
    re.compile(r"[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]"),  # IT codice fiscale
)
_UID_DATE = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_MODALITY = re.compile(r"[A-Z0-9_]{1,16}")
_BODY_PART = re.compile(r"[A-Z0-9_ ]{1,16}")

# Rule order: the first code in this order is the file's primary reason (what the counters count).
_RULE_ORDER = {"p2": 2, "r1": 10, "r2": 20, "r4": 40, "r5": 50, "r6": 60, "r17": 65, "r8": 80, "r9": 90,
               "r10": 100, "r11": 110, "r12": 120, "r13": 130, "r15": 150, "r16": 160, "req": 200}

# R6 objects by tag (exact) and the group-masked ones.
_R6_EXACT = {0x00880200: "IconImageSequence", 0x00420011: "EncapsulatedDocument", 0x54000100: "WaveformSequence"}
_R17_TAGS = {0x04000561: "OriginalAttributesSequence", 0x04000500: "EncryptedAttributesSequence"}


class GateTimeout(Exception):
    """Raised inside a worker when a file exceeds its time budget (see pool.py)."""


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the catalogue keeps of an accepted file (docs/privacy.md §0, R12-R15)."""

    study_uid: str
    series_uid: str
    sop_uid: str
    subject_key: str  # sha256 of the PatientID pseudonym; the harvester keys it before storing (subject_key_hash)
    sex: str  # F, M, O or U
    age_band: int | None
    year: int | None
    modality: str
    body_part: str  # a BodyPartExamined defined term, "SCT:<code>" from AnatomicRegionSequence, or ""
    manufacturer: str
    n_bytes: int
    is_segmentation: bool
    face_recognisable: bool


@dataclass(frozen=True, slots=True)
class GateResult:
    """The verdict on one file: accepted with facts, refused with reason codes, or an error code."""

    status: str
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    facts: Facts | None = None
    study_key: str = ""  # short hash of the StudyInstanceUID of any parsed file, to count studies identified

    @property
    def primary_reason(self) -> str:
        return self.reasons[0] if self.reasons else ""

    def to_json(self) -> list[Any]:
        """Compact JSON form for the harvest manifest (source state)."""
        facts = None
        if self.facts is not None:
            f = self.facts
            facts = [f.study_uid, f.series_uid, f.sop_uid, f.subject_key, f.sex, f.age_band, f.year, f.modality,
                     f.body_part, f.manufacturer, f.n_bytes, f.is_segmentation, f.face_recognisable]
        return [self.status, list(self.reasons), list(self.notes), facts, self.study_key]

    @classmethod
    def from_json(cls, data: list[Any]) -> GateResult:
        status, reasons, notes, facts, study_key = data
        return cls(status, tuple(reasons), tuple(notes), Facts(*facts) if facts is not None else None, study_key)


def error_result(code: str) -> GateResult:
    return GateResult(ERROR, (code,))


# ---------------------------------------------------------------------------------------------- decoding


def _decode(value: bytes, encodings: tuple[str, ...]) -> str:
    if len(encodings) == 1 or b"\x1b" not in value:
        return value.decode(encodings[0], errors="replace")
    return decode_bytes(value, encodings, set())


# ----------------------------------------------------------------------------------------------- checker


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, DeidRow], tuple[tuple[int, int, DeidRow], ...]]:
    exact: dict[int, DeidRow] = {}
    masked: list[tuple[int, int, DeidRow]] = []
    for row in shipped_rows():
        if row.is_exact:
            exact[row.tag] = row
        else:
            mask, value = row.mask_value
            masked.append((mask, value, row))
    return exact, tuple(masked)


def _vr_of(tag: int, raw_vr: str | None) -> str:
    """The element's VR; UN (or implicit) public elements get their dictionary VR, as pydicom does on access."""
    if raw_vr and (raw_vr != "UN" or tag >> 16 & 1):
        return raw_vr
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        return "UN"
    return "UN" if " or " in vr else vr


def _keyword(tag: int) -> str:
    return keyword_for_tag(tag) or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _code(prefix: str, detail: str = "") -> str:
    """A reason code: the rule, then a keyword (or, when that would pass 64 characters, the tag number)."""
    code = f"{prefix}:{detail}" if detail else prefix
    if len(code) <= 64:
        return code
    keyword, _, rest = detail.partition(":")
    tag = tag_for_keyword(keyword)
    short = f"({tag >> 16:04X},{tag & 0xFFFF:04X})" if tag is not None else keyword[:32]
    return f"{prefix}:{short}" + (f":{rest}" if rest else "")


_PATIENT_ID = 0x00100020
_LATIN_1 = ("latin_1",)
_CHARSET = 0x00080005
_DESIGNATOR = 0x00080102
# Elements outside Table E.1-1 that a rule still reads: names (R9), dates (R13), UIDs (R15), free text (R12).
_CHECKED_VRS = frozenset({"PN", "DA", "DT", "TM", "UI"}) | _R12_VRS
_SPECIAL = {**{t: ("r6", k) for t, k in _R6_EXACT.items()}, **{t: ("r17", k) for t, k in _R17_TAGS.items()}}
_TOP = {
    "PatientIdentityRemoved": 0x00120062, "DeidentificationMethod": 0x00120063,
    "LongitudinalTemporalInformationModified": 0x00280303, "PatientID": 0x00100020,
    "StudyInstanceUID": 0x0020000D, "SeriesInstanceUID": 0x0020000E, "SOPInstanceUID": 0x00080018,
    "SOPClassUID": 0x00080016, "Modality": 0x00080060, "ImageType": 0x00080008,
    "BurnedInAnnotation": 0x00280301, "RecognizableVisualFeatures": 0x00280302,
    "SeriesDescription": 0x0008103E, "PatientSex": 0x00100040, "PatientAge": 0x00101010,
    "StudyDate": 0x00080020, "SeriesDate": 0x00080021, "AcquisitionDate": 0x00080022, "ContentDate": 0x00080023,
    "AcquisitionDateTime": 0x0008002A, "BodyPartExamined": 0x00180015, "Manufacturer": 0x00080070,
}


# What walk() does with an element, by (tag, VR as read): computed once per pair, not per element.
_SKIP, _CHECK, _PRIVATE, _SEQUENCE, _SPECIAL_OBJECT = "skip", "check", "private", "sequence", "special"
_PLANS: dict[tuple[int, str | None], tuple[Any, ...]] = {}
_PLANS_MAX = 65536


def _plan(t: int, raw_vr: str | None) -> tuple[Any, ...]:
    """The walk's decision for one (tag, VR) pair; only the tag and the data dictionary go into it."""
    group = t >> 16
    plan: tuple[Any, ...]
    if group & 1:
        plan = (_PRIVATE,)
    elif not t & 0xFFFF:  # group lengths carry no value
        plan = (_SKIP,)
    elif t in _SPECIAL:
        plan = (_SPECIAL_OBJECT, *_SPECIAL[t])
    else:
        exact, masked = _tables()
        row = exact.get(t)
        if row is None and group >> 8 in (0x50, 0x60):
            for mask, value, masked_row in masked:
                if t & mask == value:
                    row = masked_row
                    break
        if row is not None and row.keyword in ("OverlayData", "CurveData") and row is not exact.get(t):
            plan = (_SPECIAL_OBJECT, "r6", row.keyword)
        else:
            vr = raw_vr
            if vr is None or vr == "UN":
                vr = _vr_of(t, vr)
            if vr == "SQ":
                plan = (_SEQUENCE, row)
            elif row is None and vr not in _CHECKED_VRS:
                plan = (_SKIP,)
            else:
                plan = (_CHECK, row, vr)
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    _PLANS[(t, raw_vr)] = plan
    return plan


# Verdicts of element() by (tag, VR, raw value, encodings, designator test), per policy and per file-level state
# (declared options, PatientID digits): most values recur across the files of a series (descriptions, codes,
# study UIDs), so most elements are decided by one lookup. A cache only: the same inputs give the same codes.
_MEMOS: dict[int, tuple[GatePolicy, dict[tuple[Any, ...], dict[tuple[Any, ...], tuple[tuple[str, str], ...]]]]] = {}
_MEMO_MAX = 100_000


def _memo_for(policy: GatePolicy, state: tuple[Any, ...]) -> dict[tuple[Any, ...], tuple[tuple[str, str], ...]]:
    entry = _MEMOS.get(id(policy))
    if entry is None or entry[0] is not policy:  # the entry holds its policy: an id is never reused under it
        if len(_MEMOS) >= 4:
            _MEMOS.clear()
        entry = _MEMOS[id(policy)] = (policy, {})
    memos = entry[1]
    memo = memos.get(state)
    if memo is None:
        if len(memos) >= 64:
            memos.clear()
        memo = memos[state] = {}
    elif len(memo) >= _MEMO_MAX:
        memo.clear()
    return memo


def _charset(elem: Any) -> tuple[str, ...]:
    """Python codecs of a (0008,0005) element; the DICOM default repertoire is read as latin-1 (lenient)."""
    value = elem.value
    if isinstance(value, bytes):
        return _charset_of_bytes(value)
    return _charset_of(value)


@lru_cache(maxsize=256)
def _charset_of_bytes(value: bytes) -> tuple[str, ...]:
    return _charset_of(value)


def _charset_of(value: Any) -> tuple[str, ...]:
    if isinstance(value, bytes):
        names = [v.strip() for v in value.decode("ascii", "replace").split("\\")]
    elif isinstance(value, str):
        names = [value.strip()]
    else:
        names = [str(v).strip() for v in (value or [])]
    names = [n or "ISO_IR 6" for n in names] or ["ISO_IR 6"]
    encodings = convert_encodings(names)
    return tuple("latin_1" if e == "iso8859" else e for e in encodings)


def _text(elem: Any, vr: str, encodings: tuple[str, ...]) -> str:
    """An element's value as one string (multiple values joined by backslash), stripped of DICOM padding."""
    value = elem.value
    if isinstance(elem, RawDataElement):
        if not value:
            return ""
        text = _decode(value, encodings).rstrip(" \x00")
        return text if vr in _SINGLE_VALUED_TEXT else text.lstrip(" ")
    if value is None:
        return ""
    if isinstance(value, bytes):
        return _decode(value, encodings).strip(" \x00")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


@lru_cache(maxsize=8192)
def _detect_cached(text: str) -> str | None:
    """R12 detectors, memoised: the same descriptions and code meanings recur in every file of a series."""
    return detect(text)


_METHOD_CODES: dict[int, tuple[list[Any], frozenset[str], bool]] = {}


def _method_codes(items: list[Any]) -> tuple[frozenset[str], bool]:
    """R2/R3: the DCM option codes of a DeidentificationMethodCodeSequence, and whether 113100 is among them.

    Memoised by the identity of the item list: `_fast_items_cached` hands every file of a series the same one.
    """
    cached = _METHOD_CODES.get(id(items))
    if cached is not None and cached[0] is items:
        return cached[1], cached[2]
    declared: set[str] = set()
    has_basic = False
    for item in items:
        value = item.get(0x00080100)
        scheme = item.get(_DESIGNATOR)
        code = _text(value, "SH", _LATIN_1) if value is not None else ""
        if scheme is not None and _text(scheme, "SH", _LATIN_1).upper() == "DCM" and _OPTION_CODE.fullmatch(code):
            declared.add(code)
            has_basic = has_basic or code == "113100"
    if len(_METHOD_CODES) >= 512:
        _METHOD_CODES.clear()
    _METHOD_CODES[id(items)] = (items, frozenset(declared), has_basic)  # holds the list: its id is not reused
    return frozenset(declared), has_basic


class _Checker:
    """One pass over one file. Collects refusal codes and notes; extracts facts only when nothing refused.

    Written for speed (the gate must keep up with a bare pydicom read): elements are visited straight from
    the dataset's dictionary without converting them, only values some rule reads are decoded, and elements
    no rule concerns (a Columns US, an ImageType CS outside Table E.1-1) are skipped after one lookup.
    """

    def __init__(self, ds: Dataset, tail: Dataset | None, policy: GatePolicy, size: int) -> None:
        self.ds, self.tail, self.policy, self.size = ds, tail, policy, size
        self.reasons: dict[str, int] = {}
        self.notes: set[str] = set()
        self.n_elements = 0
        self.exact, self.masked = _tables()
        self.declared: frozenset[str] = frozenset()
        self.options: frozenset[str] = frozenset()
        self.retained: frozenset[str] = frozenset()
        self.dates_ok = False
        self.patient_digits: tuple[str, ...] = ()
        self.top_encodings = _charset(ds._dict[_CHARSET]) if _CHARSET in ds._dict else _LATIN_1  # noqa: SLF001
        self._top: dict[str, str] = {}
        self._items: dict[int, tuple[Any, list[Any]]] = {}
        self._memo: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}
        self._record: list[tuple[str, str]] | None = None
        implicit, little = ds.original_encoding
        self.implicit = bool(implicit)
        self.little = little is not False

    # -------------------------------------------------------------------------------------------- helpers

    def note(self, text: str) -> None:
        if self._record is not None:
            self._record.append(("", text))
        self.notes.add(text)

    def refuse(self, prefix: str, detail: str = "") -> None:
        if self._record is not None:
            self._record.append((prefix, detail))
        if len(self.reasons) < MAX_REASONS:
            self.reasons.setdefault(_code(prefix, detail), _RULE_ORDER[prefix.split("_", 1)[0]])

    def items_of(self, container: Any, t: int, elem: Any) -> list[Any]:
        """The items (element mappings) of a sequence element, parsed once per file the cheapest safe way."""
        cached = self._items.get(id(elem))
        if cached is not None and cached[0] is elem:
            return cached[1]
        items = self._parse_items(container, t, elem)
        self._items[id(elem)] = (elem, items)  # holding elem keeps its id from being reused during the check
        return items

    def _parse_items(self, container: Any, t: int, elem: Any) -> list[Any]:
        value = elem.value
        if isinstance(elem, RawDataElement):
            if value is None:  # deferred (over 256 KB): let pydicom read it
                value = container[t].value if isinstance(container, Dataset) else None
                if value is None:
                    raise _Malformed("deferred sequence inside a parsed item")
                return [item._dict for item in value]  # noqa: SLF001
            if not value:
                return []
            if not self.implicit and self.little:
                items = _fast_items_cached(value) if len(value) <= _ITEMS_CACHE_MAX_BYTES else _fast_items(value)
                if items is not None:
                    return items
            sequence = convert_SQ(value, self.implicit, self.little)
            return [item._dict for item in sequence]  # noqa: SLF001
        return [item._dict for item in (value or [])]  # noqa: SLF001

    def top_text(self, keyword: str) -> str:
        """A top-level value, decoded once (only a handful of attributes are read this way)."""
        cached = self._top.get(keyword)
        if cached is not None:
            return cached
        elem = self.ds._dict.get(_TOP[keyword])  # noqa: SLF001 - pydicom 3.0 pinned; avoids converting
        text = "" if elem is None else _text(elem, _vr_of(_TOP[keyword], elem.VR), self.top_encodings)
        self._top[keyword] = text
        return text

    # --------------------------------------------------------------------------------------- declaration

    def declaration(self) -> None:
        """R1, R2, R3: the de-identification flag, its provenance and the options in effect."""
        if self.top_text("PatientIdentityRemoved").upper() != "YES":
            self.refuse("r1_not_deidentified")
        method_text = self.top_text("DeidentificationMethod")
        declared: set[str] = set(_OPTION_CODE.findall(method_text))
        has_basic = False
        method_codes = self.ds._dict.get(0x00120064)  # noqa: SLF001
        if method_codes is not None:
            codes, has_basic = _method_codes(self.items_of(self.ds, 0x00120064, method_codes))
            declared |= codes
        if not has_basic and not method_text:
            self.refuse("r2_no_method")
        if self.top_text("LongitudinalTemporalInformationModified").upper() == "MODIFIED":
            declared.add("113107")
        self.declared = frozenset(declared)
        for code in sorted(self.policy.attested_options - self.declared):
            self.notes.add(f"attested:{code}")
        self.options = (self.declared & self.policy.accepted_options) | self.policy.attested_options
        retained: set[str] = set()
        for code, keywords in OPTION_RETAINS.items():
            if code in self.options:
                retained |= keywords
        self.retained = frozenset(retained)
        self.dates_ok = bool(self.options & DATE_OPTIONS)
        patient_id = self.top_text("PatientID")
        if not self.policy.pseudonym_pattern.fullmatch(patient_id):
            self.patient_digits = tuple(re.findall(r"\d{6,}", patient_id))

    # ---------------------------------------------------------------------------------------------- walk

    def walk(self, container: Any, depth: int, encodings: tuple[str, ...]) -> None:
        """Check every element of a dataset (or of a parsed sequence item), recursing into sequences."""
        if depth > MAX_NESTING:
            raise _Malformed("sequence nesting too deep")
        # Iterate without converting (pydicom 3.0.x pinned): a Dataset's element dict, or a parsed item.
        elements = container._dict if isinstance(container, Dataset) else container  # noqa: SLF001
        self.n_elements += len(elements)
        if self.n_elements > MAX_ELEMENTS:
            raise _Malformed("too many elements")
        charset = elements.get(_CHARSET)
        if charset is not None:
            encodings = _charset(charset)
        designator_elem = elements.get(_DESIGNATOR)
        designator = _text(designator_elem, "SH", encodings).upper() if designator_elem is not None else ""
        # element() reads the designator only through this test: the memo key carries the test, not the text.
        standard_codes = designator in _STANDARD_SCHEMES
        private: list[tuple[int, Any]] = []
        plans = _PLANS
        memo = self._memo
        for tag, elem in elements.items():
            t = int(tag)
            raw_vr = elem.VR
            plan = plans.get((t, raw_vr))
            if plan is None:
                plan = _plan(t, raw_vr)
            kind = plan[0]
            if kind is _SKIP:
                continue
            if kind is _CHECK:
                row, vr = plan[1], plan[2]
                value = elem.value
                if (value is not None and isinstance(elem, RawDataElement) and elem.length
                        and len(value) == elem.length):
                    # Same element, same value, same file-level state (options, PatientID digits): same verdict.
                    key = (t, vr, value, encodings, standard_codes)
                    recorded = memo.get(key)
                    if recorded is None:
                        self._record = []
                        try:
                            self.element(t, elem, vr, row, encodings, designator)
                            recorded = memo[key] = tuple(self._record)
                        finally:
                            self._record = None
                    else:
                        for prefix, detail in recorded:
                            if prefix:
                                self.refuse(prefix, detail)
                            else:
                                self.note(detail)
                else:
                    self.element(t, elem, vr, row, encodings, designator)
            elif kind is _PRIVATE:
                private.append((t, elem))
            elif kind is _SEQUENCE:
                self.sequence(container, t, elem, plan[1], depth, encodings)
            else:  # _SPECIAL_OBJECT
                self.special(plan[1], plan[2])
        if private:
            self.private(container, sorted(private, key=lambda te: te[0]), encodings, depth)

    def special(self, kind: str, keyword: str) -> None:
        """R6 objects (refused, or ignored when the data holder agreed) and R17 original-value sequences."""
        if kind == "r17":
            self.refuse("r17_original_values", keyword)
        elif keyword in self.policy.strip_agreed:
            self.notes.add(f"stripped:{keyword}")
        else:
            self.refuse("r6_object", keyword)

    def element(self, t: int, elem: Any, vr: str, row: DeidRow | None, encodings: tuple[str, ...],
                designator: str) -> None:
        """Every rule that reads one non-sequence element; values are decoded only when a rule needs them."""
        is_text = vr in _TEXT_VRS
        if isinstance(elem, RawDataElement):
            value = elem.value
            if not elem.length:
                return
            if value is None:
                if elem.value_tell + elem.length > self.size:
                    raise _Malformed("deferred value runs past the end of the file (truncated)")
                if is_text:
                    # No kept text is 256 KB long: refusing is cheaper and safer than reading it.
                    self.refuse("r12_oversized_text", row.keyword if row else _keyword(t))
                    return
            elif len(value) != elem.length:
                raise _Malformed("element value shorter than its length (truncated)")
            elif is_text and not value.strip(b" \x00"):
                return
        elif elem.value in (None, "", b"") or elem.value == []:
            return
        keyword = row.keyword if row is not None else _keyword(t)
        if vr in _DATE_VRS:
            # R13 (and R8 for listed dates): the value itself never matters, only that it is there.
            if row is not None and row.action != "U" and (
                keyword in NEVER_KEPT_DATES or not (self.dates_ok or keyword in self.retained)
            ):
                self.refuse("r8_attribute", keyword)
            if not self.dates_ok:
                self.refuse("r13_date", keyword)
            return
        text: str | None = None
        skip_r12 = False
        if row is not None and row.action != "U":
            if keyword not in self.retained:
                text = _text(elem, vr, encodings) if is_text else None
                if text == "":
                    return
                verdict = self.attribute(row, keyword, vr, text)
                if verdict is False:
                    return
                skip_r12 = verdict is None
            elif not (vr == "PN" or vr in _R12_VRS or t == _PATIENT_ID):
                return  # kept by a declared option and no later rule reads it (e.g. PatientAge with 113108)
        if not is_text:
            return
        if text is None:
            text = _text(elem, vr, encodings)
            if not text:
                return
        if vr == "PN":
            self.person_name(keyword, text)
        elif t == _PATIENT_ID:
            self.patient_id("PatientID", text)
        elif vr == "UI":
            self.uids(keyword, text)
        elif vr in _R12_VRS and not skip_r12:
            if (keyword not in _R12_EXEMPT
                    and not (keyword == "CodeValue" and designator in _STANDARD_SCHEMES)
                    and not ("113109" in self.options and keyword in RETAIN_DEVICE_IDENTITY)
                    and not ("113112" in self.options and keyword in RETAIN_INSTITUTION_IDENTITY)):
                self.free_text(keyword, vr, text)

    def attribute(self, row: DeidRow, keyword: str, vr: str, text: str | None) -> bool | None:
        """R8 (and R16) for a non-empty attribute of Table E.1-1.

        Returns True when the value may stay and later rules still apply, None when it may stay and the R12
        detectors must not run (a documented dummy, allowance or provider pseudonym), False when refused.
        """
        if keyword in self.retained:
            return True
        allowed = self.policy.allowed_map.get(keyword)
        if allowed is not None and text is not None and allowed.fullmatch(text):
            self.note(f"allowance:{keyword}")
            return None
        if vr in _DATE_VRS and self.dates_ok and keyword not in NEVER_KEPT_DATES:
            return True
        if keyword == "PatientID":
            return True  # R10 decides
        permits_dummy = "Z" in row.action or "D" in row.action
        if permits_dummy and text is not None:
            if text.casefold() in self.policy.dummy_values:
                return None
            if vr == "PN" and all(self.policy.pseudonym_pattern.fullmatch(v.strip()) for v in text.split("\\")):
                return True
        if (keyword in _R16_ATTRIBUTES and keyword != "DeviceSerialNumber" and text is not None
                and self.policy.provider_pseudonym_pattern.fullmatch(text)):
            return None
        self.refuse("r16_identity" if keyword in _R16_ATTRIBUTES else "r8_attribute", keyword)
        return False

    def sequence(self, container: Any, t: int, elem: Any, row: DeidRow | None, depth: int,
                 encodings: tuple[str, ...]) -> None:
        items = self.items_of(container, t, elem)
        if row is not None and len(items) and row.action != "U":
            keyword = row.keyword
            if keyword in self.retained:
                pass
            elif keyword in self.policy.allowed_map:
                self.notes.add(f"allowance:{keyword}")
            elif not all(self.reference_only(item) for item in items):
                self.refuse("r8_attribute", keyword)
        for item in items:
            self.walk(item, depth + 1, encodings)

    def reference_only(self, item: Any, depth: int = 0) -> bool:
        """True when a sequence item only points at other objects (UIDs, numbers, standard codes).

        Such an item holds no personal value and its UIDs are themselves checked by R15, so an X/Z/D reference
        sequence (Referenced Image Sequence, Source Image Sequence ...) carrying only references may stay.
        """
        if depth > MAX_NESTING:
            raise _Malformed("sequence nesting too deep")
        designator_elem = item.get(_DESIGNATOR)
        designator = _text(designator_elem, "SH", _LATIN_1).upper() if designator_elem is not None else ""
        for tag, raw in item.items():
            t = int(tag)
            if not t & 0xFFFF:
                continue
            vr = _vr_of(t, raw.VR)
            if vr == "SQ":
                if not all(self.reference_only(sub, depth + 1) for sub in self.items_of(item, t, raw)):
                    return False
            elif vr == "UI" or vr in _NUMERIC_REF_VRS:
                continue
            elif keyword_for_tag(t) in _CODE_ITEM_KEYWORDS and designator in _STANDARD_SCHEMES:
                continue
            elif keyword_for_tag(t) in _REFERENCE_FLAGS:
                continue
            else:
                return False
        return True

    def person_name(self, keyword: str, text: str) -> None:
        """R9: every PN is empty, a dummy, or the agreed pseudonym."""
        for value in text.split("\\"):
            value = value.strip()
            if not value or value.casefold() in self.policy.dummy_values:
                continue
            if not self.policy.pseudonym_pattern.fullmatch(value):
                self.refuse("r9_person_name", keyword)
                return

    def patient_id(self, keyword: str, text: str) -> None:
        """R10: the agreed pseudonym, and nothing shaped like a hospital MRN or a national identifier."""
        value = text.strip()
        digits = re.sub(r"\D", "", value)
        if (_MRN_SHAPE.fullmatch(value) and len(digits) >= 6) or any(p.fullmatch(value) for p in _NATIONAL_IDS):
            self.refuse("r10_mrn", keyword)
        elif not self.policy.pseudonym_pattern.fullmatch(value):
            self.refuse("r10_not_pseudonym", keyword)

    def uids(self, keyword: str, text: str) -> None:
        """R15 for one UI element (all of its values)."""
        if keyword in _UID_EXEMPT:
            return
        retain_uids = "113110" in self.options
        deny, roots = self.policy.deny_uid_roots, self.policy.deid_uid_roots
        for uid in text.split("\\"):
            uid = uid.strip(" \x00")
            if not uid or uid.startswith("1.2.840.10008."):
                continue
            if uid.startswith(deny):
                self.refuse("r15_denied_root", keyword)
            elif not retain_uids and not uid.startswith(roots):
                self.refuse("r15_root", keyword)
            if any(8 <= len(c) <= 20 and _UID_DATE.match(c) for c in uid.split(".")):
                self.refuse("r15_date", keyword)
            if self.patient_digits and any(d in uid for d in self.patient_digits):
                self.refuse("r15_patient_digits", keyword)

    def free_text(self, keyword: str, vr: str, text: str) -> None:
        """R12 detectors on a kept text value."""
        values = [text] if vr in _SINGLE_VALUED_TEXT else text.split("\\")
        for value in values:
            hit = _detect_cached(value)
            if hit is not None:
                self.refuse("r12_free_text", f"{keyword}:{hit}")
                return

    def private(self, container: Any, elements: list[tuple[int, Any]], encodings: tuple[str, ...], depth: int) -> None:
        """R11: private elements only with 113111, and each (creator, element) on the allow-list."""
        if "113111" not in self.options:
            self.refuse("r11_private_undeclared")
            return
        creators: dict[tuple[int, int], str] = {}
        used: set[tuple[int, int]] = set()
        allow = self.policy.private_allowlist
        for t, elem in elements:
            group, number = t >> 16, t & 0xFFFF
            if number == 0:
                continue
            if number < 0x0010 or 0x0100 <= number < 0x1000:
                self.refuse("r11_private_unlisted", f"({group:04X},{number:04X})")
                continue
            if number <= 0x00FF:
                creators[(group, number)] = _text(elem, "LO", encodings)
                continue
            block = (group, number >> 8)
            creator = creators.get(block)
            tag_text = f"({group:04X},xx{number & 0xFF:02X})"
            if not creator:
                self.refuse("r11_private_unlisted", f"({group:04X},{number:04X})")
                continue
            used.add(block)
            if not allow.allows(group, creator, number):
                self.refuse("r11_private_unlisted", tag_text)
                continue
            # An allowed private element is never copied; still, no name, date or foreign UID may hide in it.
            vr = _vr_of(t, elem.VR)
            if vr == "SQ":
                for item in self.items_of(container, t, elem):
                    self.walk(item, depth + 1, encodings)
                continue
            if vr not in _TEXT_VRS:
                continue
            text = _text(elem, vr, encodings)
            if not text:
                continue
            if vr == "PN":
                self.person_name(tag_text, text)
            elif vr in _DATE_VRS and not self.dates_ok:
                self.refuse("r13_date", tag_text)
            elif vr == "UI":
                self.uids(tag_text, text)
        for block, creator in creators.items():
            if block not in used and creator and not allow.knows_creator(block[0], creator):
                self.refuse("r11_private_creator", f"({block[0]:04X},00{block[1]:02X})")

    # ------------------------------------------------------------------------------------------- objects

    def objects(self) -> None:
        """R4, R5 (burned-in text and high-risk objects) and R15's file-meta consistency."""
        burned_in = self.top_text("BurnedInAnnotation").upper()
        if burned_in == "YES":
            self.refuse("r4_burned_in")
        elif not burned_in and "113101" not in self.options:
            why = ""
            image_type = {v.strip().upper() for v in self.top_text("ImageType").split("\\")}
            sop_class = self.top_text("SOPClassUID")
            if image_type & _HIGH_RISK_IMAGE_TYPES:
                why = "ImageType"
            elif self.top_text("Modality").upper() in _HIGH_RISK_MODALITIES:
                why = "Modality"
            elif sop_class == _SECONDARY_CAPTURE or sop_class.startswith(
                (_SECONDARY_CAPTURE + ".", _ENCAPSULATED_DOC_PREFIX, _SR_PREFIX)
            ):
                why = "SOPClassUID"
            elif _HIGH_RISK_SERIES.search(self.top_text("SeriesDescription")):
                why = "SeriesDescription"
            if why:
                self.refuse("r5_high_risk", why)
        media_elem = self.ds.file_meta._dict.get(0x00020003)  # noqa: SLF001
        media = _text(media_elem, "UI", _LATIN_1) if media_elem is not None else ""
        if media != self.top_text("SOPInstanceUID"):
            self.refuse("r15_media_sop_mismatch")

    def facts(self) -> Facts | None:
        """The stored fields, or None (with a `req` refusal) when the file lacks what the atlas counts by."""
        values = {k: self.top_text(k) for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                                                "PatientID", "Modality")}
        missing = [k for k, v in values.items() if not v]
        modality = values["Modality"].upper()
        if values["Modality"] and not _MODALITY.fullmatch(modality):
            missing.append("Modality")
        for keyword in missing:
            self.refuse("req_missing", keyword)
        if missing or self.reasons:
            return None
        sex = self.top_text("PatientSex").upper()
        age = parse_dicom_age(self.top_text("PatientAge"))
        year = None
        if self.dates_ok:
            for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
                year = coarse_year(self.top_text(keyword))
                if year is not None:
                    break
            if year is None:
                year = coarse_year(self.top_text("AcquisitionDateTime")[:8])
        body_part = self.top_text("BodyPartExamined").upper()
        if not _BODY_PART.fullmatch(body_part or "-"):
            body_part = ""
        region = self.ds._dict.get(0x00082218)  # noqa: SLF001 - AnatomicRegionSequence
        if not body_part and region is not None:
            for item in self.items_of(self.ds, 0x00082218, region):
                scheme_elem, code_elem = item.get(_DESIGNATOR), item.get(0x00080100)
                scheme = _text(scheme_elem, "SH", _LATIN_1).upper() if scheme_elem is not None else ""
                code = _text(code_elem, "SH", _LATIN_1) if code_elem is not None else ""
                if scheme in {"SCT", "SRT"} and re.fullmatch(r"[A-Z0-9-]{1,20}", code):
                    body_part = f"{scheme}:{code}"
                    break
        manufacturer = " ".join(self.top_text("Manufacturer").split())[:64]
        sop_class = self.top_text("SOPClassUID")
        face = self.top_text("RecognizableVisualFeatures").upper() == "YES" or (
            modality in {"CT", "MR"} and body_part in _HEAD_NECK and "113102" not in self.options
        )
        return Facts(
            study_uid=values["StudyInstanceUID"],
            series_uid=values["SeriesInstanceUID"],
            sop_uid=values["SOPInstanceUID"],
            subject_key=hashlib.sha256(values["PatientID"].encode("utf-8")).hexdigest(),
            sex=sex if sex in {"F", "M", "O"} else "U",
            age_band=age_band(age) if age is not None else None,
            year=year,
            modality=modality,
            body_part=body_part,
            manufacturer=manufacturer,
            n_bytes=self.size,
            is_segmentation=sop_class in _SEGMENTATION_CLASSES or modality in _SEGMENTATION_MODALITIES,
            face_recognisable=face,
        )

    def run(self) -> GateResult:
        study = self.top_text("StudyInstanceUID")
        study_key = hashlib.sha256(study.encode()).hexdigest()[:16] if study else ""
        self.declaration()
        self._memo = _memo_for(self.policy, (self.options, self.patient_digits))
        self.walk(self.ds.file_meta, 0, _LATIN_1)
        self.walk(self.ds, 0, self.top_encodings)
        if self.tail is not None:
            self.walk(self.tail, 0, self.top_encodings)
        self.objects()
        facts = self.facts()
        if facts is None:
            ordered = tuple(code for code, _ in sorted(self.reasons.items(), key=lambda kv: (kv[1], kv[0])))
            return GateResult(REFUSED, ordered, tuple(sorted(self.notes)), None, study_key)
        if facts.face_recognisable:
            self.notes.add("face_recognisable")
        return GateResult(ACCEPTED, (), tuple(sorted(self.notes)), facts, study_key)


def check_file(path: str | os.PathLike[str], policy: GatePolicy) -> GateResult:
    """Gate one file (docs/privacy.md §1). Never raises for a bad file: refusals and errors are results.

    GateTimeout and MemoryError propagate: they belong to the worker that enforces the limits (pool.py).
    """
    path = os.fspath(path)
    try:
        size = os.stat(path).st_size
    except OSError:
        return error_result("unreadable")
    if size > policy.max_file_bytes:
        return error_result("file_too_large")
    with warnings.catch_warnings():
        # pydicom warnings quote element values: they must never reach a log.
        warnings.simplefilter("ignore")
        try:
            read = _read(path, size)
            if read is None:
                return GateResult(REFUSED, ("p2_not_part10",))
            return _Checker(read[0], read[1], policy, size).run()
        except (GateTimeout, MemoryError):
            raise
        except OSError:
            return error_result("unreadable")
        except Exception:  # noqa: BLE001 - any parser failure on hostile input is this file's error, by design
            return error_result("malformed")


def iter_check(paths: Iterable[str], policy: GatePolicy) -> Iterator[GateResult]:
    """Sequential gate (no worker processes): tests, debugging and `workers=0`."""
    for path in paths:
        yield check_file(path, policy)


__all__ = [
    "ACCEPTED", "DEFAULT_ACCEPTED_OPTIONS", "DEFAULT_DENY_UID_ROOTS", "DEFAULT_DUMMY_VALUES", "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_PROVIDER_PSEUDONYM_PATTERN", "DEFAULT_PSEUDONYM_PATTERN", "DEFER_SIZE", "ERROR", "GATE_VERSION",
    "OPTION_RETAINS", "R6_OBJECTS", "REFUSED", "SHIPPED_ALLOWLISTS_DIR", "Facts", "GatePolicy", "GateResult",
    "GateTimeout", "PolicyError", "PrivateAllowList", "check_file", "error_result", "iter_check",
    "shipped_allowlist_names",
]
