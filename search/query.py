"""The read side of search: one query object in, one result object out, the same for every backend.

Filter values are vocabulary codes (the vocabulary API's `code`: DICOM `CT`, `MR`, `CHEST`; `M`, `F`, `O` for
sex). Several values of one filter mean any-of, except modalities with `modality_match="all"`. Ranges are
inclusive and work on published values only (docs/privacy.md §0.1): a dataset whose subject total is "<10"
matches a range as 0 subjects and sorts as such. Facet counts are counts of datasets, not of people.

Semantics every backend implements (the contract suite in tests/search/contract/ pins them):

* Text: every query word (stop words aside) must match a document word in some text field; a word of five
  letters or more also matches a document word of five letters or more one edit away (insertion, deletion,
  substitution or transposition of adjacent letters). Score = the sum over query words of the weight of the best field the
  word hits (title 8, concepts 4, keywords 3, publisher 2, description 1), halved for a one-typo hit.
* Filters: values of one facet are any-of (modalities all-of with `modality_match="all"`); facets are
  combined with AND. `cancer_type` is hierarchical: a dataset has every ancestor of its cancer types, so a
  parent matches its subtypes.
* Ranges: `subjects`, `studies`, `series`, `size` match when the published value lies in [low, high] ("<10"
  is 0; an unknown or withheld value never matches). `age` and `years` are intervals: a dataset matches when
  its published interval overlaps [low, high] (age: from its youngest band's lower edge to its oldest band's
  upper edge, 90+ open above).
* Facet counts are taken over the result set (every filter and range applied, including the facet's own):
  counts of datasets, values with a count of 0 left out, ordered by count (descending) then value; the
  cancer-type facet is a tree in depth-first order (children after their parent, `parent` and `depth` set).
* Sort: relevance (score, then title), subjects / studies (published value, "<10" as 0), modified, title;
  "-" for descending. Missing values sort last in both directions; ties break on title then identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FacetName = Literal[
    "cancer_type", "modality", "body_part", "manufacturer", "sex", "publisher", "country", "access_rights",
    "licence", "tier", "species", "has_segmentations",
]
FACETS: tuple[str, ...] = FacetName.__args__  # type: ignore[attr-defined]

RangeName = Literal["subjects", "studies", "series", "size", "age", "years"]
RANGES: tuple[str, ...] = RangeName.__args__  # type: ignore[attr-defined]

SortName = Literal["relevance", "subjects", "-subjects", "studies", "-studies", "modified", "-modified", "title", "-title"]
SORTS: tuple[str, ...] = SortName.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Range:
    """An inclusive range; None on either side is open."""

    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class SearchQuery:
    """A dataset search as a researcher asks it (the API and the portal build one of these)."""

    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet name -> codes (any-of)
    modality_match: Literal["any", "all"] = "any"
    ranges: dict[str, Range] = field(default_factory=dict)  # range name -> Range
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    facets: tuple[str, ...] = FACETS  # which facets to count


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: its code, its label, how many datasets of the result have it.

    `parent` and `depth` place a value of a hierarchical facet (cancer type) in its tree; 0 / None otherwise.
    """

    value: str
    label: str
    count: int
    parent: str | None = None
    depth: int = 0


@dataclass(frozen=True)
class Suggestion:
    """One autocomplete suggestion: a concept used by indexed datasets, or a dataset title.

    `kind` is a facet name (`cancer_type`, `modality`, `body_part`) with `value` its code, or `dataset` with
    `value` its identifier; `count` is the number of indexed datasets (1 for a dataset).
    """

    kind: str
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """Identifiers of one page, in order; the total; facet counts (datasets) per requested facet."""

    identifiers: list[str]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
