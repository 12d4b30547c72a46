"""DOIs, in one place: what counts as one, its bare form, and the key two records of one dataset compare by.

A DOI reaches the atlas as a bare name ("10.1234/abc"), a `doi:` name or a resolver URL (https://doi.org/...,
dx.doi.org, http). The DCAT profiles read and write it (`parse_doi`), the catalogue merges records of different
sources that carry the same DOI (`doi_key`) and the DICOM sidecar accepts only the bare form (`BARE_DOI`).
"""

from __future__ import annotations

import re

BARE_DOI = re.compile(r"10\.\d{4,9}/[^\s]{1,200}")
"""A bare DOI: the 10.<registrant>/<suffix> name, without resolver or scheme."""
_ANY_FORM = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(" + BARE_DOI.pattern + r")$", re.IGNORECASE)


def parse_doi(value: str) -> str | None:
    """The bare DOI ("10.1234/abc") of a DOI, doi: name or doi.org URL; None when it is not a DOI."""
    match = _ANY_FORM.match(value.strip())
    return match.group(1) if match else None


def doi_key(value: str) -> str:
    """What two DOIs are compared by: the bare DOI, lower-cased (DOIs are case-insensitive).

    A value that is not a DOI is compared as given (stripped, lower-cased), so it still matches itself only.
    """
    stripped = value.strip()
    return (parse_doi(stripped) or stripped).lower()
