"""The contract: fixed questions over the known corpus (tests/search/contract/corpus.py) with their answers.

Data only, so that every backend answers the same list and the Elasticsearch engineer can pin a golden request
body per question name. Each question is (name, SearchQuery, expected); `expected` may hold:

    total   the number of matching datasets
    ids     the corpus keys of the page, in order
    set     the corpus keys of the page, in any order
    facets  {facet: [(value, count), ...]}: the whole facet, in order
    tree    [(value, count, parent, depth), ...]: the whole cancer-type facet, in order

Corpus title order: luad-petct, small-breast, breast-mg, glioma-mr, legacy-colon, mouse-mr, pancreas-ct,
prostate-mr, tiny-lung, renal-ct, sclc-ct, lung-nsclc-ct.
"""

from __future__ import annotations

from typing import Any

from search.query import Range, SearchQuery

LUNG = {"lung-nsclc-ct", "luad-petct", "sclc-ct", "tiny-lung"}
NSCLC = {"lung-nsclc-ct", "luad-petct", "tiny-lung"}
TITLE_ORDER = [
    "luad-petct", "small-breast", "breast-mg", "glioma-mr", "legacy-colon", "mouse-mr", "pancreas-ct", "prostate-mr",
    "tiny-lung", "renal-ct", "sclc-ct", "lung-nsclc-ct",
]


def Q(**kwargs: Any) -> SearchQuery:  # noqa: N802  (reads as a constructor in the table)
    """A SearchQuery with no facets unless asked (keeps each question about one thing)."""
    kwargs.setdefault("facets", ())
    return SearchQuery(**kwargs)


