"""Every IRI the DCAT profiles use, in one place (docs/metadata.md "Namespaces"), and the variants harvest accepts.

rdflib's bundled `DCAT` namespace lacks DCAT 3 terms and rdflib terms do not compare equal to plain strings, so
the profiles use plain `str` IRIs built here. The HealthDCAT-AP namespace is provisional upstream ("to be
changed when the namespace is created"): it is the one constant `HEALTHDCATAP_IRI`, and the old or
alternative spellings seen in real feeds are listed in `NAMESPACE_VARIANTS` so the parser maps them onto it.
"""

from __future__ import annotations

from typing import Final


class Namespace:
    """A namespace IRI; `NS.term` and `NS["term"]` give the plain-string IRI of a term.

    Deliberately not a `str` subclass: `str` methods (`title`, `format`, `count`...) would shadow the DCMI terms
    of the same names.
    """

    __slots__ = ("iri",)

    def __init__(self, iri: str) -> None:
        self.iri = iri

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.iri + name

    def __getitem__(self, name: str) -> str:
        return self.iri + name

    def __str__(self) -> str:
        return self.iri

    def __repr__(self) -> str:
        return f"Namespace({self.iri!r})"


HEALTHDCATAP_IRI: Final = "http://healthdataportal.eu/ns/health#"
"""The HealthDCAT-AP namespace of the official Release 8 shapes (provisional upstream: change it here only)."""

EUCAIM_IRI: Final = "https://cancerimage.eu/ontology/EUCAIM#"
"""The EUCAIM namespace of the EUCAIM SHACL and EMX2 model (docs/metadata.md "Points to get right" 1)."""

ADMS = Namespace("http://www.w3.org/ns/adms#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")
CV = Namespace("http://data.europa.eu/m8g/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCT = Namespace("http://purl.org/dc/terms/")
DPV = Namespace("https://w3id.org/dpv#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
EUCAIM = Namespace(EUCAIM_IRI)
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
GEODCATAP = Namespace("http://data.europa.eu/930/")
HEALTHDCATAP = Namespace(HEALTHDCATAP_IRI)
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
PROV = Namespace("http://www.w3.org/ns/prov#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
SDO = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
TIME = Namespace("http://www.w3.org/2006/time#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

RDF_TYPE: Final = RDF.type

# Prefixes written by the Turtle, RDF/XML and JSON-LD writers (order = order in the output header).
PREFIXES: Final[dict[str, str]] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "dcat": str(DCAT),
    "dct": str(DCT),
    "dcatap": str(DCATAP),
    "adms": str(ADMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "cv": str(CV),
    "skos": str(SKOS),
    "spdx": str(SPDX),
    "eli": str(ELI),
    "geodcatap": str(GEODCATAP),
    "healthdcatap": str(HEALTHDCATAP),
    "eucaim": str(EUCAIM),
    "dpv": str(DPV),
    "dqv": str(DQV),
    "schema": str(SDO),
}

# ----------------------------------------------------------------------------------------------- vocabularies

EU_AUTHORITY: Final = "http://publications.europa.eu/resource/authority/"
HDEU_AUTHORITY: Final = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"
ACCESS_RIGHT: Final = EU_AUTHORITY + "access-right/"
ACCESS_PUBLIC: Final = ACCESS_RIGHT + "PUBLIC"
ACCESS_RESTRICTED: Final = ACCESS_RIGHT + "RESTRICTED"
ACCESS_NON_PUBLIC: Final = ACCESS_RIGHT + "NON_PUBLIC"
ACCESS_LEVELS: Final[tuple[str, ...]] = (ACCESS_PUBLIC, ACCESS_RESTRICTED, ACCESS_NON_PUBLIC)
EHDS_REGULATION: Final = "http://data.europa.eu/eli/reg/2025/327/oj"
IANA_MEDIA_TYPES: Final = "http://www.iana.org/assignments/media-types/"
SPDX_ALGORITHM_PREFIX: Final = SPDX.checksumAlgorithm_
DOI_RESOLVER: Final = "https://doi.org/"

# --------------------------------------------------------------------------------------- variants on harvest

NAMESPACE_VARIANTS: Final[dict[str, str]] = {
    # HealthDCAT-AP: the EUCAIM v1 examples use a non-standard namespace (docs/metadata.md "Namespaces").
    "https://w3id.org/healthdcat-ap#": HEALTHDCATAP_IRI,
    "http://w3id.org/healthdcat-ap#": HEALTHDCATAP_IRI,
    # EUCAIM: the hyperontology host of the v1/v2 docs.
    "https://hyperontology.eucaim.cancerimage.eu/#": EUCAIM_IRI,
    "http://cancerimage.eu/ontology/EUCAIM#": EUCAIM_IRI,
    # schema.org is published under both schemes.
    "http://schema.org/": str(SDO),
}
"""Namespace spellings seen in real feeds -> the namespace the profiles use (predicates, classes, values)."""

VOCABULARY_HOST_VARIANTS: Final[dict[str, str]] = {
    # HealthData@EU vocabularies: acceptance host, the bare-IP test host, plain http.
    "https://hdeu-dcat.acceptance.data.health.europa.eu/resource/authority/": HDEU_AUTHORITY,
    "http://hdeu-dcat.acceptance.data.health.europa.eu/resource/authority/": HDEU_AUTHORITY,
    "http://13.81.34.152:1101/resource/authority/": HDEU_AUTHORITY,
    "http://hdeu-dcat.data.health.europa.eu/resource/authority/": HDEU_AUTHORITY,
    # EMX2 sheets give the health categories under the EU publications host, which has no such NAL.
    EU_AUTHORITY + "healthcategories/": HDEU_AUTHORITY + "healthcategories/",
    "https://publications.europa.eu/resource/authority/healthcategories/": HDEU_AUTHORITY + "healthcategories/",
}
"""Vocabulary hosts seen in real feeds -> the official host (docs/metadata.md "Points to get right" 2)."""

CODE_CORRECTIONS: Final[dict[str, str]] = {
    # The EUCAIM v1 examples use a health-theme code that does not exist (docs/metadata.md "Namespaces").
    HDEU_AUTHORITY + "health-theme/CANCER": HDEU_AUTHORITY + "health-theme/CANCER_DISEASE",
}
"""Known wrong codes in published examples -> the real code (applied after host normalisation, with a warning)."""

SPLIT_CHARS: Final = "#/"


def normalise_namespace(iri: str) -> str:
    """Map a term IRI under a variant namespace onto the namespace the profiles use (others unchanged)."""
    for variant, canonical in NAMESPACE_VARIANTS.items():
        if iri.startswith(variant):
            return canonical + iri[len(variant):]
    return iri


def normalise_vocabulary_iri(iri: str) -> tuple[str, bool]:
    """Return the official IRI of a vocabulary value and whether a known wrong code was corrected."""
    iri = normalise_namespace(iri)
    for variant, canonical in VOCABULARY_HOST_VARIANTS.items():
        if iri.startswith(variant):
            iri = canonical + iri[len(variant):]
            break
    corrected = CODE_CORRECTIONS.get(iri)
    if corrected is not None:
        return corrected, True
    return iri, False
