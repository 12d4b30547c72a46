"""Which HealthDCAT-AP R8 and EUCAIM DCAT-AP v2 mandatory fields a dataset lacks (docs/metadata.md §7.1-7.2)."""

from __future__ import annotations

from typing import Any

# Mandatory in HealthDCAT-AP Release 8 (1..n M, or "R / M" and "O / M": recommended in DCAT-AP, mandatory in
# HealthDCAT-AP). The identifier is always present: the atlas mints it.
HEALTHDCATAP_MANDATORY: tuple[str, ...] = (
    "title", "description", "keywords", "themes", "health_categories", "dataset_types", "access_rights",
    "applicable_legislation", "contact_points", "hdab", "provenance", "has_structured_data", "distributions",
)
# Added or tightened by EUCAIM DCAT-AP v2.0.
EUCAIM_MANDATORY: tuple[str, ...] = (
    "publisher", "n_subjects", "n_studies", "birth_sex", "cancer_types", "modalities", "manufacturers",
    "body_parts", "collection_methods", "tier", "version",
)
EUCAIM_ACCESS_CONDITION_PREFIX = "https://eucaim.github.io/eucaim_dcat_ap/releases/controlled-vocabularies/access-conditions/"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {} or value == ()


def missing_fields(merged: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return (missing for HealthDCAT-AP, missing for EUCAIM) for a merged descriptor dict.

    Distribution requirements are named "distributions.access_urls" and so on, so curators see what to fix.
    """
    hdcat = [name for name in HEALTHDCATAP_MANDATORY if _empty(merged.get(name))]
    if merged.get("hdab") and not (merged["hdab"].get("email") or merged["hdab"].get("contact_page")):
        hdcat.append("hdab.contact_point")
    if merged.get("publisher") and not (merged["publisher"].get("email") or merged["publisher"].get("contact_page")):
        hdcat.append("publisher.contact_point")
    distributions = merged.get("distributions") or []
    if distributions:
        if any(not d.get("access_urls") for d in distributions):
            hdcat.append("distributions.access_urls")
        if any(not d.get("applicable_legislation") for d in distributions):
            hdcat.append("distributions.applicable_legislation")
    eucaim = [name for name in EUCAIM_MANDATORY if _empty(merged.get(name))]
    if distributions and any(
        not any(r.startswith(EUCAIM_ACCESS_CONDITION_PREFIX) for r in d.get("rights", [])) for d in distributions
    ):
        eucaim.append("distributions.rights")
    return hdcat, eucaim