QUESTIONS: list[tuple[str, SearchQuery, dict[str, Any]]] = [
    # ---- free text: synonyms, codes, languages, typos, ranking
    ("text-nsclc-synonym", Q(text="NSCLC"), {"total": 3, "set": NSCLC}),
    ("text-non-small-cell-lung", Q(text="non-small cell lung"), {"total": 3, "set": NSCLC}),
    ("text-lung", Q(text="lung"), {"total": 4, "ids": ["lung-nsclc-ct", "luad-petct", "tiny-lung", "sclc-ct"]}),
    ("text-icd10-c34", Q(text="C34"), {"total": 4, "set": LUNG}),
    ("text-german-label", Q(text="Lungenkrebs"), {"total": 4, "set": LUNG}),
    ("text-typo-deletion", Q(text="glioblastma"), {"total": 1, "ids": ["glioma-mr"]}),
    ("text-typo-transposition-title-first", Q(text="pancraes"), {"total": 2, "ids": ["pancreas-ct", "renal-ct"]}),
    ("text-title-above-description", Q(text="pancreas"), {"total": 2, "ids": ["pancreas-ct", "renal-ct"]}),
    ("text-no-typo-in-short-words", Q(text="lnug"), {"total": 0, "ids": []}),
    ("text-all-words-must-match", Q(text="lung mammography"), {"total": 0, "ids": []}),
    # ---- facets (counts of datasets over the result)
    ("facet-modality-all-datasets", Q(facets=("modality",)),
     {"total": 12, "facets": {"modality": [("CT", 7), ("MR", 4), ("MG", 1), ("PT", 1), ("SEG", 1)]}}),
    ("facet-sex-withheld-for-small-datasets", Q(facets=("sex",)),
     {"facets": {"sex": [("M", 7), ("F", 6)]}}),
    ("facet-every-other-facet", Q(facets=(
        "body_part", "manufacturer", "publisher", "country", "access_rights", "licence", "tier", "species",
        "has_segmentations")),
     {"facets": {
         "body_part": [("CHEST", 4), ("BRAIN", 2), ("BREAST", 2), ("COLON", 1), ("KIDNEY", 1), ("PANCREAS", 1),
                       ("PROSTATE", 1)],
         "manufacturer": [("SIEMENS", 5), ("TOSHIBA", 2), ("BRUKER", 1), ("GE MEDICAL SYSTEMS", 1), ("HOLOGIC", 1),
                          ("PHILIPS", 1)],
         "publisher": [("hospital-a", 4), ("hospital-b", 4), ("hospital-c", 4)],
         "country": [("ESP", 3), ("FRA", 3), ("ITA", 3), ("DEU", 2)],
         "access_rights": [("PUBLIC", 5), ("RESTRICTED", 5), ("NON_PUBLIC", 2)],
         "licence": [("CC_BY_4_0", 10), ("CC_BYNC_4_0", 2)],
         "tier": [("1", 4), ("2", 4), ("3", 4)],
         "species": [("9606", 11), ("10090", 1)],
         "has_segmentations": [("false", 11), ("true", 1)],
     }}),
    ("facet-cancer-type-tree-for-lung", Q(text="lung", facets=("cancer_type",)),
     {"total": 4, "tree": [("cancer", 4, None, 0), ("lung-cancer", 4, "cancer", 1), ("nsclc", 3, "lung-cancer", 2),
                           ("lung-adenocarcinoma", 1, "nsclc", 3), ("sclc", 1, "lung-cancer", 2)]}),
    ("facet-counts-follow-filters", Q(filters={"access_rights": ("PUBLIC",)}, facets=("modality",)),
     {"total": 5, "facets": {"modality": [("MR", 3), ("CT", 1), ("MG", 1), ("PT", 1)]}}),
    # ---- filters: hierarchy, any-of, all-of, small datasets
    ("filter-parent-includes-subtypes", Q(filters={"cancer_type": ("lung-cancer",)}), {"total": 4, "set": LUNG}),
    ("filter-mid-level-concept", Q(filters={"cancer_type": ("nsclc",)}), {"total": 3, "set": NSCLC}),
    ("filter-hierarchy-tree-under-cns", Q(filters={"cancer_type": ("cns-tumour",)}, facets=("cancer_type",)),
     {"total": 2, "set": {"glioma-mr", "mouse-mr"},
      "tree": [("cancer", 2, None, 0), ("cns-tumour", 2, "cancer", 1), ("brain-cancer", 2, "cns-tumour", 2),
               ("glioma", 2, "brain-cancer", 3), ("glioblastoma", 1, "glioma", 4)]}),
    ("filter-repeated-value-is-any-of", Q(filters={"cancer_type": ("breast-cancer", "prostate-cancer")}),
     {"total": 3, "set": {"breast-mg", "small-breast", "prostate-mr"}}),
    ("filter-modality-any", Q(filters={"modality": ("CT", "PT")}), {"total": 7}),
    ("filter-modality-all", Q(filters={"modality": ("CT", "PT")}, modality_match="all"),
     {"total": 1, "ids": ["luad-petct"]}),
    ("filter-modality-all-mr-seg", Q(filters={"modality": ("MR", "SEG")}, modality_match="all"),
     {"total": 1, "ids": ["prostate-mr"]}),
    ("filter-sex-skips-small-datasets", Q(filters={"modality": ("CT",), "sex": ("F",)}),
     {"total": 4, "set": {"lung-nsclc-ct", "luad-petct", "pancreas-ct", "renal-ct"}}),
    ("filter-facets-combine-with-and", Q(text="lung", filters={"country": ("FRA",)}), {"total": 1, "ids": ["luad-petct"]}),
    ("filter-species", Q(filters={"species": ("10090",)}), {"total": 1, "ids": ["mouse-mr"]}),
    ("filter-has-segmentations", Q(filters={"has_segmentations": ("true",)}), {"total": 1, "ids": ["prostate-mr"]}),
    # ---- ranges on published values
    ("range-subjects-min", Q(ranges={"subjects": Range(100, None)}),
     {"total": 4, "set": {"lung-nsclc-ct", "sclc-ct", "breast-mg", "glioma-mr"}}),
    ("range-subjects-below-k-counts-as-zero", Q(ranges={"subjects": Range(None, 9)}),
     {"total": 2, "set": {"tiny-lung", "small-breast"}}),
    ("range-unknown-subjects-never-match", Q(ranges={"subjects": Range(0, None)}), {"total": 11}),
    ("range-studies-of-small-datasets-as-zero", Q(ranges={"studies": Range(None, 9)}),
     {"total": 2, "set": {"tiny-lung", "small-breast"}}),
    ("range-age-overlap-withheld-absent", Q(ranges={"age": Range(85, None)}),
     {"total": 2, "set": {"pancreas-ct", "renal-ct"}}),
    ("range-years-overlap", Q(ranges={"years": Range(2009, 2010)}), {"total": 2, "set": {"breast-mg", "glioma-mr"}}),
    ("range-years-withheld-absent", Q(ranges={"years": Range(2021, None)}), {"total": 1, "ids": ["luad-petct"]}),
    ("range-size", Q(ranges={"size": Range(6_000_000_000, None)}), {"total": 1, "ids": ["luad-petct"]}),
    ("range-series", Q(ranges={"series": Range(1000, None)}), {"total": 2, "set": {"breast-mg", "glioma-mr"}}),
    # ---- sort and paging
    ("sort-subjects-descending-small-as-zero-missing-last", Q(sort="-subjects", page_size=12),
     {"total": 12, "ids": ["breast-mg", "sclc-ct", "glioma-mr", "lung-nsclc-ct", "renal-ct", "pancreas-ct",
                           "prostate-mr", "luad-petct", "mouse-mr", "small-breast", "tiny-lung", "legacy-colon"]}),
    ("sort-subjects-ascending", Q(sort="subjects", filters={"cancer_type": ("lung-cancer",)}),
     {"total": 4, "ids": ["tiny-lung", "luad-petct", "lung-nsclc-ct", "sclc-ct"]}),
    ("sort-studies-descending", Q(sort="-studies", page_size=3), {"total": 12, "ids": ["breast-mg", "glioma-mr", "sclc-ct"]}),
    ("sort-modified-descending", Q(sort="-modified", page_size=4),
     {"total": 12, "ids": ["tiny-lung", "luad-petct", "prostate-mr", "lung-nsclc-ct"]}),
    ("sort-title-descending", Q(sort="-title", page_size=3), {"ids": ["lung-nsclc-ct", "sclc-ct", "renal-ct"]}),
    ("sort-relevance-without-text-is-title", Q(page_size=12), {"total": 12, "ids": TITLE_ORDER}),
    ("paging-second-page", Q(sort="title", page=2, page_size=5), {"total": 12, "ids": TITLE_ORDER[5:10]}),
    ("paging-last-page", Q(sort="title", page=3, page_size=5), {"total": 12, "ids": TITLE_ORDER[10:]}),
]

KNOWN_GAPS: dict[tuple[str, str], str] = {}
"""(backend name, question name) -> why that backend cannot answer it yet (becomes an xfail with the reason)."""

assert len({name for name, _, _ in QUESTIONS}) == len(QUESTIONS), "question names must be unique"
