"""HealthDCAT-AP Release 8, extending DCAT-AP 3.0.1."""

from __future__ import annotations

from typing import Any

from catalogue.dcat.namespaces import CV, DCT, GEODCATAP, HEALTHDCATAP
from catalogue.dcat.profiles.core import Field
from catalogue.dcat.profiles.dcat_ap3 import DcatAp3Profile
from catalogue.dcat.profiles.kinds import BOOL, CONCEPTS, INT, LANG_TEXTS, STANDARDS, TEXTS, AgeBound, SubjectCount
from catalogue.dcat.profiles.nodes import AgentField, ContactPointOf
from catalogue.descriptors import DatasetDescriptor


class HealthDcatApProfile(DcatAp3Profile):
    """HealthDCAT-AP Release 8 (http://healthdataportal.eu/ns/health#, provisional upstream)."""

    NAME = "healthdcat-ap"
    LABEL = "HealthDCAT-AP Release 8"

    FIELDS = DcatAp3Profile.FIELDS + (
        Field("alternative", DCT.alternative, LANG_TEXTS),
        Field("health_categories", HEALTHDCATAP.healthCategory, CONCEPTS, min=1),
        Field("health_themes", HEALTHDCATAP.healthTheme, CONCEPTS),
        Field("custodian", GEODCATAP.custodian, AgentField(), max=1),
        Field("hdab", HEALTHDCATAP.hdab, AgentField(), min=1, max=1),
        Field("n_subjects", HEALTHDCATAP.numberOfUniqueIndividuals, SubjectCount(), max=1),
        Field("n_studies", HEALTHDCATAP.numberOfRecords, INT, max=1),
        Field("min_age", HEALTHDCATAP.minTypicalAge, AgeBound(upper=False), max=1),
        Field("max_age", HEALTHDCATAP.maxTypicalAge, AgeBound(upper=True), max=1),
        Field("population_coverage", HEALTHDCATAP.populationCoverage, LANG_TEXTS),
        Field("coding_systems", HEALTHDCATAP.hasCodingSystem, STANDARDS),
        Field("code_values", HEALTHDCATAP.hasCodeValues, TEXTS),
        Field("has_structured_data", HEALTHDCATAP.hasStructuredData, BOOL, min=1, max=1),
    )
    AGENT_FIELDS = DcatAp3Profile.AGENT_FIELDS + (
        Field(("email", "contact_page", "telephone"), CV.contactPoint, ContactPointOf(), max=1),
    )

    @classmethod
    def missing(cls, descriptor: DatasetDescriptor) -> list[str]:
        """What HealthDCAT-AP R8 requires beyond `catalogue.completeness.missing_fields` (which it includes).

        These are rules of the R8 shapes the completeness list does not express: the access level must be one of
        the three the shapes exist for; `hasStructuredData true` needs `hasVariables`, which the catalogue does
        not hold; a dataset contact needs an e-mail or a URL; a custodian needs a contact point.
        """
        from catalogue.completeness import missing_fields
        from catalogue.dcat.namespaces import ACCESS_LEVELS

        missing, _ = missing_fields(completeness_view(descriptor))
        if descriptor.access_rights and descriptor.access_rights not in ACCESS_LEVELS:
            missing.append("access_rights (PUBLIC, RESTRICTED or NON_PUBLIC)")
        if descriptor.has_structured_data:
            missing.append("variables (hasStructuredData true requires healthdcatap:hasVariables)")
        if any(not (c.email or c.url) for c in descriptor.contact_points):
            missing.append("contact_points.email_or_url")
        if descriptor.custodian and not (descriptor.custodian.email or descriptor.custodian.contact_page):
            missing.append("custodian.contact_point")
        return missing


def completeness_view(descriptor: DatasetDescriptor) -> dict[str, Any]:
    """The part of `descriptor.to_dict()` that `catalogue.completeness.missing_fields` reads, built cheaply.

    `to_dict()` converts the whole descriptor and was a third of the export's time; a test holds this view and
    the full dict to the same answer (tests/catalogue/dcat/test_profiles.py).
    """
    from catalogue.completeness import EUCAIM_MANDATORY, HEALTHDCATAP_MANDATORY

    view: dict[str, Any] = {name: getattr(descriptor, name) for name in (*HEALTHDCATAP_MANDATORY, *EUCAIM_MANDATORY)}
    for name in ("hdab", "publisher"):
        agent = getattr(descriptor, name)
        view[name] = None if agent is None else {"email": agent.email, "contact_page": agent.contact_page}
    view["distributions"] = [
        {"access_urls": d.access_urls, "applicable_legislation": d.applicable_legislation, "rights": d.rights}
        for d in descriptor.distributions
    ]
    return view
