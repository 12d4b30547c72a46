"""The `dataset.json` sidecar a data steward writes next to each dataset's DICOM files (schema: SIDECAR.md).

Why strict (docs/privacy.md R19-R21, §3, 2.5 "CSV and JSON descriptor files"): an unknown field is where personal data
hides, so it is refused and named, never ignored. The JSON is read under a byte cap, duplicate keys and
NaN/Infinity are refused, nesting is bounded, every string has a length bound, and the R12 free-text detectors
run over every free-text field. Error messages name the field (a JSON path) and the problem, never the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from catalogue.doi import BARE_DOI
from harvesters.dicom_folder.detectors import detect

SIDECAR_NAME = "dataset.json"
SCHEMA_VERSION = 1
MAX_BYTES = 64 * 1024
MAX_DEPTH = 6

_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
_LANG = re.compile(r"[a-z]{2,3}")
_CODE_OR_IRI = re.compile(r"(?:https?://[^\s<>\"]{3,490}|urn:[^\s]{3,490}|[A-Za-z0-9][A-Za-z0-9_.:/+-]{0,63})")
_IRI = re.compile(r"https?://[^\s<>\"]{3,490}")
_HTTPS_URL = re.compile(r"https://[^\s<>\"]{3,490}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")
_PHONE = re.compile(r"\+?[0-9 ()-]{6,30}")


class SidecarError(ValueError):
    """A sidecar that cannot be used: `field` is the JSON path of the problem (never its value)."""

    def __init__(self, field_path: str, problem: str) -> None:
        super().__init__(f"{field_path}: {problem}" if field_path else problem)
        self.field = field_path
        self.problem = problem


@dataclass(frozen=True)
class SidecarAgent:
    name: str
    email: str = ""
    homepage: str = ""
    contact_page: str = ""
    telephone: str = ""
    iri: str = ""
    type: str = ""


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    url: str = ""


@dataclass(frozen=True)
class Sidecar:
    """A validated sidecar. Texts are {lang: text}; codes are vocabulary codes or IRIs, resolved later."""

    identifier: str
    title: dict[str, str]
    description: dict[str, str]
    publisher: SidecarAgent
    contact: Contact
    keywords: tuple[str, ...] = ()
    cancer_types: tuple[str, ...] = ()
    custodian: SidecarAgent | None = None
    hdab: SidecarAgent | None = None
    licence: str = ""
    access_rights: str = ""
    access_url: str = ""
    access_conditions: tuple[str, ...] = ()
    applicable_legislation: tuple[str, ...] = ()
    tier: str = ""
    health_categories: tuple[str, ...] = ()
    health_themes: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    dataset_types: tuple[str, ...] = ()
    collection_methods: tuple[str, ...] = ()
    segmentation_methods: tuple[str, ...] = ()
    segmentation_labels: tuple[str, ...] = ()
    provenance: dict[str, str] = field(default_factory=dict)
    population_coverage: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    spatial: tuple[str, ...] = ()
    species: tuple[str, ...] = ()
    conforms_to: tuple[str, ...] = ()
    version: str = ""
    version_notes: str = ""
    doi: str = ""
    landing_page: str = ""
    issued: str = ""
    has_structured_data: bool | None = None


# ------------------------------------------------------------------------------------------- field types


def _text(max_len: int, *, free: bool) -> Callable[[str, Any], str]:
    def check(path: str, value: Any) -> str:
        if not isinstance(value, str):
            raise SidecarError(path, "must be a string")
        value = value.strip()
        if not value or len(value) > max_len:
            raise SidecarError(path, f"must be 1-{max_len} characters")
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            raise SidecarError(path, "contains control characters")
        if free:
            hit = detect(value)
            if hit is not None:
                raise SidecarError(path, f"looks like personal data ({hit} detector, docs/privacy.md R21)")
        return value

    return check


def _pattern(regex: re.Pattern[str], what: str, max_len: int = 500) -> Callable[[str, Any], str]:
    def check(path: str, value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_len or not regex.fullmatch(value.strip()):
            raise SidecarError(path, f"must be {what}")
        return value.strip()

    return check


def _date(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SidecarError(path, "must be an ISO date YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise SidecarError(path, "must be an ISO date YYYY-MM-DD") from exc
    return value


def _bool(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SidecarError(path, "must be true or false")
    return value


def _list(item: Callable[[str, Any], Any], max_items: int) -> Callable[[str, Any], tuple[Any, ...]]:
    def check(path: str, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list) or len(value) > max_items:
            raise SidecarError(path, f"must be a list of at most {max_items} entries")
        return tuple(item(f"{path}[{i}]", v) for i, v in enumerate(value))

    return check


def _langmap(max_len: int, *, free: bool = True) -> Callable[[str, Any], dict[str, str]]:
    """A text, or {language: text}; a bare string is English."""
    text = _text(max_len, free=free)

    def check(path: str, value: Any) -> dict[str, str]:
        if isinstance(value, str):
            return {"en": text(path, value)}
        if not isinstance(value, dict) or not 1 <= len(value) <= 24:
            raise SidecarError(path, "must be a string or an object of language code to string")
        out = {}
        for lang, item in value.items():
            if not _LANG.fullmatch(lang):
                raise SidecarError(f"{path}.{lang}", "is not a language code")
            out[lang] = text(f"{path}.{lang}", item)
        return out

    return check


def _object(fields: dict[str, Callable[[str, Any], Any]], required: set[str], cls: type) -> Callable[[str, Any], Any]:
    def check(path: str, value: Any) -> Any:
        if not isinstance(value, dict):
            raise SidecarError(path, "must be an object")
        for key in value:
            if key not in fields:
                raise SidecarError(f"{path}.{key}", "unknown field (refused, docs/privacy.md R19)")
        for key in sorted(required):
            if key not in value:
                raise SidecarError(f"{path}.{key}", "is required")
        return cls(**{key: fields[key](f"{path}.{key}", v) for key, v in value.items()})

    return check


_CODE = _pattern(_CODE_OR_IRI, "a vocabulary code or an IRI")
_AGENT = _object(
    {
        "name": _text(300, free=False),
        "email": _pattern(_EMAIL, "an e-mail address"),
        "homepage": _pattern(_IRI, "an http(s) URL"),
        "contact_page": _pattern(_IRI, "an http(s) URL"),
        "telephone": _pattern(_PHONE, "a telephone number"),
        "iri": _pattern(_IRI, "an http(s) IRI"),
        "type": _CODE,
    },
    {"name"},
    SidecarAgent,
)


def _contact(path: str, value: Any) -> Contact:
    contact = _object(
        {"name": _text(200, free=False), "email": _pattern(_EMAIL, "an e-mail address"),
         "url": _pattern(_IRI, "an http(s) URL")},
        set(),
        Contact,
    )(path, value)
    if not contact.email and not contact.url:
        raise SidecarError(path, "needs an email or a url")
    return contact


def _schema_version(path: str, value: Any) -> int:
    if value != SCHEMA_VERSION or isinstance(value, bool):
        raise SidecarError(path, f"must be {SCHEMA_VERSION}")
    return int(value)


FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "schema_version": _schema_version,
    "identifier": _pattern(_IDENTIFIER, "3-64 lower-case letters, digits, '.', '_' or '-'", 64),
    "title": _langmap(300),
    "description": _langmap(5000),
    "keywords": _list(_text(60, free=True), 30),
    "cancer_types": _list(_CODE, 20),
    "publisher": _AGENT,
    "custodian": _AGENT,
    "hdab": _AGENT,
    "contact": _contact,
    "licence": _CODE,
    "access_rights": _CODE,
    "access_url": _pattern(_HTTPS_URL, "an https URL"),
    "access_conditions": _list(_CODE, 5),
    "applicable_legislation": _list(_pattern(_IRI, "an http(s) IRI (ELI)"), 10),
    "tier": _CODE,
    "health_categories": _list(_CODE, 20),
    "health_themes": _list(_CODE, 20),
    "themes": _list(_CODE, 10),
    "dataset_types": _list(_CODE, 10),
    "collection_methods": _list(_CODE, 10),
    "segmentation_methods": _list(_CODE, 10),
    "segmentation_labels": _list(_text(100, free=True), 50),
    "provenance": _langmap(2000),
    "population_coverage": _langmap(1000),
    "languages": _list(_CODE, 24),
    "spatial": _list(_CODE, 50),
    "species": _list(_CODE, 5),
    "conforms_to": _list(_CODE, 10),
    "version": _text(40, free=False),
    "version_notes": _text(1000, free=True),
    "doi": _pattern(BARE_DOI, "a DOI such as 10.1234/abc (no resolver prefix)"),
    "landing_page": _pattern(_IRI, "an http(s) URL"),
    "issued": _date,
    "has_structured_data": _bool,
}
REQUIRED = {"schema_version", "identifier", "title", "description", "publisher", "contact"}


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise SidecarError(key, "duplicate key")
        seen[key] = value
    return seen


def _reject_constant(name: str) -> Any:
    raise SidecarError("", f"{name} is not allowed in JSON")


def _depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise SidecarError("", f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for item in value.values():
            _depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _depth(item, depth + 1)


def parse_sidecar_bytes(raw: bytes) -> Sidecar:
    """Validate a sidecar's bytes (strict UTF-8 JSON, see module docstring)."""
    if len(raw) > MAX_BYTES:
        raise SidecarError("", f"larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SidecarError("", "not UTF-8") from exc
    if "\x00" in text:
        raise SidecarError("", "contains NUL bytes")
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SidecarError("", f"not valid JSON (line {exc.lineno})") from exc
    _depth(data)
    if not isinstance(data, dict):
        raise SidecarError("", "must be a JSON object")
    for key in data:
        if key not in FIELDS:
            raise SidecarError(key, "unknown field (refused, docs/privacy.md R19)")
    for key in sorted(REQUIRED):
        if key not in data:
            raise SidecarError(key, "is required")
    values = {key: FIELDS[key](key, value) for key, value in data.items()}
    values.pop("schema_version")
    return Sidecar(**values)


def read_sidecar(folder: Path) -> Sidecar:
    """Read `folder/dataset.json` without following a symlink out of the folder (the caller checked P3)."""
    path = folder / SIDECAR_NAME
    if path.is_symlink() or not path.is_file():
        raise SidecarError("", f"{SIDECAR_NAME} is missing or not a regular file")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        raise SidecarError("", f"{SIDECAR_NAME} cannot be read") from None  # the OSError would quote the path
    return parse_sidecar_bytes(raw)
