"""The known corpus of the contract suite: twelve datasets built by the factories, each with a purpose.

Keys are the descriptors' guids; `corpus_build` upserts them through the catalogue service (so the embedded
backend indexes them in the catalogue's transaction) and returns key -> atlas identifier.
"""

from __future__ import annotations

from typing import Any

from tests.factories import ACCESS, AgentRef, DistributionDescriptor, LangText, iri, make_descriptor

LICENCE = "http://publications.europa.eu/resource/authority/licence/"


def _spec() -> dict[str, dict[str, Any]]:
    def concepts(scheme: str, *codes: str) -> tuple[str, ...]:
        return tuple(iri(scheme, c) for c in codes)

    def dist(licence: str) -> tuple[DistributionDescriptor, ...]:
        return (DistributionDescriptor(access_urls=("https://negotiator.example/request",), license=LICENCE + licence),)

    hospital_a, hospital_b, hospital_c = (AgentRef(name=n) for n in ("Hospital A", "Hospital B", "Hospital C"))
    human = concepts("species", "9606")
    return {
        # lung: NSCLC (A), its subtype (B), a sibling (C), a small NSCLC dataset (F)
        "lung-nsclc-ct": dict(
            title="Thoracic CT of non-small cell lung cancer", description="Staging CT before surgery.",
            cancer_types=concepts("cancer-type", "nsclc"), modalities=concepts("modality", "CT"),
            body_parts=concepts("body-part", "CHEST"), manufacturers=("SIEMENS",), birth_sex=concepts("sex", "F", "M"),
            n_subjects=120, n_studies=130, n_series=400, n_bytes=5_000_000_000, min_age=42, max_age=79,
            acquisition_year_min=2015, acquisition_year_max=2020, publisher=hospital_a, access_rights=ACCESS + "RESTRICTED",
            spatial=concepts("country", "ESP"), distributions=dist("CC_BY_4_0"), tier=iri("tier", "1"),
            species=human, modified="2024-05-01",
        ),
        "luad-petct": dict(
            title="Adenocarcinoma PET/CT response study", description="FDG PET/CT before and after therapy.",
            cancer_types=concepts("cancer-type", "lung-adenocarcinoma"), modalities=concepts("modality", "PT", "CT"),
            body_parts=concepts("body-part", "CHEST"), manufacturers=("GE MEDICAL SYSTEMS",),
            birth_sex=concepts("sex", "F", "M"), n_subjects=45, n_studies=90, n_series=300, n_bytes=9_000_000_000,
            min_age=50, max_age=84, acquisition_year_min=2018, acquisition_year_max=2022, publisher=hospital_b,
            access_rights=ACCESS + "PUBLIC", spatial=concepts("country", "FRA"), distributions=dist("CC_BY_4_0"),
            tier=iri("tier", "2"), species=human, modified="2025-01-10",
        ),
        "sclc-ct": dict(
            title="Small cell carcinoma staging archive", description="Chest CT at diagnosis.",
            cancer_types=concepts("cancer-type", "sclc"), modalities=concepts("modality", "CT"),
            body_parts=concepts("body-part", "CHEST"), manufacturers=("SIEMENS",), birth_sex=concepts("sex", "M"),
            n_subjects=300, n_studies=310, n_series=900, min_age=55, max_age=74, acquisition_year_min=2012,
            acquisition_year_max=2016, publisher=hospital_a, access_rights=ACCESS + "RESTRICTED",
            spatial=concepts("country", "ESP"), distributions=dist("CC_BY_4_0"), tier=iri("tier", "1"), species=human,
            modified="2023-03-03",
        ),
        "tiny-lung": dict(
            title="Rare thoracic tumour case series", description="A handful of cases.",
            cancer_types=concepts("cancer-type", "nsclc"), modalities=concepts("modality", "CT"),
            body_parts=concepts("body-part", "CHEST"), manufacturers=("SIEMENS",), birth_sex=concepts("sex", "F"),
            n_subjects=4, n_studies=6, n_series=12, min_age=91, max_age=93, acquisition_year_min=2021,
            acquisition_year_max=2021, publisher=hospital_a, access_rights=ACCESS + "RESTRICTED",
            spatial=concepts("country", "ESP"), distributions=dist("CC_BY_4_0"), tier=iri("tier", "1"), species=human,
            modified="2025-02-01",
        ),
        "breast-mg": dict(
            title="Breast screening mammography", description="Digital mammography from a screening programme.",
            cancer_types=concepts("cancer-type", "breast-cancer"), modalities=concepts("modality", "MG"),
            body_parts=concepts("body-part", "BREAST"), manufacturers=("HOLOGIC",), birth_sex=concepts("sex", "F"),
            n_subjects=800, n_studies=1600, n_series=6400, min_age=50, max_age=69, acquisition_year_min=2010,
            acquisition_year_max=2012, publisher=hospital_b, access_rights=ACCESS + "PUBLIC",
            spatial=concepts("country", "FRA"), distributions=dist("CC_BYNC_4_0"), tier=iri("tier", "2"), species=human,
            modified="2022-06-01",
        ),
        "small-breast": dict(
            title="Breast biopsy pilot", description="Biopsy-guided MRI of ductal carcinoma.",
            cancer_types=concepts("cancer-type", "breast-ductal-carcinoma"), modalities=concepts("modality", "MR"),
            body_parts=concepts("body-part", "BREAST"), manufacturers=("SIEMENS",), birth_sex=concepts("sex", "F"),
            n_subjects=7, n_studies=9, n_series=40, min_age=35, max_age=60, acquisition_year_min=2019,
            acquisition_year_max=2019, publisher=hospital_b, access_rights=ACCESS + "PUBLIC",
            spatial=concepts("country", "FRA"), distributions=dist("CC_BYNC_4_0"), tier=iri("tier", "2"), species=human,
            modified="2021-01-01",
        ),
        "prostate-mr": dict(
            title="Prostate MRI with segmentations", description="Biparametric MRI with lesion masks.",
            cancer_types=concepts("cancer-type", "prostate-adenocarcinoma"), modalities=concepts("modality", "MR", "SEG"),
            body_parts=concepts("body-part", "PROSTATE"), manufacturers=("SIEMENS",), birth_sex=concepts("sex", "M"),
            n_subjects=60, n_studies=60, n_series=240, n_segmentations=60, min_age=55, max_age=79,
            acquisition_year_min=2016, acquisition_year_max=2019, publisher=hospital_a,
            access_rights=ACCESS + "NON_PUBLIC", spatial=concepts("country", "DEU"), distributions=dist("CC_BY_4_0"),
            tier=iri("tier", "3"), species=human, modified="2024-09-09",
        ),
        "glioma-mr": dict(
            title="Glioblastoma MR archive", description="Pre-operative brain MRI.",
            cancer_types=concepts("cancer-type", "glioblastoma"), modalities=concepts("modality", "MR"),
            body_parts=concepts("body-part", "BRAIN"), manufacturers=("PHILIPS",), birth_sex=concepts("sex", "F", "M"),
            n_subjects=200, n_studies=420, n_series=2000, min_age=20, max_age=80, acquisition_year_min=2008,
            acquisition_year_max=2014, publisher=hospital_c, access_rights=ACCESS + "PUBLIC",
            spatial=concepts("country", "ITA"), distributions=dist("CC_BY_4_0"), tier=iri("tier", "1"), species=human,
            modified="2020-02-02",
        ),
        "pancreas-ct": dict(
            title="Pancreas imaging archive", description="Abdominal CT.", keywords=("oncology",),
            cancer_types=concepts("cancer-type", "pdac"), modalities=concepts("modality", "CT"),
            body_parts=concepts("body-part", "PANCREAS"), manufacturers=("TOSHIBA",), birth_sex=concepts("sex", "F", "M"),
            n_subjects=75, n_studies=80, n_series=320, min_age=45, max_age=85, acquisition_year_min=2017,
            acquisition_year_max=2018, publisher=hospital_c, access_rights=ACCESS + "RESTRICTED",
            spatial=concepts("country", "ITA"), distributions=dist("CC_BY_4_0"), tier=iri("tier", "2"), species=human,
            modified="2023-07-07",
        ),
        "renal-ct": dict(
            title="Renal collection", description="Contrast CT; includes pancreas scans of some patients.",
            cancer_types=concepts("cancer-type", "ccrcc"), modalities=concepts("modality", "CT"),
            body_parts=concepts("body-part", "KIDNEY"), manufacturers=("TOSHIBA",), birth_sex=concepts("sex", "F", "M"),
            n_subjects=90, n_studies=95, n_series=380, min_age=30, max_age=89, acquisition_year_min=2013,
            acquisition_year_max=2015, publisher=hospital_c, access_rights=ACCESS + "RESTRICTED",
            spatial=concepts("country", "ITA"), distributions=dist("CC_BY_4_0"), tier=iri("tier", "3"), species=human,
            modified="2019-09-19",
        ),
        "mouse-mr": dict(
            title="Murine glioma model MRI", description="Orthotopic tumour model.",
            cancer_types=concepts("cancer-type", "glioma"), modalities=concepts("modality", "MR"),
            body_parts=concepts("body-part", "BRAIN"), manufacturers=("BRUKER",), birth_sex=(),
            n_subjects=30, n_studies=30, n_series=90, publisher=hospital_c, access_rights=ACCESS + "PUBLIC",
            spatial=concepts("country", "DEU"), distributions=dist("CC_BY_4_0"), tier=iri("tier", "3"),
            species=concepts("species", "10090"), modified="2017-01-01",
        ),
        "legacy-colon": dict(
            title="Legacy colon CT", description="Historic colonography without counts.",
            cancer_types=concepts("cancer-type", "colon-cancer"), modalities=concepts("modality", "CT"),
            body_parts=concepts("body-part", "COLON"), manufacturers=(), birth_sex=(),
            n_subjects=None, n_studies=None, n_series=None, publisher=hospital_b, access_rights=ACCESS + "NON_PUBLIC",
            spatial=(), distributions=dist("CC_BY_4_0"), tier=iri("tier", "3"), species=human, modified="2018-08-08",
        ),
    }


KEYS: tuple[str, ...] = (
    "lung-nsclc-ct", "luad-petct", "sclc-ct", "tiny-lung", "breast-mg", "small-breast", "prostate-mr", "glioma-mr",
    "pancreas-ct", "renal-ct", "mouse-mr", "legacy-colon",
)


def corpus_descriptors() -> dict[str, Any]:
    """key -> descriptor (needs the vocabularies loaded)."""
    out = {}
    for key, fields in _spec().items():
        title, description = fields.pop("title"), fields.pop("description")
        fields.setdefault("keywords", ())
        out[key] = make_descriptor(
            key, title=(LangText("en", title),), description=(LangText("en", description),), **fields,
        )
    return out


def corpus_build(source: Any) -> dict[str, str]:
    """Upsert the corpus from `source`; return key -> atlas identifier."""
    from catalogue.services import dataset_upsert

    return {key: dataset_upsert(descriptor=d, source=source).dataset.identifier for key, d in corpus_descriptors().items()}
