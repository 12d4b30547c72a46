"""Free-text detectors of docs/privacy.md R12, shared by the DICOM gate, folder names, sidecars and descriptor sheets.

Why one module: the same words must be caught whether they hide in a SeriesDescription, a folder name or a
steward's dataset description. A detector returns the *name* of what it found ("date", "email" ...), never the
matched text, so callers can name the problem without repeating the personal value.
"""

from __future__ import annotations

import re

# Month names and abbreviations in EN/ES/FR/DE/IT/NL/PT (lower case, accents kept and stripped).
_MONTHS = (
    # EN
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    # ES
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    "ene|abr|ago|dic|"
    # FR
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|"
    "decembre|janv|févr|fevr|avr|juil|déc|"
    # DE
    "januar|februar|märz|maerz|marz|juni|juli|oktober|dezember|mär|mrz|okt|dez|"
    # IT
    "gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|gen|mag|giu|lug|set|ott|"
    # NL
    "januari|februari|maart|mei|augustus|mrt|"
    # PT
    "janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro|fev|out|dez"
)

DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(?:19|20)\d{2}[01]\d[0-3]\d\b")),
    ("date", re.compile(r"(?<!\d)\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?!\d)")),
    # A month word next to a 2- or 4-digit year, either order, with or without a separator ("Sep1999").
    ("month_year", re.compile(
        rf"(?<![a-zà-ÿ])(?:{_MONTHS})\.?[\s,./-]*(?:19|20)?\d{{2}}(?!\d)|"
        rf"(?<!\d)(?:19|20)\d{{2}}[\s,./-]*(?:{_MONTHS})(?![a-zà-ÿ])",
        re.IGNORECASE,
    )),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("phone", re.compile(r"\+?\d[\d\s-]{7,}\d")),
    ("honorific", re.compile(r"(?<![A-Za-z])(?:Dr\.?|Prof\.?|Sr\.|Sra\.|Mr\.|Mrs\.|Ms\.)\s*[A-ZÀ-Ý][a-zà-ÿ]+")),
    ("age_sex", re.compile(r"(?<![\w.])\d{1,3}\s?[MFmf](?![\w])")),
    ("digits", re.compile(r"\d{6,}")),
)

# A DICOM person name ("Doe^John") or "DOE, John": name-like tokens in folder names.
_NAME_LIKE = (
    ("person_name", re.compile(r"[A-Za-zÀ-ÿ]\^[A-Za-zÀ-ÿ]")),
    ("person_name", re.compile(r"\b[A-Z]{2,},\s*[A-Z][a-z]+")),
)
_UID_LIKE = re.compile(r"\d+(?:\.\d+)+")


_YEAR_RANGE = re.compile(r"(?:19|20)\d{2}\s*-\s*(?:19|20)\d{2}")


def detect(text: str) -> str | None:
    """Name of the first R12 detector that fires on `text`, or None when the text looks clean.

    One refinement of the docs/privacy.md R12 phone pattern: a year range ("2015-2020") is not a phone number, so a
    steward may write acquisition periods in a description.
    """
    if not text:
        return None
    for name, pattern in DETECTORS:
        if name == "phone":
            if any(not _YEAR_RANGE.fullmatch(m.group(0)) for m in pattern.finditer(text)):
                return name
            continue
        if pattern.search(text):
            return name
    return None


def detect_in_name(name: str) -> str | None:
    """R12 detectors plus person-name shapes, for file-system names a data steward chose.

    A name that is syntactically a DICOM UID (dotted digits, as many archives name study folders) is not a
    digit run of a person: its digits are skipped so that UID-named folders are not refused wholesale.
    """
    for detector, pattern in _NAME_LIKE:
        if pattern.search(name):
            return detector
    stem = name
    if _UID_LIKE.fullmatch(name) or _UID_LIKE.fullmatch(name.rsplit(".", 1)[0]):
        return None
    return detect(stem.replace("_", " "))
