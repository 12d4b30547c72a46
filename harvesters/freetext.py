"""Free-text detectors of PRIVACY.md R12: dates, e-mail, phone numbers, honorifics, age-sex tokens, digit runs.

Used on every string a harvester would keep. A hit means refuse (or quarantine); the hit is described by its
detector name only, never by the matched value.
"""

from __future__ import annotations

import re

_MONTHS = (
    # EN, ES, FR, DE, IT, NL, PT month names and common abbreviations
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|october|"
    "nov|november|dec|december|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    "noviembre|diciembre|janvier|fevrier|février|mars|avril|mai|juin|juillet|aout|août|septembre|octobre|novembre|"
    "decembre|décembre|januar|februar|märz|maerz|juni|juli|oktober|dezember|gennaio|febbraio|aprile|maggio|giugno|"
    "luglio|settembre|ottobre|dicembre|januari|februari|maart|mei|augustus|janeiro|fevereiro|março|marco|maio|"
    "junho|julho|setembro|outubro|novembro|dezembro"
)
DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date_compact", re.compile(r"\b(?:19|20)\d{2}[01]\d[0-3]\d\b")),
    ("date", re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")),
    ("date_month_name", re.compile(rf"\b(?:{_MONTHS})\.?\s?-?\s?(?:\d{{1,2}},?\s?)?(?:19|20)\d{{2}}\b", re.IGNORECASE)),
    ("email", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("phone", re.compile(r"\+?\d[\d\s-]{7,}\d")),
    ("honorific", re.compile(r"\b(?:Dr\.?|Prof\.?|Sr\.|Sra\.)\s+[A-ZÀ-Ý][a-zà-ÿ]+")),
    ("age_sex", re.compile(r"\b\d{1,3}\s?[MFmf]\b")),
    ("digit_run", re.compile(r"\d{6,}")),
)


def find_personal_data(text: str) -> str | None:
    """Name of the first detector that fires on `text`, or None."""
    for name, pattern in DETECTORS:
        if pattern.search(text):
            return name
    return None
